/**
 * Issue 13 (deploy-proof), metric semantics: the worker's scaling and the dead-letter / oldest-message
 * alarms behave as the README promises on metric timelines with the gaps AWS really produces (no SQS
 * metric for an inactive queue, no in-flight metric without messages in flight, late Container
 * Insights datapoints), under both readings of how metric math treats a missing operand. The
 * evaluator is in `metrics.ts`.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { CfnTemplate, logicalIdsOfType } from './graph';
import {
  AlarmRun, alarmDefinition, MetricId, metricProblems, MetricTimeline, MISSING_OPERAND_SEMANTICS, MissingOperand,
  parseExpression, runAlarm, ScalingSimulation, simulateStepScaling, targetTrackingSeries, evaluateQueries, ExpressionError,
} from './metrics';
import { IMAGE, workloadStack } from './scenarios';
import { logicalIdOf } from './template';
import { BatchQueueWorker, ScheduledTask } from '../../src';

// SQS metric publishing, from the SQS developer guide:
// - "A queue is considered active by CloudWatch for up to six hours from the last activity (i.e., any
//   API call) on the queue"; metrics are gathered only for active queues
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/MonitorSQSwithCloudWatch.html).
// - ApproximateNumberOfMessagesVisible is "reported if the queue is active",
//   ApproximateNumberOfMessagesNotVisible "if in-flight messages exist", ApproximateAgeOfOldestMessage
//   "if the queue contains at least one active message"
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
const SQS_ACTIVE_MINUTES = 6 * 60;

/** Metric identities as the template spells them (dimension values are intrinsics). */
interface WorkerMetrics {
  readonly visible: MetricId;
  readonly inFlight: MetricId;
  readonly oldestAge: MetricId;
  readonly dlqVisible: MetricId;
  readonly dlqInFlight: MetricId;
  readonly running: MetricId;
  readonly desired: MetricId;
}

interface WorkerFixture {
  readonly name: string;
  readonly minTasks: number;
  readonly worker: BatchQueueWorker;
  readonly template: CfnTemplate;
  readonly metrics: WorkerMetrics;
  readonly idleMinutes: number;
}

function sqsMetric(stack: Stack, queueName: string, metricName: string): MetricId {
  return { namespace: 'AWS/SQS', metricName, dimensions: { QueueName: stack.resolve(queueName) } };
}

function workerFixture(name: string, minTasks?: number): WorkerFixture {
  const { stack, cluster, workload: worker } = workloadStack((s, c) =>
    new BatchQueueWorker(s, 'Worker', { cluster: c, image: IMAGE, maxTasks: 10, minTasks }), { stackName: name });
  const ci = (metricName: string): MetricId => ({
    namespace: 'ECS/ContainerInsights',
    metricName,
    dimensions: { ClusterName: stack.resolve(cluster.cluster.clusterName), ServiceName: stack.resolve(worker.service.serviceName) },
  });
  return {
    name,
    minTasks: minTasks ?? 0,
    worker,
    template: Template.fromStack(stack).toJSON(),
    idleMinutes: 5, // the documented default of scaleInIdlePeriod
    metrics: {
      visible: sqsMetric(stack, worker.queue.queueName, 'ApproximateNumberOfMessagesVisible'),
      inFlight: sqsMetric(stack, worker.queue.queueName, 'ApproximateNumberOfMessagesNotVisible'),
      oldestAge: sqsMetric(stack, worker.queue.queueName, 'ApproximateAgeOfOldestMessage'),
      dlqVisible: sqsMetric(stack, worker.deadLetterQueue!.queueName, 'ApproximateNumberOfMessagesVisible'),
      dlqInFlight: sqsMetric(stack, worker.deadLetterQueue!.queueName, 'ApproximateNumberOfMessagesNotVisible'),
      running: ci('RunningTaskCount'),
      desired: ci('DesiredTaskCount'),
    },
  };
}

/** The worker's scaling pieces, found by what they do rather than by name. */
function scalingRoles(template: CfnTemplate) {
  const resources = template.Resources ?? {};
  const policies = logicalIdsOfType(template, 'AWS::ApplicationAutoScaling::ScalingPolicy');
  const steps = policies.filter(id => resources[id].Properties?.StepScalingPolicyConfiguration).map(id => [id, resources[id]] as const);
  const adjustments = (r: any): number[] => r.Properties.StepScalingPolicyConfiguration.StepAdjustments.map((s: any) => s.ScalingAdjustment);
  const type = (r: any): string => r.Properties.StepScalingPolicyConfiguration.AdjustmentType;
  const find = (what: string, pred: (r: any) => boolean): string | undefined => {
    const hits = steps.filter(([, r]) => pred(r)).map(([id]) => id);
    if (hits.length > 1) throw new Error(`more than one ${what} step scaling policy: ${hits.join(', ')}`);
    return hits[0];
  };
  const alarmOf = (policy: string | undefined): string | undefined => policy === undefined ? undefined : logicalIdsOfType(template, 'AWS::CloudWatch::Alarm')
    .find(id => (resources[id].Properties?.AlarmActions ?? []).some((a: any) => a?.Ref === policy));
  const fastPath = find('scale-out', r => type(r) === 'ChangeInCapacity' && adjustments(r).every(a => a > 0));
  const surplus = find('surplus scale-in', r => type(r) === 'ChangeInCapacity' && adjustments(r).every(a => a < 0));
  const idle = find('idle scale-in (ExactCapacity)', r => type(r) === 'ExactCapacity');
  const targetTracking = policies.filter(id => resources[id].Properties?.PolicyType === 'TargetTrackingScaling');
  return { fastPath, surplus, idle, fastPathAlarm: alarmOf(fastPath), surplusAlarm: alarmOf(surplus), idleAlarm: alarmOf(idle), targetTracking };
}

/** Publishes one minute of a queue's SQS metrics, as SQS would. */
function publishQueue(tl: MetricTimeline, m: { visible: MetricId; inFlight: MetricId; oldestAge?: MetricId }, minute: number,
  q: { active: boolean; visible: number; inFlight: number; oldestAgeSeconds?: number }): void {
  if (!q.active) return;
  tl.put(m.visible, minute, q.visible);
  if (q.inFlight > 0) tl.put(m.inFlight, minute, q.inFlight);
  if (m.oldestAge && q.visible + q.inFlight > 0 && q.oldestAgeSeconds !== undefined) tl.put(m.oldestAge, minute, q.oldestAgeSeconds);
}

/**
 * A queue, its consumers and Container Insights, minute by minute: tasks start one minute after the
 * desired count rises (and stop when it falls), each running task takes one waiting message and works
 * on it for `jobMinutes`, polling tasks keep the queue active.
 */
class WorkerWorld {
  public readonly inFlightByMinute = new Map<number, number>();
  private visible = 0;
  private jobs: number[] = [];
  private running = 0;
  private lastActivity: number;

  constructor(private readonly metrics: WorkerMetrics, private readonly options: {
    readonly jobMinutes: number;
    readonly arrivals?: ReadonlyMap<number, number>;
    readonly lastActivity: number;
    readonly initialRunning?: number;
    readonly ciLateBy?: number;
  }) {
    this.lastActivity = options.lastActivity;
    this.running = options.initialRunning ?? 0;
  }

  public readonly step = (minute: number, desired: number, tl: MetricTimeline): void => {
    const arriving = this.options.arrivals?.get(minute) ?? 0;
    if (arriving > 0) this.lastActivity = minute;
    this.visible += arriving;
    this.jobs = this.jobs.map(j => j - 1).filter(j => j > 0);
    this.jobs = this.jobs.slice(0, Math.max(0, this.running));
    const idle = this.running - this.jobs.length;
    const taken = Math.min(idle, this.visible);
    for (let i = 0; i < taken; i++) this.jobs.push(this.options.jobMinutes);
    const visibleMax = this.visible; // the per-minute maximum includes the message before it is received
    this.visible -= taken;
    if (this.running > 0) this.lastActivity = minute; // ReceiveMessage calls
    this.inFlightByMinute.set(minute, this.jobs.length);
    publishQueue(tl, this.metrics, minute, {
      active: minute - this.lastActivity < SQS_ACTIVE_MINUTES,
      visible: visibleMax,
      inFlight: this.jobs.length,
      oldestAgeSeconds: 60,
    });
    const lateBy = this.options.ciLateBy ?? 0;
    tl.put(this.metrics.running, minute, this.running, { lateBy });
    tl.put(this.metrics.desired, minute, desired, { lateBy });
    // Tasks follow the desired count: new tasks run from the next minute, surplus ones stop now.
    this.running = desired;
  };
}

function desiredValues(sim: ScalingSimulation, from = -Infinity, to = Infinity): number[] {
  return [...sim.desired].filter(([m]) => m >= from && m <= to).map(([, d]) => d);
}

function describeInvocations(sim: ScalingSimulation): string {
  const lines = sim.invocations.filter(i => i.before !== i.after).map(i => `  minute ${i.minute}: ${i.policy} ${i.before} → ${i.after} (value ${i.value})`);
  return lines.length ? lines.join('\n') : '  (no invocation changed the desired count)';
}

function firstAlarm(run: AlarmRun | undefined): number | undefined {
  return run?.transitionsToAlarm[0];
}

const semanticsName = (s: MissingOperand) => s === 'drops'
  ? 'an operand without a datapoint gives no datapoint'
  : 'an operand without a datapoint counts as 0';

let defaultWorker: WorkerFixture;
let twoTaskWorker: WorkerFixture;
let scheduled: { task: ScheduledTask; template: CfnTemplate; dlqVisible: MetricId; dlqInFlight: MetricId };

beforeAll(() => {
  defaultWorker = workerFixture('DefaultWorker');
  twoTaskWorker = workerFixture('TwoTaskWorker', 2);
  const { stack, workload: task } = workloadStack((s, cluster) =>
    new ScheduledTask(s, 'Task', { cluster, image: IMAGE, schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)) }), { stackName: 'Scheduled' });
  scheduled = {
    task,
    template: Template.fromStack(stack).toJSON(),
    dlqVisible: sqsMetric(stack, task.deadLetterQueue.queueName, 'ApproximateNumberOfMessagesVisible'),
    dlqInFlight: sqsMetric(stack, task.deadLetterQueue.queueName, 'ApproximateNumberOfMessagesNotVisible'),
  };
});

const workers = () => [defaultWorker, twoTaskWorker];

describe('the evaluator', () => {
  const tl = new MetricTimeline();
  const a: MetricId = { namespace: 'N', metricName: 'A', dimensions: { D: 'x' } };
  const b: MetricId = { namespace: 'N', metricName: 'B', dimensions: { D: 'x' } };
  [[0, 30], [1, 20], [2, 0], [3, 0]].forEach(([m, v]) => tl.put(a, m, v));
  [[0, 20], [2, 20]].forEach(([m, v]) => tl.put(b, m, v));
  const grid = [0, 1, 2, 3];
  const run = (expression: string, semantics: MissingOperand) => [...evaluateQueries([
    { id: 'metric1', metric: a, stat: 'Maximum', returnData: false },
    { id: 'metric2', metric: b, stat: 'Maximum', returnData: false },
    { id: 'e', expression, returnData: true },
  ], tl, { grid, periodMinutes: 1, now: 10, semantics })].sort(([x], [y]) => x - y);

  test('reproduces the documented comparison examples (missing counts as 0 beside a datapoint)', () => {
    // using-metric-math.html, "Comparison and logical operators": metric1 [30, 20, 0, 0], metric2 [20, -, 20, -].
    expect(run('metric1 < metric2', 'zero')).toEqual([[0, 0], [1, 0], [2, 1], [3, 0]]);
    expect(run('metric1 >= 30', 'zero')).toEqual([[0, 1], [1, 0], [2, 0], [3, 0]]);
    expect(run('metric1 > 15 AND metric2 > 15', 'zero')).toEqual([[0, 1], [1, 0], [2, 0], [3, 0]]);
  });

  test('arithmetic per timestamp, missing operands, division by zero, FILL', () => {
    expect(run('metric1 + metric2', 'drops')).toEqual([[0, 50], [2, 20]]);
    expect(run('metric1 + metric2', 'zero')).toEqual([[0, 50], [1, 20], [2, 20], [3, 0]]);
    expect(run('metric2 / metric1', 'drops')).toEqual([[0, 20 / 30]]);
    expect(run('metric1 + FILL(metric2, 0)', 'drops')).toEqual([[0, 50], [1, 20], [2, 20], [3, 0]]);
    expect(run('FILL(metric2, REPEAT)', 'drops')).toEqual([[0, 20], [1, 20], [2, 20], [3, 20]]);
    expect(run('FILL(metric2, LINEAR)', 'drops')).toEqual([[0, 20], [1, 20], [2, 20]]);
    expect(run('FILL(metric1 / 10, LINEAR)', 'drops')).toEqual([[0, 3], [1, 2], [2, 0], [3, 0]]);
    expect(run('IF(metric1 > 10, metric2)', 'drops')).toEqual([[0, 20]]);
    expect(run('IF(metric1 > 10, metric2)', 'zero')).toEqual([[0, 20], [1, 0]]);
    expect(run('MAX([metric1, metric2]) - -1', 'drops')).toEqual([[0, 31], [1, 21], [2, 21], [3, 1]]);
  });

  test('rejects what it cannot evaluate', () => {
    expect(() => parseExpression('RATE(m1)')).toThrow(ExpressionError);
    expect(() => parseExpression('m1 +')).toThrow(ExpressionError);
    expect(() => parseExpression('FILL(m1)')).toThrow(/FILL takes 2 arguments/);
    expect(metricProblems({
      Resources: {
        A: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { Metrics: [{ Id: 'e', Expression: 'm1 + m2', ReturnData: true }, { Id: 'm1', MetricStat: { Metric: {}, Period: 60, Stat: 'Sum' }, ReturnData: false }] },
        },
      },
    })).toEqual(['alarm A: e = m1 + m2 uses m2, which no entry defines']);
  });
});

describe('metric definitions of the templates', () => {
  test('every alarm and scaling expression parses and uses only defined ids', () => {
    expect(metricProblems(defaultWorker.template)).toEqual([]);
    expect(metricProblems(twoTaskWorker.template)).toEqual([]);
    expect(metricProblems(scheduled.template)).toEqual([]);
  });
});

describe.each(MISSING_OPERAND_SEMANTICS)('metric timelines (missing operand %s)', semantics => {
  const how = semanticsName(semantics);

  test('an idle queue (no SQS metric after 6 hours) gets one task within the fast path\'s bound after one message', () => {
    const f = defaultWorker;
    const roles = scalingRoles(f.template);
    const failures: string[] = [];
    if (!roles.fastPath || !roles.fastPathAlarm) throw new Error(`${f.name}: no scale-out-from-zero step policy with an alarm in the template`);
    const arrival = 7 * 60;
    const world = new WorkerWorld(f.metrics, { jobMinutes: 3, arrivals: new Map([[arrival, 1]]), lastActivity: 0 });
    const sim = simulateStepScaling(f.template, { from: 0, to: arrival + 30, initialDesired: 0, semantics, environment: world.step });

    // The model publishes what SQS does: nothing while inactive, no in-flight metric without jobs in flight.
    for (let m = SQS_ACTIVE_MINUTES; m < arrival; m++) {
      if (sim.timeline.published(f.metrics.visible, m) !== undefined) failures.push(`model: visible published at minute ${m} of an inactive queue`);
    }
    for (const [m, n] of world.inFlightByMinute) {
      if (n === 0 && sim.timeline.published(f.metrics.inFlight, m) !== undefined) failures.push(`model: in-flight metric published at minute ${m} with nothing in flight`);
    }
    const firstVisible = [...Array(arrival + 30).keys()].find(m => (sim.timeline.published(f.metrics.visible, m) ?? 0) >= 1);
    expect(firstVisible).toBe(arrival);

    const bound = arrival + 1 + f.worker.scaleOutFromZeroSeconds / 60;
    const started = sim.invocations.find(i => i.policy === roles.fastPath && i.after > i.before);
    if (!started || started.minute > bound) {
      failures.push(`${f.name}: scale-out-from-zero (${roles.fastPathAlarm} → ${roles.fastPath}) did not start a task by minute ${bound} ` +
        `(first visible datapoint at ${arrival}, fired at ${started?.minute ?? 'never'}; ${how})`);
    }
    if (sim.desired.get(arrival + 30) !== 1 && Math.max(...desiredValues(sim, arrival)) < 1) failures.push(`${f.name}: desired count never became 1`);
    const peak = Math.max(...desiredValues(sim));
    if (peak > 1) failures.push(`${f.name}: one message scaled the service to ${peak} tasks, not 1:\n${describeInvocations(sim)}`);
    expect(failures).toEqual([]);
  });

  test.each([['DefaultWorker'], ['TwoTaskWorker']])('%s: work done, queue empty, no in-flight metric: idle scale-in reaches minTasks after scaleInIdlePeriod', name => {
    const f = workers().find(w => w.name === name)!;
    const roles = scalingRoles(f.template);
    if (!roles.idle || !roles.idleAlarm) throw new Error(`${f.name}: no idle scale-in (ExactCapacity) step policy with an alarm in the template`);
    // The queue is busy for the first minutes (one job per task), then empty.
    const start = f.minTasks + 4;
    const world = new WorkerWorld(f.metrics, { jobMinutes: 8, arrivals: new Map([[0, start]]), lastActivity: 0, initialRunning: start });
    const sim = simulateStepScaling(f.template, { from: 0, to: 40, initialDesired: start, semantics, environment: world.step });
    const failures: string[] = [];
    const lastBusy = Math.max(...[...world.inFlightByMinute].filter(([, n]) => n > 0).map(([m]) => m));
    const due = lastBusy + 1 + f.idleMinutes;
    const idleAt = firstAlarm(sim.alarms.get(roles.idleAlarm));
    if (idleAt === undefined || idleAt > due + 1) {
      failures.push(`${f.name}: idle scale-in alarm ${roles.idleAlarm} reached ALARM at ${idleAt ?? 'never'}, expected by minute ${due + 1} ` +
        `(last job in flight at minute ${lastBusy}, scaleInIdlePeriod ${f.idleMinutes} min): the queue is empty (visible 0) and SQS publishes ` +
        `no in-flight metric without messages in flight (${how})`);
    }
    const early = desiredValues(sim, 0, due - 1).filter(d => d < start);
    if (early.length) failures.push(`${f.name}: scaled in before the queue had been empty for scaleInIdlePeriod (${f.idleMinutes} min, due at minute ${due}):\n${describeInvocations(sim)}`);
    if (sim.desired.get(40) !== f.minTasks) failures.push(`${f.name}: desired count ended at ${sim.desired.get(40)}, not minTasks ${f.minTasks}:\n${describeInvocations(sim)}`);
    expect(failures).toEqual([]);
  });

  test.each([['DefaultWorker'], ['TwoTaskWorker']])('%s: a queue that becomes inactive (no SQS metric at all) ends at minTasks and never scales out', name => {
    const f = workers().find(w => w.name === name)!;
    const failures: string[] = [];
    // (a) At minTasks when the queue goes silent for 8 hours.
    const silent = (minute: number, desired: number, tl: MetricTimeline) => {
      tl.put(f.metrics.running, minute, desired);
      tl.put(f.metrics.desired, minute, desired);
    };
    const quiet = simulateStepScaling(f.template, { from: 0, to: 8 * 60, initialDesired: f.minTasks, semantics, environment: silent });
    const outs = quiet.invocations.filter(i => i.after > i.before);
    if (outs.length) failures.push(`${f.name}: scaled out with no SQS metric at all:\n${describeInvocations(quiet)}`);
    if (Math.min(...desiredValues(quiet)) !== f.minTasks || Math.max(...desiredValues(quiet)) !== f.minTasks) {
      failures.push(`${f.name}: left minTasks ${f.minTasks} while the queue published nothing:\n${describeInvocations(quiet)}`);
    }
    // (b) Above minTasks, the queue empty for 3 minutes, then SQS publishes nothing at all (inactive).
    const start = f.minTasks + 2;
    const fading = (minute: number, desired: number, tl: MetricTimeline) => {
      if (minute < 3) publishQueue(tl, f.metrics, minute, { active: true, visible: 0, inFlight: 0 });
      silent(minute, desired, tl);
    };
    const faded = simulateStepScaling(f.template, { from: 0, to: 90, initialDesired: start, semantics, environment: fading });
    if (faded.desired.get(90) !== f.minTasks) {
      failures.push(`${f.name}: desired count ${faded.desired.get(90)} after 90 minutes without SQS metrics (queue inactive), not minTasks ${f.minTasks}; ` +
        `the idle scale-in must treat a queue that publishes nothing as empty (${how}):\n${describeInvocations(faded)}`);
    }
    if (Math.max(...desiredValues(faded)) > start) failures.push(`${f.name}: scaled out while the queue published nothing:\n${describeInvocations(faded)}`);
    expect(failures).toEqual([]);
  });

  test.each([['DefaultWorker'], ['TwoTaskWorker']])('%s: Container Insights one period late never makes the backlog per task the whole backlog', name => {
    const f = workers().find(w => w.name === name)!;
    const roles = scalingRoles(f.template);
    if (roles.targetTracking.length !== 1) throw new Error(`${f.name}: expected one target-tracking policy, found ${roles.targetTracking.length}`);
    const tl = new MetricTimeline();
    for (let m = 0; m < 40; m++) {
      publishQueue(tl, f.metrics, m, { active: true, visible: 100, inFlight: 10, oldestAgeSeconds: 300 });
      // The datapoint for minute m appears at m + 2.
      tl.put(f.metrics.running, m, 10, { lateBy: 1 });
      tl.put(f.metrics.desired, m, 10, { lateBy: 1 });
    }
    const failures: string[] = [];
    const seen = targetTrackingSeries(f.template, roles.targetTracking[0], tl, { from: 5, to: 40, semantics });
    for (const [now, window] of seen) {
      if (window.size === 0) failures.push(`${f.name}: at minute ${now} the target-tracking policy ${roles.targetTracking[0]} sees no backlog-per-task value at all`);
      for (const [t, v] of window) {
        if (v >= 100) {
          failures.push(`${f.name}: at minute ${now} target tracking ${roles.targetTracking[0]} sees backlog per task ${v} for minute ${t} ` +
            `(100 waiting, 10 tasks running): the late RunningTaskCount datapoint was read as "no task" (${how})`);
          break;
        }
      }
      if (failures.length > 3) break;
    }
    if (roles.fastPathAlarm) {
      const run = runAlarm(alarmDefinition(f.template, roles.fastPathAlarm), tl, { from: 5, to: 40, semantics });
      if (run.scalingInvocations.length) {
        failures.push(`${f.name}: scale-out-from-zero alarm ${roles.fastPathAlarm} invoked its policy at minutes ${run.scalingInvocations.slice(0, 5).join(', ')}... ` +
          `while 10 tasks run: a late DesiredTaskCount datapoint was read as "no task wanted" (${how})`);
      }
    }
    expect(failures).toEqual([]);
  });

  test.each([['DefaultWorker'], ['TwoTaskWorker']])('%s: surplus scale-in keeps the tasks with jobs in flight, and still removes surplus without an in-flight metric', name => {
    const f = workers().find(w => w.name === name)!;
    const roles = scalingRoles(f.template);
    if (!roles.surplus || !roles.surplusAlarm) throw new Error(`${f.name}: no surplus scale-in step policy with an alarm in the template`);
    const failures: string[] = [];
    // Messages waited during the first 5 minutes; then none is visible.
    const env = (inFlight: number) => (minute: number, desired: number, tl: MetricTimeline) => {
      publishQueue(tl, f.metrics, minute, { active: true, visible: minute < 5 ? 3 : 0, inFlight, oldestAgeSeconds: 60 });
      tl.put(f.metrics.running, minute, desired);
      tl.put(f.metrics.desired, minute, desired);
    };
    const busy = simulateStepScaling(f.template, { from: 0, to: 40, initialDesired: 5, semantics, environment: env(2) });
    const floor = Math.max(2, f.minTasks);
    if (Math.min(...desiredValues(busy)) < floor) failures.push(`${f.name}: with 2 jobs in flight the service went below ${floor} tasks:\n${describeInvocations(busy)}`);
    if (busy.desired.get(40) !== floor) failures.push(`${f.name}: 5 tasks, 2 jobs in flight, none waiting: ended at ${busy.desired.get(40)} tasks, not ${floor}:\n${describeInvocations(busy)}`);

    const none = simulateStepScaling(f.template, { from: 0, to: 40, initialDesired: 5, semantics, environment: env(0) });
    if (firstAlarm(none.alarms.get(roles.surplusAlarm)) === undefined) {
      failures.push(`${f.name}: surplus alarm ${roles.surplusAlarm} never reached ALARM with 5 tasks, 0 visible and no in-flight metric published (${how})`);
    }
    if (none.desired.get(40) !== f.minTasks) failures.push(`${f.name}: 5 tasks, nothing visible, no in-flight metric: ended at ${none.desired.get(40)} tasks, not ${f.minTasks}:\n${describeInvocations(none)}`);
    expect(failures).toEqual([]);
  });

  const dlqCases = () => [
    { what: 'worker', template: defaultWorker.template, alarm: logicalIdOf(defaultWorker.worker.deadLetterQueueAlarm!), visible: defaultWorker.metrics.dlqVisible, inFlight: defaultWorker.metrics.dlqInFlight },
    { what: 'scheduled task', template: scheduled.template, alarm: logicalIdOf(scheduled.task.deadLetterQueueAlarm), visible: scheduled.dlqVisible, inFlight: scheduled.dlqInFlight },
  ];

  test.each([['worker'], ['scheduled task']])('%s dead-letter queue alarm: one unconsumed message fires it within 2 minutes; an empty, inactive queue never does', what => {
    const c = dlqCases().find(x => x.what === what)!;
    const alarm = alarmDefinition(c.template, c.alarm);
    const failures: string[] = [];
    const landed = 30;
    const tl = new MetricTimeline();
    // Inactive (nothing published) until the message lands; nothing receives it, so no in-flight metric.
    for (let m = landed; m < landed + 60; m++) publishQueue(tl, c, m, { active: true, visible: 1, inFlight: 0 });
    const run = runAlarm(alarm, tl, { from: 0, to: landed + 60, semantics });
    const fired = firstAlarm(run);
    if (fired === undefined || fired > landed + 2) {
      failures.push(`${what}: dead-letter queue alarm ${c.alarm} fired at ${fired ?? 'never'} for a message that landed at minute ${landed} ` +
        `(visible 1 from then on, ApproximateNumberOfMessagesNotVisible never published since nothing receives it; ${how})`);
    }
    if (fired !== undefined && fired <= landed) failures.push(`${what}: dead-letter queue alarm ${c.alarm} fired at ${fired}, before the message landed`);

    const empty = runAlarm(alarm, new MetricTimeline(), { from: 0, to: 8 * 60, semantics });
    const bad = [...empty.states].filter(([, s]) => s === 'ALARM');
    if (bad.length) failures.push(`${what}: dead-letter queue alarm ${c.alarm} went to ALARM at minute ${bad[0][0]} with an empty, inactive queue`);
    expect(failures).toEqual([]);
  });

  test('oldest-message-age alarm fires when the age crosses maxMessageAge and not on gaps', () => {
    const f = defaultWorker;
    const alarm = alarmDefinition(f.template, logicalIdOf(f.worker.oldestMessageAgeAlarm));
    const maxAgeMinutes = 15 + 60; // default maxMessageAge: jobTimeout (15 min) + 1 hour
    const failures: string[] = [];
    const stuck = new MetricTimeline();
    for (let m = 0; m < 120; m++) publishQueue(stuck, f.metrics, m, { active: true, visible: 1, inFlight: 0, oldestAgeSeconds: m * 60 });
    const run = runAlarm(alarm, stuck, { from: 0, to: 120, semantics });
    const fired = firstAlarm(run);
    if (fired === undefined || fired < maxAgeMinutes || fired > maxAgeMinutes + 2) {
      failures.push(`oldest-message-age alarm ${alarm.logicalId} fired at ${fired ?? 'never'}; the age reaches maxMessageAge (${maxAgeMinutes} min) in the datapoint of minute ${maxAgeMinutes}`);
    }
    // Gaps: datapoints on even minutes only, a 20-minute hole, then an empty queue (no age published).
    const gappy = new MetricTimeline();
    for (let m = 0; m < 60; m++) {
      if (m % 2 === 0 && (m < 20 || m > 40)) publishQueue(gappy, f.metrics, m, { active: true, visible: 1, inFlight: 0, oldestAgeSeconds: m * 60 });
    }
    for (let m = 60; m < 300; m++) publishQueue(gappy, f.metrics, m, { active: true, visible: 0, inFlight: 0 });
    const gaps = runAlarm(alarm, gappy, { from: 0, to: 300, semantics });
    if (gaps.transitionsToAlarm.length) failures.push(`oldest-message-age alarm ${alarm.logicalId} fired at minute ${gaps.transitionsToAlarm[0]} on gaps while every age was below maxMessageAge`);
    expect(failures).toEqual([]);
  });
});
