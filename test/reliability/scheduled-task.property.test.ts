import { Duration, TimeZone, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as fc from 'fast-check';
import {
  acknowledgeUserEnvironment, assertRejected, assertValidBatches, batchOf, breaker, Breaker, brokenCapacity, CapacitySpec, capacitySpec,
  capacityContainer, containerBreakers, containerSpec, ContainerSpec, Env, fileSeed, INVALID_RUNS, isFargate, isWindows, lift, ManagedKind,
  materializeCapacity, materializeContainer, params, portableVolumes, windowsCapacitySpec, windowsContainerBreakers,
} from './arbitraries';
import { buildQueue, buildTopic, suppressGuardRule } from '../../src/core/resources';
import { ScheduledTask, ScheduledTaskProps } from '../../src/scheduled-task/scheduled-task';

const seed = fileSeed('scheduled-task.property.test.ts');
const DAY = 86400;
const YEAR = 365 * DAY;

type ScheduleSpec =
  | { kind: 'cron'; minute: number; hour?: number; weekDay?: string; timeZone?: string }
  | { kind: 'rate'; amount: number; unit: 'minutes' | 'hours' | 'days' }
  | { kind: 'at'; epochDay: number }
  /** Invalid props only: an expression as the user typed it (scheduler.ScheduleExpression.expression). */
  | { kind: 'raw'; expression: string };

interface TaskSpec {
  readonly capacity?: CapacitySpec;
  readonly container: ContainerSpec;
  readonly placement?: boolean;
  readonly schedule: ScheduleSpec;
  readonly enabled?: boolean;
  readonly windowMinutes?: number;
  readonly maxRetryAttempts?: number;
  readonly maxEventAgeS?: number;
  readonly deadLetterQueue?: 'own' | 'imported';
  readonly failureTopic?: 'own' | 'imported';
  readonly timeoutS?: number;
  readonly taskRetryAttempts?: number;
  readonly securityGroup?: boolean;
  readonly scheduleGroup?: boolean;
  readonly scheduleName?: string;
  /** Days after 2030-01-01 (start) and the length of the window in days (end). */
  readonly startDay?: number;
  readonly endAfterDays?: number;
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const BASE_2030 = Date.UTC(2030, 0, 1);

const scheduleSpec: fc.Arbitrary<ScheduleSpec> = fc.oneof(
  fc.record({
    kind: fc.constant('cron' as const),
    minute: fc.integer({ min: 0, max: 59 }),
    hour: fc.integer({ min: 0, max: 23 }),
    weekDay: fc.constantFrom('MON', 'MON-FRI', 'SAT,SUN'),
    timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'),
  }, { requiredKeys: ['kind', 'minute'] }),
  fc.record({ kind: fc.constant('rate' as const), amount: fc.integer({ min: 1, max: 500 }), unit: fc.constantFrom('minutes' as const, 'hours' as const, 'days' as const) }),
  fc.record({ kind: fc.constant('at' as const), epochDay: fc.integer({ min: 0, max: 3650 }) }),
);

/**
 * Cron expressions EventBridge Scheduler rejects at deploy: a value out of its field's range (in a plain
 * value, a range or a list), or values in both day-of-month and day-of-week (one must be '?').
 */
const minute = fc.integer({ min: 0, max: 59 });
const hour = fc.integer({ min: 0, max: 23 });
const brokenCron: fc.Arbitrary<{ what: string; expression: string }> = fc.oneof(
  fc.tuple(fc.integer({ min: 60, max: 99 }), hour).map(([m, h]) => ({ what: 'minute out of range', expression: `cron(${m} ${h} * * ? *)` })),
  fc.tuple(minute, fc.integer({ min: 24, max: 99 })).map(([m, h]) => ({ what: 'hour out of range', expression: `cron(${m} ${h} * * ? *)` })),
  fc.tuple(minute, hour, fc.integer({ min: 24, max: 99 })).map(([m, h, bad]) => ({ what: 'hour out of range in a list', expression: `cron(${m} ${h},${bad} * * ? *)` })),
  fc.tuple(minute, hour, fc.oneof(fc.constant(0), fc.integer({ min: 32, max: 99 })))
    .map(([m, h, d]) => ({ what: 'day-of-month out of range', expression: `cron(${m} ${h} ${d} * ? *)` })),
  fc.tuple(minute, hour, fc.oneof(fc.constant(0), fc.integer({ min: 13, max: 99 })))
    .map(([m, h, mo]) => ({ what: 'month out of range', expression: `cron(${m} ${h} 1 ${mo} ? *)` })),
  fc.tuple(minute, hour, fc.integer({ min: 8, max: 99 })).map(([m, h, w]) => ({ what: 'day-of-week out of range in a range', expression: `cron(${m} ${h} ? * 2-${w} *)` })),
  fc.tuple(minute, hour, fc.oneof(fc.integer({ min: 0, max: 1969 }), fc.integer({ min: 2200, max: 9999 })))
    .map(([m, h, y]) => ({ what: 'year out of range', expression: `cron(${m} ${h} 1 1 ? ${y})` })),
  fc.tuple(minute, hour, fc.constantFrom('*', '1', '15', 'L'), fc.constantFrom('*', 'MON', '2-6', 'SAT,SUN'))
    .map(([m, h, d, w]) => ({ what: 'both day-of-month and day-of-week', expression: `cron(${m} ${h} ${d} * ${w} *)` })),
);

/** Valid specs on one capacity (undefined: the construct's default). */
const taskSpecOn = (capacity: CapacitySpec | undefined): fc.Arbitrary<TaskSpec> => {
  return fc.record({
    capacity: fc.constant(capacity),
    container: containerSpec(capacityContainer(capacity)),
    // Placement applies to EC2 providers only (refused on Fargate and Managed Instances).
    placement: capacity?.kind === 'ec2' ? opt(fc.boolean()) : fc.constant(undefined),
    schedule: scheduleSpec,
    enabled: opt(fc.boolean()),
    windowMinutes: opt(fc.integer({ min: 1, max: 1440 })),
    maxRetryAttempts: opt(fc.integer({ min: 0, max: 185 })),
    maxEventAgeS: opt(fc.integer({ min: 60, max: DAY })),
    deadLetterQueue: opt(fc.constantFrom('own' as const, 'imported' as const)),
    failureTopic: opt(fc.constantFrom('own' as const, 'imported' as const)),
    timeoutS: opt(fc.integer({ min: 60, max: YEAR })),
    taskRetryAttempts: opt(fc.integer({ min: 0, max: 10 })),
    securityGroup: opt(fc.boolean()),
    scheduleGroup: opt(fc.boolean()),
    scheduleName: opt(fc.stringMatching(/^[A-Za-z0-9._-]{1,50}$/)),
    startDay: opt(fc.integer({ min: 0, max: 3650 })),
    endAfterDays: opt(fc.integer({ min: 1, max: 3650 })),
  }, { requiredKeys: ['capacity', 'container', 'schedule'] }).map(s => ({
    ...s,
    // taskRetryAttempts needs timeout (a ValidationError otherwise: among the invalid props).
    taskRetryAttempts: s.timeoutS === undefined ? undefined : s.taskRetryAttempts,
    // start and end bound recurring schedules only.
    startDay: s.schedule.kind === 'at' ? undefined : s.startDay,
    endAfterDays: s.schedule.kind === 'at' ? undefined : s.endAfterDays,
  }));
};

const taskSpec: fc.Arbitrary<TaskSpec> = opt(capacitySpec(['arm', 'x86', 'gpu'], ['miArm', 'miX86', 'miGpu'], true)).chain(taskSpecOn);

function schedule(s: ScheduleSpec): scheduler.ScheduleExpression {
  switch (s.kind) {
    case 'cron': return scheduler.ScheduleExpression.cron({
      minute: String(s.minute),
      hour: s.hour !== undefined ? String(s.hour) : undefined,
      weekDay: s.weekDay,
      timeZone: s.timeZone ? TimeZone.of(s.timeZone) : undefined,
    });
    case 'rate': return scheduler.ScheduleExpression.rate(Duration[s.unit](s.amount));
    case 'at': return scheduler.ScheduleExpression.at(new Date(BASE_2030 + s.epochDay * DAY * 1000));
    case 'raw': return scheduler.ScheduleExpression.expression(s.expression);
  }
}

function materialize(env: Env, id: string, s: TaskSpec): ScheduledTaskProps {
  const stack = env.stack;
  const cluster = env.cluster;
  let deadLetterQueue: sqs.IQueue | undefined;
  if (s.deadLetterQueue === 'own') {
    const q = buildQueue(stack, `${id}UserDlq`, { encryptionKey: cluster.encryptionKey, retentionPeriod: Duration.days(14) });
    // The user's own dead-letter queue has no dead-letter queue of its own: acknowledged as the user would.
    Validations.of(q).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This is a dead-letter queue.' });
    suppressGuardRule(q, 'sqs_dlq_check', 'This is a dead-letter queue.');
    deadLetterQueue = q;
  } else if (s.deadLetterQueue === 'imported') {
    deadLetterQueue = sqs.Queue.fromQueueArn(stack, `${id}ImportedDlq`, `arn:aws:sqs:us-east-1:123456789012:${id}-dlq`);
  }
  const failureTopic: sns.ITopic | undefined = s.failureTopic === 'own'
    ? buildTopic(stack, `${id}UserTopic`, { encryptionKey: cluster.encryptionKey })
    : s.failureTopic === 'imported' ? sns.Topic.fromTopicArn(stack, `${id}ImportedTopic`, `arn:aws:sns:us-east-1:123456789012:${id}-failures`) : undefined;
  const start = s.startDay !== undefined ? new Date(BASE_2030 + s.startDay * DAY * 1000) : undefined;
  const end = s.endAfterDays !== undefined ? new Date((start?.getTime() ?? BASE_2030) + s.endAfterDays * DAY * 1000) : undefined;
  return {
    cluster,
    ...materializeContainer(env, s.container),
    capacity: s.capacity ? materializeCapacity(env, s.capacity) : undefined,
    placementStrategies: s.placement ? [ecs.PlacementStrategy.spreadAcrossInstances()] : undefined,
    placementConstraints: s.placement ? [ecs.PlacementConstraint.memberOf(`attribute:ecs.os-type == ${isWindows(s.capacity) ? 'windows' : 'linux'}`)] : undefined,
    schedule: schedule(s.schedule),
    enabled: s.enabled,
    flexibleTimeWindow: s.windowMinutes !== undefined ? Duration.minutes(s.windowMinutes) : undefined,
    maxRetryAttempts: s.maxRetryAttempts,
    maxEventAge: s.maxEventAgeS !== undefined ? Duration.seconds(s.maxEventAgeS) : undefined,
    deadLetterQueue,
    failureTopic,
    timeout: s.timeoutS !== undefined ? Duration.seconds(s.timeoutS) : undefined,
    taskRetryAttempts: s.taskRetryAttempts,
    securityGroups: s.securityGroup ? [new ec2.SecurityGroup(stack, `${id}UserSg`, { vpc: cluster.vpc, description: `Tasks of ${id}` })] : undefined,
    scheduleGroup: s.scheduleGroup ? new scheduler.ScheduleGroup(stack, `${id}Group`) : undefined,
    // Valid names are unique per schedule group: suffixed with the construct id (broken names are passed as they are).
    scheduleName: s.scheduleName !== undefined && s.scheduleName.length <= 50 && /^[A-Za-z0-9._-]+$/.test(s.scheduleName)
      ? `${s.scheduleName}-${id}` : s.scheduleName,
    start,
    end,
  };
}

function build(env: Env, id: string, s: TaskSpec): ScheduledTask {
  const task = new ScheduledTask(env.stack, id, materialize(env, id, s));
  acknowledgeUserEnvironment(s.container, task.taskDefinition);
  return task;
}

describe('ScheduledTask properties', () => {
  test('random valid props: zero findings of the cdk-nag packs and cfn-guard', () => {
    assertValidBatches(seed, batchOf(taskSpec, 3, 5), (specs: TaskSpec[]) => {
      const env = new Env();
      specs.forEach((s, i) => build(env, `Task${i}`, s));
      return env.stack;
    });
  });

  const broken: fc.Arbitrary<Breaker<TaskSpec>> = fc.oneof(
    fc.oneof(fc.integer({ min: 186, max: 1e5 }), fc.integer({ min: -100, max: -1 }), fc.double({ min: 0.1, max: 184, noInteger: true, noNaN: true }))
      .map(n => breaker<TaskSpec>(`maxRetryAttempts ${n}`, s => ({ ...s, maxRetryAttempts: n }))),
    fc.oneof(fc.integer({ min: 0, max: 59 }), fc.integer({ min: DAY + 1, max: 100 * DAY }),
      fc.double({ min: 61, max: DAY - 1, noInteger: true, noNaN: true }))
      .map(a => breaker<TaskSpec>(`maxEventAge ${a} s`, s => ({ ...s, maxEventAgeS: a }))),
    fc.oneof(fc.constant(0), fc.integer({ min: 1441, max: 1e5 }))
      .map(m => breaker<TaskSpec>(`flexibleTimeWindow ${m} min`, s => ({ ...s, windowMinutes: m }))),
    fc.integer({ min: 61, max: 1439 * 60 }).filter(x => x % 60 !== 0)
      .map(x => breaker<TaskSpec>(`flexibleTimeWindow ${x} s (part minutes)`, s => ({ ...s, windowMinutes: x / 60 }))),
    fc.oneof(fc.integer({ min: 0, max: 59 }), fc.integer({ min: YEAR + 1, max: 10 * YEAR }))
      .map(t => breaker<TaskSpec>(`timeout ${t} s`, s => ({ ...s, timeoutS: t, taskRetryAttempts: undefined }))),
    fc.oneof(fc.integer({ min: 11, max: 1000 }), fc.integer({ min: -10, max: -1 }))
      .map(n => breaker<TaskSpec>(`taskRetryAttempts ${n}`, s => ({ ...s, timeoutS: s.timeoutS ?? 3600, taskRetryAttempts: n }))),
    fc.integer({ min: 0, max: 10 }).map(n => breaker<TaskSpec>(`taskRetryAttempts ${n} without timeout`, s => ({ ...s, timeoutS: undefined, taskRetryAttempts: n }))),
    fc.tuple(fc.integer({ min: 0, max: 3650 }), fc.integer({ min: 0, max: 3650 })).map(([start, back]) => breaker<TaskSpec>(`end ${back} days before start`,
      s => ({ ...s, schedule: { kind: 'rate', amount: 1, unit: 'hours' }, startDay: start, endAfterDays: -back }))),
    fc.stringMatching(/^[A-Za-z0-9._-]{65,80}$/).map(n => breaker<TaskSpec>(`scheduleName of ${n.length} characters`, s => ({ ...s, scheduleName: n }))),
    fc.constantFrom('a b', 'a/b', 'a:b', 'ä', 'a*').map(n => breaker<TaskSpec>(`scheduleName ${JSON.stringify(n)}`, s => ({ ...s, scheduleName: n }))),
    fc.constant(breaker<TaskSpec>('a FIFO dead-letter queue', s => ({ ...s, deadLetterQueue: 'fifo' as any }))),
    brokenCron.map(({ what, expression }) => breaker<TaskSpec>(`schedule ${expression} (${what})`,
      s => ({ ...s, schedule: { kind: 'raw', expression }, startDay: undefined, endAfterDays: undefined }))),
    brokenCapacity.map(({ what, capacity }) => breaker<TaskSpec>(what, s => ({
      ...s,
      capacity,
      placement: undefined,
      container: { ...s.container, cpuArchitecture: undefined, gpuCount: undefined, volumes: portableVolumes(s.container.volumes) },
    }))),
    fc.constant(breaker<TaskSpec>('placement on Fargate', s => ({
      ...s,
      capacity: { kind: 'fargate' },
      placement: true,
      container: { ...s.container, gpuCount: undefined, volumes: undefined, resources: undefined, cpuArchitecture: undefined },
    }))),
    fc.constantFrom<ManagedKind>('miArm', 'miX86', 'miGpu').map(managed => breaker<TaskSpec>(`placement on Managed Instances ${managed}`, s => ({
      ...s,
      capacity: { kind: 'managed', managed },
      placement: true,
      container: { ...s.container, gpuCount: undefined, volumes: undefined, resources: undefined, cpuArchitecture: undefined },
    }), /placement(Strategies|Constraints) \(1 given\) apply to EC2 capacity only; on ECS Managed Instances, ECS places tasks by its own algorithm/)),
  );

  /** Valid specs on Linux Fargate or the ARM provider, with a container breaker of that capacity (EBS volumes fail synthesis: no service attaches them). */
  const containerBroken = fc.boolean().chain(fargate => fc.tuple(
    taskSpec.filter(s => !isWindows(s.capacity) && isFargate(s.capacity) === fargate && (fargate || (s.capacity as any).provider === 'arm')),
    containerBreakers({ fargate, provider: 'arm' }),
  ));

  /** Valid specs on each Managed Instances capacity, with a container breaker of that capacity (the refusal names the prop and the provider). */
  const managedBroken = fc.constantFrom<ManagedKind>('miArm', 'miX86', 'miGpu').chain(managed => fc.tuple(
    taskSpecOn({ kind: 'managed', managed }),
    containerBreakers({ fargate: false, managed }),
  ));

  /** Valid specs on Fargate Windows or the Windows provider, with a Windows breaker (Linux-only settings, volumes Windows cannot mount). */
  const windowsBroken = windowsCapacitySpec.chain(capacity => fc.tuple(
    taskSpecOn(capacity),
    fc.oneof(...windowsContainerBreakers({ fargate: capacity.kind === 'fargateWindows' })),
  ));

  test('random invalid props are rejected with a ValidationError', () => {
    fc.assert(fc.property(fc.oneof(
      fc.tuple(taskSpec, broken),
      fc.oneof(containerBroken, managedBroken, windowsBroken).map(([s, b]) =>
        [s, lift<TaskSpec, ContainerSpec>(b, (t, apply) => ({ ...t, container: apply(t.container) }))] as [TaskSpec, Breaker<TaskSpec>]),
    ), ([spec, b]) => {
      const bad = b.apply(spec);
      assertRejected(env => {
        const fifo = (bad.deadLetterQueue as string) === 'fifo';
        const props = materialize(env, 'Task', fifo ? { ...bad, deadLetterQueue: undefined } : bad);
        new ScheduledTask(env.stack, 'Task', fifo ? { ...props, deadLetterQueue: new sqs.Queue(env.stack, 'Fifo', { fifo: true }) } : props);
      }, b.what, b.message, b.atSynth);
    }), params(seed, INVALID_RUNS));
  });
});
