import * as fs from 'fs';
import * as path from 'path';
import { estimate } from '../../src/cost/model';
import { PRICES } from '../../src/cost/prices';
import { exampleApp } from '../deploy-proof/scenarios';

/**
 * The cost figures of the README's tables come from the cost model's prices: each figure below is
 * computed from `PRICES` (or from the model run on the example app) and must appear in the README as
 * written, so that a price update that forgets the README fails here.
 */
const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const month = PRICES.hoursPerMonth;
const usd = (n: number) => n.toFixed(2);

const example = (() => {
  const app = exampleApp();
  const assembly = app.app.synth();
  return estimate(app.stacks.map(s => ({ name: s.stackName, template: assembly.getStackByName(s.stackName).template })));
})();

test.each<[string, string]>([
  ['a NAT gateway a month', `**${usd(PRICES.vpc.natGatewayHour * month)} USD a month each**`],
  ['its public IPv4 address', `plus ${usd(PRICES.vpc.publicIpv4Hour * month)} USD for its public IPv4 address`],
  ['an interface endpoint per AZ', `**${usd(PRICES.vpc.interfaceEndpointAzHour * month)} USD a month per endpoint per AZ**`],
  ['4 to 7 endpoints in 2 AZs', `${Math.round(4 * 2 * PRICES.vpc.interfaceEndpointAzHour * month)}–${Math.round(7 * 2 * PRICES.vpc.interfaceEndpointAzHour * month)} USD a month for 2 AZs`],
  ['the 2 ECS Exec endpoints in 2 AZs', `${Math.round(7 * 2 * PRICES.vpc.interfaceEndpointAzHour * month)} USD a month for 2 AZs, ${Math.round(2 * 2 * PRICES.vpc.interfaceEndpointAzHour * month)} USD more with ECS Exec`],
  ['the cluster key', `**${PRICES.kms.keyMonth} USD a month** plus requests`],
  ['a 30 GiB root volume', `about ${usd(30 * PRICES.ebsGp3GbMonth)} USD a month per running instance (30 GiB × ${PRICES.ebsGp3GbMonth} USD)`],
  ['an ALB and an NLB', `An ALB costs ${usd(PRICES.elb.albHour * month)} USD a month plus LCUs, an NLB ${usd(PRICES.elb.nlbHour * month)} USD plus NLCUs`],
  ['a dashboard', `a dashboard costs **${PRICES.cloudwatch.dashboardMonth} USD a month**`],
  ['the deployment alarms', `0.10 USD per alarm-metric a month: ${usd(4 * PRICES.cloudwatch.alarmMetricMonth)} USD on an ALB (${usd(8 * PRICES.cloudwatch.alarmMetricMonth)} USD with two target groups), ` +
    `${usd(PRICES.cloudwatch.alarmMetricMonth)} USD on an NLB (${usd(2 * PRICES.cloudwatch.alarmMetricMonth)} USD)`],
  ['a blue/green rollout of 4 GPU tasks', `4 \`g5.xlarge\` tasks (${PRICES.ec2InstanceHour['g5.xlarge']} USD an hour each) with a 5-minute load costs about\n` +
    `${usd(4 * PRICES.ec2InstanceHour['g5.xlarge']! * (5 + 10) / 60)} USD more`],
])('README: %s', (_what, figure) => {
  expect(README).toContain(figure);
});

test('README: the wake-up path per million uploads, from the model of the example worker', () => {
  const worker = example.stacks.find(s => s.name === 'EcsWorkloads-BatchQueueWorker')!;
  const jobs = worker.units.find(u => u.unit === 'million jobs')!;
  const wakeUp = /wake-up path at worst case, one per upload \(\$([0-9.]+)\/M\)/.exec(jobs.what);
  expect(wakeUp).not.toBeNull();
  expect(README).toContain(`at most **${wakeUp![1]} USD per million uploads**`);
});

test('README: what the example app costs while idle, and its GPU instance', () => {
  const gpu = example.stacks.flatMap(s => s.fixed).find(l => l.logicalId.startsWith('TritonService'))!;
  const total = Math.round(example.fixedTotal).toLocaleString('en-US');
  expect(README).toContain(`idles at about ${total} USD a month: ${Math.round(gpu.usdPerMonth!)} USD of it is the g5.xlarge`);
});
