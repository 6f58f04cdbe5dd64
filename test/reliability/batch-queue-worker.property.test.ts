import { Duration, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as fc from 'fast-check';
import {
  acknowledgeUserEnvironment, assertRejected, assertValidBatches, batchOf, breaker, Breaker, brokenCapacity, CapacitySpec, capacitySpec,
  capacityContainer, containerBreakers, containerSpec, ContainerSpec, Env, fileSeed, INVALID_RUNS, isFargate, isWindows, lift, ManagedKind,
  materializeCapacity, materializeContainer, params, portableVolumes, PROVIDER_LIMITS, windowsCapacitySpec, windowsContainerBreakers,
} from './arbitraries';
import { BatchQueueWorker, BatchQueueWorkerProps } from '../../src/batch-queue-worker/batch-queue-worker';
import { buildBucket, buildQueue, suppressGuardRule } from '../../src/core/resources';

const seed = fileSeed('batch-queue-worker.property.test.ts');
const MAX_VISIBILITY = 12 * 3600;

type Source =
  | { kind: 'bucket' }
  | { kind: 'importedBucket' }
  | { kind: 'queue'; visibilityS: number }
  | { kind: 'importedQueue' };

interface WorkerSpec {
  readonly capacity?: CapacitySpec;
  readonly container: ContainerSpec;
  readonly placement?: boolean;
  readonly maxTasks: number;
  readonly minTasks?: number;
  readonly backlogPerTaskTarget?: number;
  readonly idleMinutes?: number;
  readonly jobTimeoutS?: number;
  readonly visibilityS?: number;
  readonly maxReceiveCount?: number;
  readonly maxMessageAgeS?: number;
  readonly source: Source;
  readonly inputPrefix?: string;
  readonly inputSuffix?: string;
  readonly output?: { bucket: 'input' | 'own' | 'imported' | 'inputObject'; prefix?: string };
  readonly taskProtection?: boolean;
  readonly alarmTopic?: 'own' | 'imported';
  /** Only with minTasks 0 (or unset) when true. */
  readonly wakeUp?: boolean;
  /** A producer's rule passed to `wakeOn()` (needs the wake-up on). */
  readonly wakeOnRule?: boolean;
}

/** S3 key prefixes of "safe" characters, never starting with '/'. */
const keyPrefix = fc.stringMatching(/^[a-zA-Z0-9!_.*'()-][a-zA-Z0-9!_.*'()/-]{0,20}$/);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/** Valid specs on one capacity (undefined: the construct's default). */
const workerSpecOn = (capacity: CapacitySpec | undefined): fc.Arbitrary<WorkerSpec> => {
  return fc.record({
    capacity: fc.constant(capacity),
    // A REPLICA service: it attaches EBS volumes.
    container: containerSpec({ ...capacityContainer(capacity), ebs: true }),
    // Placement applies to EC2 providers only (refused on Fargate and Managed Instances).
    placement: capacity?.kind === 'ec2' ? opt(fc.boolean()) : fc.constant(undefined),
    maxTasks: fc.integer({ min: 1, max: 5000 }),
    minFraction: opt(fc.double({ min: 0, max: 1, noNaN: true })),
    backlogPerTaskTarget: opt(fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.01, max: 1000, noNaN: true }))),
    idleMinutes: opt(fc.integer({ min: 1, max: 1440 })),
    jobTimeoutS: opt(fc.integer({ min: 1, max: MAX_VISIBILITY })),
    visibilityExtra: opt(fc.double({ min: 0, max: 1, noNaN: true })),
    maxReceiveCount: opt(fc.integer({ min: 1, max: 1000 })),
    maxMessageAgeS: opt(fc.integer({ min: 60, max: 14 * 24 * 3600 })),
    source: fc.constantFrom('bucket', 'importedBucket', 'queue', 'importedQueue'),
    inputPrefix: opt(fc.oneof(fc.constant(''), keyPrefix)),
    inputSuffix: opt(fc.stringMatching(/^[a-zA-Z0-9._*-]{1,8}$/)),
    output: opt(fc.record({ bucket: fc.constantFrom('input' as const, 'own' as const, 'imported' as const, 'inputObject' as const), prefix: opt(keyPrefix) })),
    taskProtection: opt(fc.boolean()),
    alarmTopic: opt(fc.constantFrom('own' as const, 'imported' as const)),
    wakeUp: opt(fc.boolean()),
    wakeOnRule: opt(fc.boolean()),
  }, { requiredKeys: ['capacity', 'container', 'maxTasks', 'source'] }).map(r => {
    const job = r.jobTimeoutS ?? 900;
    const minTasks = r.minFraction === undefined ? undefined : Math.floor(r.minFraction * r.maxTasks);
    const visibility = r.visibilityExtra === undefined ? undefined : job + Math.floor(r.visibilityExtra * (MAX_VISIBILITY - job));
    const queueMode = r.source === 'queue' || r.source === 'importedQueue';
    let output = r.output;
    let inputPrefix = queueMode ? undefined : r.inputPrefix;
    if (output) {
      if (queueMode && (output.bucket === 'input' || output.bucket === 'inputObject')) output = { ...output, bucket: 'own' };
      if (output.bucket === 'inputObject' && r.source !== 'importedBucket') output = { ...output, bucket: 'input' };
      if (output.bucket === 'input' || output.bucket === 'inputObject') {
        // The same bucket: the prefixes must not contain one another (otherwise every result is a new job).
        const out = output.prefix ?? '';
        const inp = inputPrefix ?? '';
        if (output.bucket === 'input' && output.prefix === undefined) output = { ...output, prefix: 'out/' };
        if (overlaps(output.prefix ?? '', inp) || overlaps(out, inp)) {
          inputPrefix = 'in/';
          output = { ...output, prefix: 'out/' };
        }
      }
    }
    const source: Source = r.source === 'queue' ? { kind: 'queue', visibilityS: visibility ?? Math.min(job + 120, MAX_VISIBILITY) } : { kind: r.source } as Source;
    return {
      capacity: r.capacity,
      container: r.container,
      placement: r.placement,
      maxTasks: r.maxTasks,
      minTasks,
      backlogPerTaskTarget: r.backlogPerTaskTarget,
      idleMinutes: r.idleMinutes,
      jobTimeoutS: r.jobTimeoutS,
      visibilityS: queueMode ? undefined : visibility,
      maxReceiveCount: queueMode ? undefined : r.maxReceiveCount,
      maxMessageAgeS: r.maxMessageAgeS,
      source,
      inputPrefix,
      inputSuffix: queueMode ? undefined : r.inputSuffix,
      output,
      taskProtection: r.taskProtection,
      alarmTopic: r.alarmTopic,
      // wakeUp true needs minTasks 0; wakeOn needs the wake-up on (the default with minTasks 0).
      wakeUp: r.wakeUp === true && (minTasks ?? 0) > 0 ? undefined : r.wakeUp,
      wakeOnRule: r.wakeOnRule && (r.wakeUp ?? (minTasks ?? 0) === 0) && !(r.wakeUp === true && (minTasks ?? 0) > 0) ? true : undefined,
    };
  });
};

const workerSpec: fc.Arbitrary<WorkerSpec> = opt(capacitySpec(['arm', 'x86', 'gpu'], ['miArm', 'miX86', 'miGpu'], true)).chain(workerSpecOn);

function materialize(env: Env, id: string, s: WorkerSpec): BatchQueueWorkerProps {
  const stack = env.stack;
  const cluster = env.cluster;
  let queue: sqs.IQueue | undefined;
  let inputBucket: s3.IBucket | undefined;
  if (s.source.kind === 'queue') {
    // The user's own queue, built like ours: encrypted, TLS only, with a dead-letter queue.
    const dlq = buildQueue(stack, `${id}UserDlq`, { encryptionKey: cluster.encryptionKey, retentionPeriod: Duration.days(14) });
    // The user's dead-letter queue has no dead-letter queue of its own: acknowledged as the user would.
    Validations.of(dlq).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This is a dead-letter queue.' });
    suppressGuardRule(dlq, 'sqs_dlq_check', 'This is a dead-letter queue.');
    queue = buildQueue(stack, `${id}UserQueue`, {
      encryptionKey: cluster.encryptionKey,
      visibilityTimeout: Duration.seconds(s.source.visibilityS),
      deadLetterQueue: { queue: dlq, maxReceiveCount: 3 },
    });
  } else if (s.source.kind === 'importedQueue') {
    queue = sqs.Queue.fromQueueArn(stack, `${id}ImportedQueue`, `arn:aws:sqs:us-east-1:123456789012:${id.toLowerCase()}-jobs`);
  } else if (s.source.kind === 'importedBucket') {
    inputBucket = s3.Bucket.fromBucketName(stack, `${id}ImportedInput`, `${id.toLowerCase()}-input-bucket`);
  }
  let outputBucket: s3.IBucket | undefined;
  switch (s.output?.bucket) {
    case 'own':
      // The user's own results bucket, built compliant (Control Tower wants event notifications on).
      outputBucket = buildBucket(stack, `${id}Results`, { encryptionKey: cluster.encryptionKey, serverAccessLogsBucket: cluster.accessLogsBucket, eventBridgeEnabled: true });
      break;
    case 'imported':
      outputBucket = s3.Bucket.fromBucketName(stack, `${id}ImportedResults`, `${id.toLowerCase()}-results-bucket`);
      break;
    case 'inputObject':
      outputBucket = inputBucket;
      break;
  }
  const alarmTopic = s.alarmTopic === 'own'
    ? new sns.Topic(stack, `${id}Alarms`, { masterKey: cluster.encryptionKey, enforceSSL: true })
    : s.alarmTopic === 'imported' ? sns.Topic.fromTopicArn(stack, `${id}ImportedAlarms`, `arn:aws:sns:us-east-1:123456789012:${id}-alarms`) : undefined;
  return {
    cluster,
    ...materializeContainer(env, s.container),
    capacity: s.capacity ? materializeCapacity(env, s.capacity) : undefined,
    placementStrategies: s.placement ? [ecs.PlacementStrategy.packedByCpu()] : undefined,
    placementConstraints: s.placement ? [ecs.PlacementConstraint.distinctInstances()] : undefined,
    maxTasks: s.maxTasks,
    minTasks: s.minTasks,
    backlogPerTaskTarget: s.backlogPerTaskTarget,
    scaleInIdlePeriod: s.idleMinutes !== undefined ? Duration.minutes(s.idleMinutes) : undefined,
    jobTimeout: s.jobTimeoutS !== undefined ? Duration.seconds(s.jobTimeoutS) : undefined,
    visibilityTimeout: s.visibilityS !== undefined ? Duration.seconds(s.visibilityS) : undefined,
    maxReceiveCount: s.maxReceiveCount,
    maxMessageAge: s.maxMessageAgeS !== undefined ? Duration.seconds(s.maxMessageAgeS) : undefined,
    queue,
    inputBucket,
    inputPrefix: s.inputPrefix,
    inputSuffix: s.inputSuffix,
    outputBucket,
    outputPrefix: s.output?.prefix,
    taskProtection: s.taskProtection,
    alarmTopic,
    wakeUp: s.wakeUp,
  };
}

function build(env: Env, id: string, s: WorkerSpec): BatchQueueWorker {
  const worker = new BatchQueueWorker(env.stack, id, materialize(env, id, s));
  acknowledgeUserEnvironment(s.container, worker.taskDefinition);
  if (s.wakeOnRule) worker.wakeOn(new events.Rule(env.stack, `${id}JobsPublished`, { eventPattern: { source: ['producer.jobs'] } }));
  return worker;
}

describe('BatchQueueWorker properties', () => {
  test('random valid props: zero findings of the cdk-nag packs and cfn-guard', () => {
    assertValidBatches(seed, batchOf(workerSpec, 3, 5), (specs: WorkerSpec[]) => {
      const env = new Env();
      specs.forEach((s, i) => build(env, `Worker${i}`, s));
      return env.stack;
    });
  });

  const sec = (n: number) => n;
  const broken: fc.Arbitrary<Breaker<WorkerSpec>> = fc.oneof(
    fc.oneof(fc.integer({ min: 5001, max: 1e6 }), fc.integer({ min: -10, max: 0 }), fc.double({ min: 1.01, max: 99.9, noInteger: true, noNaN: true }))
      .map(n => breaker<WorkerSpec>(`maxTasks ${n}`, s => ({ ...s, maxTasks: n, minTasks: undefined }))),
    fc.integer({ min: -100, max: -1 }).map(n => breaker<WorkerSpec>(`minTasks ${n}`, s => ({ ...s, minTasks: n }))),
    fc.integer({ min: 1, max: 5000 }).map(m => breaker<WorkerSpec>(`wakeUp true with minTasks ${m}`, s => ({ ...s, minTasks: Math.min(m, s.maxTasks), maxTasks: Math.max(m, s.maxTasks), wakeUp: true }))),
    fc.integer({ min: 1, max: 100 }).map(d => breaker<WorkerSpec>(`minTasks = maxTasks + ${d}`, s => ({ ...s, minTasks: Math.min(s.maxTasks + d, 5000), maxTasks: Math.min(s.maxTasks, 4999) }))),
    fc.oneof(fc.constant(0), fc.integer({ min: MAX_VISIBILITY + 1, max: 10 * MAX_VISIBILITY }))
      .map(t => breaker<WorkerSpec>(`jobTimeout ${t} s`, s => ({ ...s, jobTimeoutS: sec(t), visibilityS: undefined, source: s.source.kind === 'queue' ? { kind: 'bucket' } : s.source }))),
    fc.oneof(fc.integer({ min: 1001, max: 1e5 }), fc.integer({ min: -5, max: 0 }))
      .map(n => breaker<WorkerSpec>(`maxReceiveCount ${n}`, s => ({ ...s, maxReceiveCount: n, source: { kind: 'bucket' } }))),
    fc.oneof(fc.constant(0), fc.integer({ min: 1441, max: 100000 }))
      .map(m => breaker<WorkerSpec>(`scaleInIdlePeriod ${m} min`, s => ({ ...s, idleMinutes: m }))),
    fc.oneof(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 14 * 24 * 3600 + 1, max: 1e8 }))
      .map(a => breaker<WorkerSpec>(`maxMessageAge ${a} s`, s => ({ ...s, maxMessageAgeS: a }))),
    fc.oneof(fc.constant(0), fc.constant(Number.NaN), fc.double({ min: -1000, max: -0.001, noNaN: true }))
      .map(t => breaker<WorkerSpec>(`backlogPerTaskTarget ${t}`, s => ({ ...s, backlogPerTaskTarget: t }))),
    fc.integer({ min: 2, max: MAX_VISIBILITY }).map(j => breaker<WorkerSpec>(`visibilityTimeout below jobTimeout ${j} s`,
      s => ({ ...s, jobTimeoutS: j, visibilityS: j - 1, source: { kind: 'bucket' } }))),
    fc.integer({ min: MAX_VISIBILITY + 1, max: 1e6 }).map(v => breaker<WorkerSpec>(`visibilityTimeout ${v} s`,
      s => ({ ...s, visibilityS: v, source: { kind: 'bucket' } }))),
    fc.integer({ min: 2, max: MAX_VISIBILITY }).map(j => breaker<WorkerSpec>(`own queue's visibility below jobTimeout ${j} s`,
      s => ({ ...s, jobTimeoutS: j, visibilityS: undefined, maxReceiveCount: undefined, inputPrefix: undefined, inputSuffix: undefined, output: undefined, source: { kind: 'queue', visibilityS: j - 1 } }))),
    fc.constantFrom<[string, (s: WorkerSpec) => WorkerSpec]>(
      ['queue with inputPrefix', s => ({ ...s, source: { kind: 'importedQueue' }, inputPrefix: 'in/', inputSuffix: undefined, visibilityS: undefined, maxReceiveCount: undefined, output: undefined })],
    ['queue with inputSuffix', s => ({ ...s, source: { kind: 'importedQueue' }, inputPrefix: undefined, inputSuffix: '.csv', visibilityS: undefined, maxReceiveCount: undefined, output: undefined })],
    ['queue with visibilityTimeout', s => ({ ...s, source: { kind: 'importedQueue' }, inputPrefix: undefined, inputSuffix: undefined, jobTimeoutS: 60, visibilityS: 600, maxReceiveCount: undefined, output: undefined })],
    ['queue with maxReceiveCount', s => ({ ...s, source: { kind: 'importedQueue' }, inputPrefix: undefined, inputSuffix: undefined, visibilityS: undefined, maxReceiveCount: 5, output: undefined })],
    ['queue with outputPrefix but no outputBucket', s => ({ ...s, source: { kind: 'importedQueue' }, inputPrefix: undefined, inputSuffix: undefined, visibilityS: undefined, maxReceiveCount: undefined, output: { bucket: 'input', prefix: 'out/' } })],
    ["inputSuffix ''", s => ({ ...s, source: { kind: 'bucket' }, inputSuffix: '' })],
    ).map(([what, apply]) => breaker(what, apply)),
    keyPrefix.map(p => breaker<WorkerSpec>(`inputPrefix '/${p}'`, s => ({ ...s, source: { kind: 'bucket' }, inputPrefix: `/${p}` }))),
    keyPrefix.map(p => breaker<WorkerSpec>(`outputPrefix '/${p}'`, s => ({ ...s, source: { kind: 'bucket' }, output: { bucket: 'own', prefix: `/${p}` } }))),
    fc.integer({ min: 1025, max: 3000 }).map(n => breaker<WorkerSpec>(`inputPrefix of ${n} characters`, s => ({ ...s, source: { kind: 'bucket' }, inputPrefix: 'a'.repeat(n) }))),
    fc.tuple(keyPrefix, fc.stringMatching(/^[a-z0-9/]{0,6}$/)).map(([p, more]) => breaker<WorkerSpec>(`outputPrefix '${p}${more}' inside inputPrefix '${p}' of one bucket`,
      s => ({ ...s, source: { kind: 'bucket' }, inputPrefix: p, output: { bucket: 'input', prefix: `${p}${more}` } }))),
    fc.constant(breaker<WorkerSpec>('queue and inputBucket', s => ({ ...s, source: { kind: 'importedQueue' }, inputPrefix: undefined, inputSuffix: undefined, visibilityS: undefined, maxReceiveCount: undefined, output: undefined }))),
    brokenCapacity.map(({ what, capacity }) => breaker<WorkerSpec>(what, s => ({
      ...s,
      capacity,
      placement: undefined,
      container: { ...s.container, cpuArchitecture: undefined, gpuCount: undefined, volumes: portableVolumes(s.container.volumes) },
    }))),
    fc.constant(breaker<WorkerSpec>('placement on Fargate', s => ({ ...s, capacity: { kind: 'fargate' }, placement: true, container: { ...s.container, gpuCount: undefined, volumes: undefined, resources: undefined, cpuArchitecture: undefined } }))),
    fc.constantFrom<ManagedKind>('miArm', 'miX86', 'miGpu').map(managed => breaker<WorkerSpec>(`placement on Managed Instances ${managed}`, s => ({
      ...s,
      capacity: { kind: 'managed', managed },
      placement: true,
      container: { ...s.container, gpuCount: undefined, volumes: undefined, resources: undefined, cpuArchitecture: undefined },
    }), /placement(Strategies|Constraints) \(1 given\) apply to EC2 capacity only; on ECS Managed Instances, ECS places tasks by its own algorithm/)),
    fc.integer({ min: PROVIDER_LIMITS.gpu.gpus + 1, max: 16 }).map(g => breaker<WorkerSpec>(`gpuCount ${g} on the GPU provider, more than its instance types have`, s => ({
      ...s,
      capacity: { kind: 'ec2', provider: 'gpu' },
      container: { ...s.container, gpuCount: g, resources: undefined, cpuArchitecture: undefined, volumes: portableVolumes(s.container.volumes) },
    }))),
  );

  /** Valid specs on Linux Fargate (Spot by default) or the ARM provider, with a container breaker of that capacity. */
  const containerBroken = fc.boolean().chain(fargate => fc.tuple(
    workerSpec.filter(s => !isWindows(s.capacity) && isFargate(s.capacity) === fargate && (fargate || (s.capacity as any).provider === 'arm')),
    containerBreakers({ fargate, provider: 'arm', ebs: true }),
  ));

  /** Valid specs on each Managed Instances capacity, with a container breaker of that capacity (the refusal names the prop and the provider). */
  const managedBroken = fc.constantFrom<ManagedKind>('miArm', 'miX86', 'miGpu').chain(managed => fc.tuple(
    workerSpecOn({ kind: 'managed', managed }),
    containerBreakers({ fargate: false, managed, ebs: true }),
  ));

  /** Valid specs on Fargate Windows or the Windows provider, with a Windows breaker (Linux-only settings, volumes Windows cannot mount). */
  const windowsBroken = windowsCapacitySpec.chain(capacity => fc.tuple(
    workerSpecOn(capacity),
    fc.oneof(...windowsContainerBreakers({ fargate: capacity.kind === 'fargateWindows', ebs: true })),
  ));

  test('random invalid props are rejected with a ValidationError', () => {
    fc.assert(fc.property(fc.oneof(
      fc.tuple(workerSpec, broken),
      fc.oneof(containerBroken, managedBroken, windowsBroken).map(([s, b]) =>
        [s, lift<WorkerSpec, ContainerSpec>(b, (w, apply) => ({ ...w, container: apply(w.container) }))] as [WorkerSpec, Breaker<WorkerSpec>]),
    ), ([spec, b]) => {
      const bad = b.apply(spec);
      assertRejected(env => {
        // queue and inputBucket: both given (the breaker sets an imported queue; add the bucket here).
        const props = materialize(env, 'Worker', bad);
        const withBucket = b.what === 'queue and inputBucket'
          ? { ...props, inputBucket: s3.Bucket.fromBucketName(env.stack, 'Extra', 'extra-bucket') } : props;
        new BatchQueueWorker(env.stack, 'Worker', withBucket);
      }, b.what, b.message, b.atSynth);
    }), params(seed, INVALID_RUNS));
  });
});
