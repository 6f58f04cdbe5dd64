/**
 * Benchmark: this library's defaults against the same workloads hand-wired with aws-cdk-lib
 * (aws-ecs-patterns + L2s). `npx projen bench [--copies 1,10,30] [--runs 5] [--flags cdk-init,none] [--out docs]`.
 *
 * 1. Whole-process synthesis wall time and peak memory (max RSS), one process per run, a warm-up run
 *    of each app first, then the two apps interleaved (alternating which goes first); once with the
 *    feature flags of a new `cdk init` project and once with none.
 * 2. What one stack synthesizes to (resources, JSON values, intrinsic functions, warnings), the quantities
 *    aws-cdk-lib's synthesis time grows with.
 * 3. Per workload, from the 1-copy templates: resources, Lambda functions, custom resources, template
 *    bytes, and the findings of the cdk-nag packs and the cfn-guard Control Tower rules.
 * 4. The queue worker's delay from the first upload to the first scale-out action (event path and alarm
 *    path, with the queue recently active and after a long idle), and the relative price of one
 *    default worker task-hour.
 * 5. What the five workloads cost, from the cost model of `src/cost/`: fixed monthly cost while idle
 *    per workload, and the main unit costs.
 * Timings are reported, never asserted.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { SynthesisMessageLevel } from 'aws-cdk-lib/cx-api';
import { estimate, formatUsd, StackEstimate } from '../src/cost/model';
import { PRICES } from '../src/cost/prices';
import { complianceFindings } from '../test/compliance';
import { BaselineStack } from './apps/baseline';
import { OursStack } from './apps/ours';
import { benchApp, FLAG_SET_NAMES, FLAG_SETS, FlagSet, WORKLOADS } from './apps/shared';
import { workerTaskHourPrice, PRICE_SOURCE } from './price';
import {
  EVENT_PATH_TARGET_SECONDS, EXPRESS_EXECUTION, eventPathSeconds, firstScaleOut, INACTIVE_QUEUE_DELAY,
  MESSAGE_SEARCH_LIMIT, PIPE_POLL, S3_EVENT_DELIVERY, scenarioDelays, SQS_METRIC_PUBLICATION,
} from './scale-out';
import { barChartSvg } from './svg';

type Kind = 'ours' | 'baseline';
const KINDS: Kind[] = ['ours', 'baseline'];

interface Args { copies: number[]; runs: number; flags: FlagSet[]; out: string }

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  return {
    copies: get('copies', '1,10,30').split(',').map(Number),
    runs: Number(get('runs', '5')),
    flags: get('flags', FLAG_SET_NAMES.join(',')).split(',').map(f => {
      if (!FLAG_SET_NAMES.includes(f as FlagSet)) throw new Error(`--flags: unknown flag set '${f}'; use ${FLAG_SET_NAMES.join(' or ')}`);
      return f as FlagSet;
    }),
    out: get('out', 'docs'),
  };
}

interface Sample { wallMs: number; maxRssMiB: number }

function synthOnce(kind: Kind, copies: number, outdir: string, flags: FlagSet): Sample {
  fs.rmSync(outdir, { recursive: true, force: true });
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [path.join(__dirname, 'synth.js'), kind, String(copies), outdir, flags], {
    encoding: 'utf-8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.status !== 0) throw new Error(`${kind} synthesis failed:\n${child.stderr}`);
  const { maxRssKiB } = JSON.parse(child.stdout.trim().split('\n').pop()!);
  return { wallMs, maxRssMiB: maxRssKiB / 1024 };
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

interface WorkloadCounts {
  resources: number; lambdas: number; customResources: number; bytes: number; findings: number;
}

/** Groups one synthesized stack's resources by the workload whose construct path holds them. */
function countByWorkload(stack: Stack): Map<string, WorkloadCounts> {
  const app = stack.node.root as App;
  const template = app.synth().getStackByName(stack.stackName).template;
  const findings = complianceFindings(stack);
  const groups = new Map<string, WorkloadCounts>();
  // aws-cdk-lib puts the bucket-notification Lambda at the stack root; it exists for the queue worker.
  const groupOf = (cdkPath: string | undefined) => cdkPath?.includes('BucketNotificationsHandler')
    ? WORKLOADS[0]
    : WORKLOADS.find(w => cdkPath?.split('/').includes(w)) ?? 'shared cluster + VPC';
  const logicalToGroup = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries<any>(template.Resources ?? {})) {
    const group = groupOf(resource.Metadata?.['aws:cdk:path']);
    logicalToGroup.set(logicalId, group);
    const g = groups.get(group) ?? { resources: 0, lambdas: 0, customResources: 0, bytes: 0, findings: 0 };
    g.resources++;
    if (resource.Type === 'AWS::Lambda::Function') g.lambdas++;
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') g.customResources++;
    g.bytes += Buffer.byteLength(JSON.stringify({ [logicalId]: resource }));
    groups.set(group, g);
  }
  for (const f of findings) {
    const group = f.pack === 'cfn-guard' ? logicalToGroup.get(f.resource) ?? 'shared cluster + VPC' : groupOf(f.resource);
    groups.get(group)!.findings++;
  }
  return groups;
}

function newStack(kind: Kind, flags: FlagSet = PRIMARY_FLAGS): Stack {
  const app = benchApp(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')), flags);
  return kind === 'ours' ? new OursStack(app, 'Ours') : new BaselineStack(app, 'Baseline');
}

/** The flag set of the per-workload, scale-out and price tables: that of a new project. */
const PRIMARY_FLAGS: FlagSet = 'cdk-init';

interface StackShape { resources: number; values: number; intrinsics: number; warnings: number }

/**
 * What aws-cdk-lib's synthesis time grows with, for one stack: resolving a template walks every JSON
 * value of it (three times: references, template, tree.json) and resolves every token behind an intrinsic.
 */
function stackShape(stack: Stack): StackShape {
  const artifact = (stack.node.root as App).synth().getStackByName(stack.stackName);
  let values = 0;
  let intrinsics = 0;
  const walk = (v: unknown): void => {
    values++;
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Ref' || k.startsWith('Fn::')) intrinsics++;
        walk(x);
      }
    }
  };
  walk(artifact.template.Resources);
  return {
    resources: Object.keys(artifact.template.Resources ?? {}).length,
    values,
    intrinsics,
    warnings: artifact.messages.filter(m => m.level === SynthesisMessageLevel.WARNING).length,
  };
}

function templateOf(stack: Stack): any {
  return (stack.node.root as App).synth().getStackByName(stack.stackName).template;
}

/** The cost model's estimate of one stack, and the workload each of its resources belongs to. */
function costOf(stack: Stack): { estimate: StackEstimate; workloadOf: (logicalId: string) => string } {
  const template = templateOf(stack);
  const workloadOf = (logicalId: string) => {
    const cdkPath = String(template.Resources?.[logicalId]?.Metadata?.['aws:cdk:path'] ?? '').split('/');
    return WORKLOADS.find(w => cdkPath.includes(w)) ?? 'shared cluster + VPC';
  };
  return { estimate: estimate([{ name: stack.stackName, template }]).stacks[0], workloadOf };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const lines: string[] = [];
  const say = (line: string = '') => { lines.push(line); console.log(line); };

  say('# Benchmarks');
  say();
  say(`Generated by \`npx projen bench --copies ${args.copies.join(',')} --runs ${args.runs}\` on ` +
    `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`);
  say('Baseline: the same five workloads hand-wired with aws-cdk-lib (`QueueProcessingFargateService` + bucket ' +
    'notification, `ApplicationLoadBalancedFargateService` + EFS volume, `NetworkLoadBalancedFargateService`, ' +
    '`Ec2Service({ daemon: true })`, `ScheduledFargateTask`), see `bench/apps/baseline.ts`.');
  say();
  say('## Synthesis time and peak memory (whole process, one stack per copy)');
  say();
  say(`${args.runs} runs per app, size and flag set after one warm-up run each; the two apps interleaved.`);
  say();
  say('| flags | copies | app | wall ms min / median / max | peak RSS MiB min / median / max |');
  say('|---|---:|---|---|---|');
  const ratios: { flags: FlagSet; copies: number; time: number; memory: number }[] = [];
  const chart: { label: string; ours: number; baseline: number }[] = [];
  for (const flags of args.flags) {
    for (const copies of args.copies) {
      const samples: Record<Kind, Sample[]> = { ours: [], baseline: [] };
      for (const kind of KINDS) synthOnce(kind, copies, path.join(scratch, kind), flags); // warm-up
      for (let r = 0; r < args.runs; r++) {
        const order = r % 2 === 0 ? KINDS : [...KINDS].reverse();
        for (const kind of order) samples[kind].push(synthOnce(kind, copies, path.join(scratch, kind), flags));
      }
      const med: Record<Kind, { time: number; memory: number }> = {} as any;
      for (const kind of KINDS) {
        const t = stats(samples[kind].map(x => x.wallMs));
        const m = stats(samples[kind].map(x => x.maxRssMiB));
        med[kind] = { time: t.median, memory: m.median };
        say(`| ${flags} | ${copies} | ${kind} | ${t.min.toFixed(0)} / **${t.median.toFixed(0)}** / ${t.max.toFixed(0)} | ` +
          `${m.min.toFixed(0)} / **${m.median.toFixed(0)}** / ${m.max.toFixed(0)} |`);
      }
      ratios.push({ flags, copies, time: med.ours.time / med.baseline.time, memory: med.ours.memory / med.baseline.memory });
      chart.push({ label: `${copies}× ${flags}`, ours: med.ours.time, baseline: med.baseline.time });
    }
  }
  say();
  for (const flags of args.flags) say(`- \`${flags}\`: ${FLAG_SETS[flags].label}.`);
  say();
  say('| flags | copies | median wall time ours ÷ baseline | median peak memory ours ÷ baseline |');
  say('|---|---:|---:|---:|');
  for (const r of ratios) say(`| ${r.flags} | ${r.copies} | ${r.time.toFixed(2)} | ${r.memory.toFixed(2)} |`);
  say();

  say('## What one stack synthesizes to (1 copy)');
  say();
  say('aws-cdk-lib resolves every template three times per synthesis (cross-stack references, the template, ' +
    'tree.json): its time grows with the JSON values of the resources and with the intrinsic functions among them. ' +
    'Warnings: construct warnings left unacknowledged (with `cdk init` flags, aws-cdk-lib renders them into a validation report).');
  say();
  say('| flags | app | resources | JSON values | intrinsic functions (Ref, Fn::*) | warnings |');
  say('|---|---|---:|---:|---:|---:|');
  // One stack per app and flag set, synthesized once, serves every table below.
  const stacks = new Map(args.flags.map(flags => [flags, { ours: newStack('ours', flags), baseline: newStack('baseline', flags) }]));
  const primary = stacks.get(PRIMARY_FLAGS) ?? { ours: newStack('ours'), baseline: newStack('baseline') };
  for (const flags of args.flags) {
    for (const kind of KINDS) {
      const shape = stackShape(stacks.get(flags)![kind]);
      say(`| ${flags} | ${kind} | ${shape.resources} | ${shape.values} | ${shape.intrinsics} | ${shape.warnings} |`);
    }
  }
  say();

  say('## What each workload synthesizes to (1 copy)');
  say();
  say(`Flags: \`${PRIMARY_FLAGS}\`. Findings: unacknowledged cdk-nag (AwsSolutions, NIST 800-53 r5, HIPAA Security) and cfn-guard Control Tower findings.`);
  say();
  say('| workload | app | resources | Lambda functions | custom resources | template bytes | findings |');
  say('|---|---|---:|---:|---:|---:|---:|');
  const counts = { ours: countByWorkload(primary.ours), baseline: countByWorkload(primary.baseline) };
  for (const group of [...WORKLOADS, 'shared cluster + VPC']) {
    for (const kind of KINDS) {
      const c = counts[kind].get(group) ?? { resources: 0, lambdas: 0, customResources: 0, bytes: 0, findings: 0 };
      say(`| ${group} | ${kind} | ${c.resources} | ${c.lambdas} | ${c.customResources} | ${c.bytes} | ${c.findings} |`);
    }
  }
  say();

  say('## Queue worker: first upload to first scale-out action, and price of a task-hour');
  say();
  const firstScaleOutOf = (kind: Kind) => firstScaleOut(templateOf(primary[kind]), WORKLOADS[0]);
  const scaleOut = { ours: firstScaleOutOf('ours'), baseline: firstScaleOutOf('baseline') };
  if (!scaleOut.ours.eventPath || scaleOut.ours.alarmPath?.messagesToScaleOut !== 1) {
    // The bench app uses the defaults (minTasks 0, wake-up on): the model no longer reads the template right.
    throw new Error(`${WORKLOADS[0]} (ours): expected an event path (rule → FIFO queue → pipe → EXPRESS state machine → ecs:updateService) ` +
      `and a scale-out alarm that acts on one message; found ${JSON.stringify(scaleOut.ours)}. Update bench/scale-out.ts to the construct.`);
  }
  say('A service at 0 tasks, one object uploaded. Per app and scenario, the path whose scale-out action comes first, ' +
    'its delay and the terms of the model: what the synthesized template gives (paths, alarm period × datapoints to alarm, ' +
    'the backlog a scale-out alarm needs, the pipe\'s batching window) plus the figures below. ' +
    'Scenarios: (a) recently active: the queue held a message or was called in the last six hours, SQS metrics flow; ' +
    '(b) after a long idle: the queue is inactive and SQS metrics resume up to 15 minutes late.');
  say();
  say('| app | scenario | first scale-out action by | delay | model terms |');
  say('|---|---|---|---|---|');
  for (const kind of KINDS) {
    for (const row of scenarioDelays(scaleOut[kind])) {
      say(`| ${kind} | ${row.scenario} | ${row.firstPath} | ${row.delay} | ${row.terms} |`);
    }
  }
  say();
  const event = eventPathSeconds(scaleOut.ours.eventPath);
  say(`- Event path (ours only; the baseline's bucket notification goes to SQS alone): ≈ ${event.seconds} s typical, ` +
    `target ≤ ${EVENT_PATH_TARGET_SECONDS} s ${event.seconds <= EVENT_PATH_TARGET_SECONDS ? 'met' : 'NOT met'}; the same in both scenarios, ` +
    'since the pipe receives from the gate queue itself, not through CloudWatch metrics. Tail: S3 delivers "typically within seconds" ' +
    `but "can sometimes take a minute or longer" (${S3_EVENT_DELIVERY.source}).`);
  say(`- Planning figures (no latency is documented): ${S3_EVENT_DELIVERY.seconds} s S3 → EventBridge, ` +
    `${PIPE_POLL.seconds} s pipe poll (${PIPE_POLL.source}), ${EXPRESS_EXECUTION.seconds} s for the synchronous Express execution ` +
    `(${EXPRESS_EXECUTION.source}).`);
  say(`- Alarm path: SQS pushes metrics "at one-minute intervals" (${SQS_METRIC_PUBLICATION.seconds} s), and after more than six hours ` +
    `without traffic "a delay of up to 15 minutes" when the queue becomes active again (${INACTIVE_QUEUE_DELAY.seconds} s; ` +
    `${INACTIVE_QUEUE_DELAY.source}).`);
  const baselineAlarm = scaleOut.baseline.alarmPath;
  if (baselineAlarm) {
    say(`- Baseline: \`QueueProcessingFargateService\` scales on the queue's ApproximateNumberOfMessagesVisible (Maximum, ${
      baselineAlarm.periodSeconds} s period); with the template's steps, the first scale-out needs ` +
      `${baselineAlarm.messagesToScaleOut ?? `more than ${MESSAGE_SEARCH_LIMIT}`} waiting message(s) ` +
      '(https://github.com/aws/aws-cdk/blob/main/packages/aws-cdk-lib/aws-ecs-patterns/lib/base/queue-processing-service-base.ts). ' +
      'Its CPU target tracking has no datapoint while no task runs.');
  }
  say(`- After a wake-up, ${scaleOut.ours.scaleInAlarmsReadingWakeUps} of ours' ${scaleOut.ours.scaleInAlarms} scale-in alarms count ` +
    '`WakeUps`, so the missing SQS metrics of scenario (b) do not scale the woken service back in. ' +
    'Target-tracking policies are not modelled (Application Auto Scaling creates their alarms outside the template). ' +
    'Time to a running task (Fargate start) comes on top for both apps and is not documented as a figure.');
  say();
  const price = {
    ours: workerTaskHourPrice(templateOf(primary.ours), WORKLOADS[0]),
    baseline: workerTaskHourPrice(templateOf(primary.baseline), WORKLOADS[0]),
  };
  say(`Price of one default worker task-hour, relative to the baseline (${PRICE_SOURCE}):`);
  say();
  say('| app | vCPU | memory GiB | architecture | Fargate Spot share | relative price |');
  say('|---|---:|---:|---|---:|---:|');
  for (const kind of KINDS) {
    const p = price[kind];
    say(`| ${kind} | ${p.vcpu} | ${p.memoryGiB} | ${p.architecture} | ${(p.spotShare * 100).toFixed(0)} % | ${(p.usdPerHour / price.baseline.usdPerHour).toFixed(2)} |`);
  }
  say();

  say(`## What the five workloads cost (${PRICES.region} prices of ${PRICES.asOf})`);
  say();
  say('From the cost model that `npx cdk-ecs-workloads cost cdk.out` runs (`src/cost/`; prices and their sources in ' +
    '`src/cost/prices.ts`), on the 1-copy templates. Idle: no job or request, services at their minimum task count, ' +
    'Auto Scaling groups at their MinSize; free tiers not deducted.');
  say();
  const costs = { ours: costOf(primary.ours), baseline: costOf(primary.baseline) };
  say('| workload | ours USD/month idle | baseline USD/month idle |');
  say('|---|---:|---:|');
  const idleOf = (kind: Kind, group: string) => costs[kind].estimate.fixed
    .filter(l => costs[kind].workloadOf(l.logicalId) === group)
    .reduce((sum, l) => sum + (l.usdPerMonth ?? 0), 0);
  for (const group of [...WORKLOADS, 'shared cluster + VPC']) {
    say(`| ${group} | ${formatUsd(idleOf('ours', group))} | ${formatUsd(idleOf('baseline', group))} |`);
  }
  const totalOf = (kind: Kind) => `${costs[kind].estimate.fixedIncomplete ? '≥ ' : ''}${formatUsd(costs[kind].estimate.fixedTotal)}`;
  say(`| **total** | **${totalOf('ours')}** | **${totalOf('baseline')}** |`);
  say();
  const unitOf = (kind: Kind, workload: string, unit: string) => {
    const line = costs[kind].estimate.units.find(u => u.unit === unit && costs[kind].workloadOf(u.logicalId) === workload);
    return line ? formatUsd(line.usd) : 'n/a';
  };
  say('| app | worker task-hour | worker, per million jobs (task time excluded) | ALB, per million requests | not priced |');
  say('|---|---:|---:|---:|---:|');
  for (const kind of KINDS) {
    say(`| ${kind} | ${unitOf(kind, WORKLOADS[0], 'task-hour')} | ${unitOf(kind, WORKLOADS[0], 'million jobs')} | ` +
      `${unitOf(kind, WORKLOADS[1], 'million requests')} | ${costs[kind].estimate.notPriced.length} item(s) |`);
  }
  say();
  say('- Per million jobs: SQS send + receive + delete and the task\'s S3 GET; ours adds its wake-up path at the worst case ' +
    '(one FIFO gate message, pipe request, Express execution and X-Ray trace per upload). Per million ALB requests: LCUs from ' +
    'new connections only (25 per second per LCU, one connection per request).');
  for (const kind of KINDS) {
    for (const item of costs[kind].estimate.notPriced) say(`- Not priced (${kind}): ${item}.`);
  }
  say();
  say('![Median synthesis wall time](benchmarks.svg)');

  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, 'benchmarks.md'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(args.out, 'benchmarks.svg'), barChartSvg('Median synthesis wall time (ms), lower is better', chart));
  fs.rmSync(scratch, { recursive: true, force: true });
}

main();
