import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import * as fc from 'fast-check';
import {
  absPath, acknowledgeUserEnvironment, assertRejected, assertValidBatches, batchOf, breaker, Breaker, brokenCapacity, CapacitySpec, capacityContainer,
  capacitySpec, containerBreakers, containerSpec, ContainerSpec, Env, esc, fileSeed, IMAGE, INVALID_RUNS, isFargate, isWindows, lift, ManagedKind,
  materializeCapacity, materializeContainer, params, portableVolumes, S3_FILES_PREFIXES, WEB_ACL_ARN, windowsCapacitySpec, windowsContainerBreakers,
} from './arbitraries';
import { PredictiveScalingMetric, RolloutStrategy, WorkloadCluster } from '../../src';
import { suppressGuardRule } from '../../src/core/resources';
import { InferenceService, InferenceServiceProps, LoadBalancerType } from '../../src/inference-service/inference-service';

const seed = fileSeed('inference-service.property.test.ts');

type Removal = 'RETAIN' | 'DESTROY' | 'RETAIN_ON_UPDATE_OR_DELETE';

interface ModelStoreSpec {
  mountPath: string;
  /**
   * An S3 Files model store: a bucket of the user's (`bucket`), an imported one (`importedBucket`), the
   * environment's S3 Files file system (`s3Files`); invalid props only: `both` a bucket and `s3Files`.
   */
  s3?: 'bucket' | 'importedBucket' | 's3Files' | 'both';
  bucketPrefix?: string;
  fileSystem?: boolean;
  accessPoint?: boolean;
  rootDirectory?: string;
  readOnly?: boolean;
  throughputMode?: 'ELASTIC' | 'BURSTING';
  removalPolicy?: Removal;
}

type Strategy = 'rolling' | 'blueGreen' | 'canary' | 'linear';

interface RolloutSpec {
  readonly strategy: Strategy;
  readonly bakeMinutes?: number;
  readonly stepPercent?: number;
  readonly stepBakeMinutes?: number;
  readonly testListenerPort?: number;
}

interface AlarmsSpec {
  readonly enabled?: boolean;
  readonly max5xxPercent?: number;
  readonly maxP99LatencyMs?: number;
  readonly unhealthyTasks?: boolean;
  readonly behavior?: 'ROLLBACK_ON_ALARM' | 'FAIL_ON_ALARM';
  /** An alarm of the user's (imported), watched too. */
  readonly ownAlarm?: boolean;
}

interface PredictiveSpec {
  readonly metric?: 'CPU' | 'MEMORY';
  readonly targetUtilizationPercent?: number;
  readonly forecastOnly?: boolean;
  readonly bufferS?: number;
}

interface ServiceConnectSpec {
  readonly dnsName: string;
  readonly port?: number;
  readonly tls?: boolean;
}

interface ServiceSpec {
  /** undefined: Fargate, or the cluster's GPU provider with `gpuCount`. */
  readonly capacity?: CapacitySpec;
  readonly container: ContainerSpec;
  readonly placement?: boolean;
  readonly nlb?: boolean;
  readonly internetFacing?: boolean;
  readonly allowedPeers?: string[];
  readonly certificate?: boolean;
  readonly sslPolicy?: boolean;
  readonly listenerPort?: number;
  readonly redirectHttp?: boolean;
  readonly webAcl?: boolean;
  readonly deletionProtection?: boolean;
  readonly healthCheckPath?: string;
  readonly gracePeriodS?: number;
  readonly deregistrationS?: number;
  readonly modelStore?: ModelStoreSpec;
  readonly minTasks?: number;
  readonly maxTasks?: number;
  readonly requestsPerTarget?: number;
  readonly targetCpu?: number;
  readonly removalPolicy?: Removal;
  readonly rollout?: RolloutSpec;
  readonly deploymentAlarms?: AlarmsSpec;
  readonly modelLoadS?: number;
  readonly idleTimeoutS?: number;
  readonly slowStartS?: number;
  readonly protocolVersion?: 'HTTP1' | 'HTTP2' | 'GRPC';
  readonly predictive?: PredictiveSpec;
  readonly serviceConnect?: ServiceConnectSpec;
  /** Services of the same stack (by index in the batch) that `allowServiceConnectFrom` lets call this one. */
  readonly clients?: number[];
  /** Invalid props only: a client service that allowServiceConnectFrom is called with ('otherNamespace': already a client of another cluster's namespace). */
  readonly badClient?: 'plain' | 'otherNamespace';
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const removal = fc.constantFrom<Removal>('RETAIN', 'DESTROY', 'RETAIN_ON_UPDATE_OR_DELETE');
/** Client CIDRs of a private range (an open 0.0.0.0/0 through allowedPeers is the user's own AwsSolutions-EC23 finding). */
const cidr = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 32 })).map(([b, m]) => `10.${b}.0.0/${m}`);

const efsModelStoreSpec: fc.Arbitrary<ModelStoreSpec> = fc.record({
  mountPath: absPath,
  fileSystem: fc.boolean(),
  accessPoint: fc.boolean(),
  rootDirectory: absPath,
  readOnly: fc.boolean(),
  // PROVISIONED needs a throughput this construct does not take: a ValidationError, so not among the valid props.
  throughputMode: fc.constantFrom('ELASTIC' as const, 'BURSTING' as const),
  removalPolicy: removal,
}, { requiredKeys: ['mountPath'] }).map(m => ({
  ...m,
  accessPoint: m.fileSystem ? m.accessPoint : undefined,
  rootDirectory: m.accessPoint && m.fileSystem ? undefined : m.rootDirectory,
  throughputMode: m.fileSystem ? undefined : m.throughputMode,
  removalPolicy: m.fileSystem ? undefined : m.removalPolicy,
}));

/** S3 key prefixes as S3 Files takes them: no leading '/', ending in '/'. */
const s3Prefix = fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,7}$/).filter(x => x !== '..' && x !== '.'), { minLength: 1, maxLength: 3 }).map(p => `${p.join('/')}/`);

/** An S3 Files model store (Linux tasks on Fargate or Managed Instances): bucketPrefix with a bucket only, removalPolicy not with s3Files. */
const s3ModelStoreSpec: fc.Arbitrary<ModelStoreSpec> = fc.record({
  mountPath: absPath,
  s3: fc.constantFrom('bucket' as const, 'importedBucket' as const, 's3Files' as const),
  bucketPrefix: s3Prefix,
  rootDirectory: absPath,
  readOnly: fc.boolean(),
  removalPolicy: removal,
}, { requiredKeys: ['mountPath', 's3'] }).map(m => ({
  ...m,
  bucketPrefix: m.s3 === 's3Files' ? undefined : m.bucketPrefix,
  removalPolicy: m.s3 === 's3Files' ? undefined : m.removalPolicy,
}));

/** A model store for the capacity: none on Windows (EFS and S3 Files are Linux-only), S3 Files only where ECS mounts it. */
function modelStoreSpec(capacity: CapacitySpec | undefined, gpuAuto: boolean): fc.Arbitrary<ModelStoreSpec | undefined> {
  if (isWindows(capacity)) return fc.constant(undefined);
  // The default capacity of a GPU task is the cluster's GPU provider (EC2).
  const s3Files = capacity === undefined ? !gpuAuto : capacity.kind !== 'ec2';
  const store = s3Files ? fc.oneof({ arbitrary: efsModelStoreSpec, weight: 2 }, { arbitrary: s3ModelStoreSpec, weight: 1 }) : efsModelStoreSpec;
  return fc.option(store, { nil: undefined });
}

/** Rollouts ECS accepts: whole minutes of 0–1440, steps in multiples of 0.1 % (canary from 0.1, linear from 3). */
const rolloutSpec: fc.Arbitrary<RolloutSpec> = fc.record({
  strategy: fc.constantFrom<Strategy>('rolling', 'blueGreen', 'canary', 'linear'),
  bakeMinutes: fc.integer({ min: 0, max: 1440 }),
  stepTenths: fc.integer({ min: 1, max: 1000 }),
  stepBakeMinutes: fc.integer({ min: 0, max: 1440 }),
  testListenerPort: fc.integer({ min: 1, max: 65535 }),
}, { requiredKeys: ['strategy'] }).map(r => {
  if (r.strategy === 'rolling') return { strategy: r.strategy };
  const steps = r.strategy === 'canary' || r.strategy === 'linear';
  const tenths = r.stepTenths === undefined ? undefined : r.strategy === 'linear' ? Math.max(30, r.stepTenths) : r.stepTenths;
  return {
    strategy: r.strategy,
    bakeMinutes: r.bakeMinutes,
    stepPercent: steps && tenths !== undefined ? tenths / 10 : undefined,
    stepBakeMinutes: steps ? r.stepBakeMinutes : undefined,
    testListenerPort: r.testListenerPort,
  };
});

const alarmsSpec: fc.Arbitrary<AlarmsSpec> = fc.record({
  enabled: fc.boolean(),
  max5xxPercent: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true })),
  maxP99LatencyMs: fc.integer({ min: 0, max: 4000 * 1000 }),
  unhealthyTasks: fc.boolean(),
  behavior: fc.constantFrom('ROLLBACK_ON_ALARM' as const, 'FAIL_ON_ALARM' as const),
  ownAlarm: fc.boolean(),
}, { requiredKeys: [] });

const predictiveSpec: fc.Arbitrary<PredictiveSpec> = fc.record({
  metric: fc.constantFrom('CPU' as const, 'MEMORY' as const),
  targetUtilizationPercent: fc.integer({ min: 1, max: 100 }),
  forecastOnly: fc.boolean(),
  bufferS: fc.integer({ min: 0, max: 3599 }),
}, { requiredKeys: [] });

/** Names are made unique in the batch by `withUniqueNames` (Cloud Map wants one service per name in a namespace). */
const serviceConnectSpec: fc.Arbitrary<ServiceConnectSpec> = fc.record({
  dnsName: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,40}$/),
  port: fc.integer({ min: 1, max: 65535 }),
  tls: fc.boolean(),
}, { requiredKeys: ['dnsName'] });

/** Valid specs on one capacity (undefined: Fargate, or with `gpuAuto` the cluster's GPU provider). */
function serviceSpecOn([capacity, gpuAuto, modelStore]: [CapacitySpec | undefined, boolean, ModelStoreSpec | undefined]): fc.Arbitrary<ServiceSpec> {
  const reserved = modelStore ? { names: ['models'], paths: [modelStore.mountPath] } : {};
  return fc.record({
    capacity: fc.constant(capacity),
    // A REPLICA service: it attaches EBS volumes.
    container: containerSpec({ ...capacityContainer(capacity, gpuAuto), reserved, ebs: true }),
    // Placement applies to EC2 providers only (refused on Fargate and Managed Instances).
    placement: capacity?.kind === 'ec2' || (capacity === undefined && gpuAuto) ? opt(fc.boolean()) : fc.constant(undefined),
    nlb: opt(fc.boolean()),
    internetFacing: opt(fc.boolean()),
    allowedPeers: opt(fc.uniqueArray(cidr, { minLength: 1, maxLength: 3 })),
    certificate: opt(fc.boolean()),
    sslPolicy: opt(fc.boolean()),
    listenerPort: opt(fc.integer({ min: 1, max: 65535 })),
    redirectHttp: opt(fc.boolean()),
    webAcl: opt(fc.boolean()),
    deletionProtection: opt(fc.boolean()),
    healthCheckPath: opt(absPath),
    gracePeriodS: opt(fc.integer({ min: 0, max: 2147483647 })),
    deregistrationS: opt(fc.integer({ min: 0, max: 3600 })),
    modelStore: fc.constant(modelStore),
    minTasks: opt(fc.integer({ min: 1, max: 5000 })),
    maxTasks: opt(fc.integer({ min: 1, max: 5000 })),
    requestsPerTarget: opt(fc.integer({ min: 1, max: 1000000 })),
    targetCpu: opt(fc.integer({ min: 1, max: 100 })),
    removalPolicy: opt(removal),
    rollout: opt(rolloutSpec),
    deploymentAlarms: opt(alarmsSpec),
    modelLoadS: opt(fc.integer({ min: 0, max: 2147483647 - 60 })),
    idleTimeoutS: opt(fc.integer({ min: 1, max: 4000 })),
    slowStartS: opt(fc.integer({ min: 30, max: 900 })),
    protocolVersion: opt(fc.constantFrom('HTTP1' as const, 'HTTP2' as const, 'GRPC' as const)),
    predictive: opt(predictiveSpec),
    serviceConnect: opt(serviceConnectSpec),
    clients: opt(fc.uniqueArray(fc.nat({ max: 4 }), { maxLength: 2 })),
  }, { requiredKeys: ['capacity', 'container', 'modelStore'] }).map(s => {
    const alb = !s.nlb;
    const cert = s.certificate === true;
    let container = s.container;
    if (capacity === undefined && gpuAuto && !container.gpuCount) container = { ...container, gpuCount: 1 };
    // The shared EC2 providers have at most 2 instances: a rollout at more than one task could never
    // start there (the construct refuses it), so EC2 specs keep one task at minimum.
    const onEc2 = s.capacity?.kind === 'ec2' || (s.capacity === undefined && (container.gpuCount ?? 0) > 0);
    const min = onEc2 ? 1 : s.minTasks ?? 1;
    const max = s.maxTasks ?? 4;
    // Port 80 is plain HTTP (and the redirect) once there is a certificate.
    const listenerPort = cert && s.listenerPort === 80 ? 8443 : s.listenerPort;
    const redirectHttp = alb && cert ? s.redirectHttp : s.redirectHttp === true ? undefined : s.redirectHttp;
    // The test listener needs a port of its own: not the listener's, nor the redirect's.
    const taken = [listenerPort ?? (cert ? 443 : 80), ...(redirectHttp ?? (alb && cert)) ? [80] : []];
    let rolloutOf = s.rollout;
    const test = rolloutOf?.testListenerPort;
    if (test !== undefined && taken.includes(test)) rolloutOf = { ...rolloutOf!, testListenerPort: undefined };
    // HTTP/2 and gRPC reach an ALB over HTTPS only; gRPC checks health with the standard gRPC health method.
    const protocolVersion = alb && (cert || s.protocolVersion === 'HTTP1') ? s.protocolVersion : undefined;
    const alarms = s.deploymentAlarms && !alb ? { ...s.deploymentAlarms, max5xxPercent: undefined, maxP99LatencyMs: undefined } : s.deploymentAlarms;
    // Service Connect (server or client) is drawn for Linux services only.
    const windows = isWindows(s.capacity);
    return {
      ...s,
      serviceConnect: windows ? undefined : s.serviceConnect,
      clients: windows ? undefined : s.clients,
      container,
      sslPolicy: cert ? s.sslPolicy : undefined,
      listenerPort,
      redirectHttp,
      rollout: rolloutOf,
      deploymentAlarms: alarms,
      protocolVersion,
      healthCheckPath: protocolVersion === 'GRPC' ? undefined : s.healthCheckPath,
      // modelLoadTime and healthCheckGracePeriod both set the grace period: one of them.
      gracePeriodS: s.modelLoadS !== undefined ? undefined : s.gracePeriodS,
      idleTimeoutS: alb ? s.idleTimeoutS : undefined,
      slowStartS: alb ? s.slowStartS : undefined,
      webAcl: alb ? s.webAcl : undefined,
      requestsPerTarget: alb ? s.requestsPerTarget : undefined,
      minTasks: s.minTasks === undefined ? undefined : Math.min(onEc2 ? 1 : min, max),
      maxTasks: s.maxTasks === undefined ? (min > 4 ? min : undefined) : Math.max(min, max),
    };
  });
}

const serviceSpec: fc.Arbitrary<ServiceSpec> = fc.tuple(opt(capacitySpec(['arm', 'x86', 'gpu'], ['miArm', 'miX86', 'miGpu'], true)), fc.boolean())
  .chain(([capacity, gpuAuto]) => modelStoreSpec(capacity, gpuAuto).chain(store => serviceSpecOn([capacity, gpuAuto, store])));

function materialize(env: Env, id: string, s: ServiceSpec, noGpuProvider = false): InferenceServiceProps {
  const stack = env.stack;
  // gpuCount without capacity runs on the cluster's GPU provider: add it (unless the test wants a cluster without one).
  if (!noGpuProvider && s.capacity === undefined && (s.container.gpuCount ?? 0) > 0) env.provider('gpu');
  let modelStore: InferenceServiceProps['modelStore'];
  if (s.modelStore) {
    const m = s.modelStore;
    const bucket = m.s3 === 'bucket' || m.s3 === 'both' ? env.bucket(`${id}Models`)
      : m.s3 === 'importedBucket' ? s3.Bucket.fromBucketName(stack, `${id}ModelBucket`, `${id.toLowerCase()}-models`) : undefined;
    modelStore = {
      mountPath: m.mountPath,
      bucket,
      bucketPrefix: m.bucketPrefix,
      s3Files: m.s3 === 's3Files' || m.s3 === 'both' ? env.s3Files(S3_FILES_PREFIXES[0]) : undefined,
      fileSystem: m.fileSystem ? env.fileSystem : undefined,
      accessPoint: m.accessPoint ? efs.AccessPoint.fromAccessPointAttributes(stack, `${id}ModelsAp`, { accessPointId: 'fsap-0000000a', fileSystem: env.fileSystem }) : undefined,
      rootDirectory: m.rootDirectory,
      readOnly: m.readOnly,
      throughputMode: m.throughputMode ? efs.ThroughputMode[m.throughputMode] : undefined,
      removalPolicy: m.removalPolicy ? RemovalPolicy[m.removalPolicy] : undefined,
    };
  }
  return {
    cluster: env.cluster,
    ...materializeContainer(env, s.container),
    capacity: s.capacity ? materializeCapacity(env, s.capacity) : undefined,
    placementStrategies: s.placement ? [ecs.PlacementStrategy.spreadAcrossInstances()] : undefined,
    placementConstraints: s.placement ? [ecs.PlacementConstraint.memberOf(`attribute:ecs.os-type == ${isWindows(s.capacity) ? 'windows' : 'linux'}`)] : undefined,
    loadBalancerType: s.nlb === undefined ? undefined : s.nlb ? LoadBalancerType.NETWORK : LoadBalancerType.APPLICATION,
    internetFacing: s.internetFacing,
    allowedPeers: s.allowedPeers?.map(c => ec2.Peer.ipv4(c)),
    certificate: s.certificate ? env.certificate : undefined,
    sslPolicy: s.sslPolicy ? elbv2.SslPolicy.TLS13_13 : undefined,
    listenerPort: s.listenerPort,
    redirectHttp: s.redirectHttp,
    webAclArn: s.webAcl ? WEB_ACL_ARN : undefined,
    deletionProtection: s.deletionProtection,
    healthCheckPath: s.healthCheckPath,
    healthCheckGracePeriod: s.gracePeriodS !== undefined ? Duration.seconds(s.gracePeriodS) : undefined,
    deregistrationDelay: s.deregistrationS !== undefined ? Duration.seconds(s.deregistrationS) : undefined,
    modelStore,
    minTasks: s.minTasks,
    maxTasks: s.maxTasks,
    requestsPerTarget: s.requestsPerTarget,
    targetCpuUtilizationPercent: s.targetCpu,
    removalPolicy: s.removalPolicy ? RemovalPolicy[s.removalPolicy] : undefined,
    rollout: s.rollout ? rollout(s.rollout) : undefined,
    deploymentAlarms: s.deploymentAlarms ? {
      enabled: s.deploymentAlarms.enabled,
      max5xxPercent: s.deploymentAlarms.max5xxPercent,
      maxP99Latency: s.deploymentAlarms.maxP99LatencyMs !== undefined ? Duration.millis(s.deploymentAlarms.maxP99LatencyMs) : undefined,
      unhealthyTasks: s.deploymentAlarms.unhealthyTasks,
      behavior: s.deploymentAlarms.behavior ? ecs.AlarmBehavior[s.deploymentAlarms.behavior] : undefined,
      alarms: s.deploymentAlarms.ownAlarm
        ? [cloudwatch.Alarm.fromAlarmArn(stack, `${id}ModelQuality`, `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${id}-model-quality`)] : undefined,
    } : undefined,
    modelLoadTime: s.modelLoadS !== undefined ? Duration.seconds(s.modelLoadS) : undefined,
    idleTimeout: s.idleTimeoutS !== undefined ? Duration.seconds(s.idleTimeoutS) : undefined,
    slowStart: s.slowStartS !== undefined ? Duration.seconds(s.slowStartS) : undefined,
    protocolVersion: s.protocolVersion ? elbv2.ApplicationProtocolVersion[s.protocolVersion] : undefined,
    predictiveScaling: s.predictive ? {
      metric: s.predictive.metric ? PredictiveScalingMetric[s.predictive.metric] : undefined,
      targetUtilizationPercent: s.predictive.targetUtilizationPercent,
      forecastOnly: s.predictive.forecastOnly,
      schedulingBufferTime: s.predictive.bufferS !== undefined ? Duration.seconds(s.predictive.bufferS) : undefined,
    } : undefined,
    serviceConnect: s.serviceConnect ? {
      dnsName: s.serviceConnect.dnsName,
      port: s.serviceConnect.port,
      certificateAuthority: s.serviceConnect.tls ? acmpca.CertificateAuthority.fromCertificateAuthorityArn(stack, `${id}Pca`,
        'arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555') : undefined,
    } : undefined,
  };
}

function rollout(r: RolloutSpec): RolloutStrategy {
  const minutes = (m: number | undefined) => m !== undefined ? Duration.minutes(m) : undefined;
  const shared = { bakeTime: minutes(r.bakeMinutes), testListenerPort: r.testListenerPort };
  switch (r.strategy) {
    case 'rolling': return RolloutStrategy.rolling();
    case 'blueGreen': return RolloutStrategy.blueGreen(shared);
    case 'canary': return RolloutStrategy.canary({ ...shared, stepPercent: r.stepPercent, stepBakeTime: minutes(r.stepBakeMinutes) });
    case 'linear': return RolloutStrategy.linear({ ...shared, stepPercent: r.stepPercent, stepBakeTime: minutes(r.stepBakeMinutes) });
  }
}

/** Service Connect names of one namespace (one per cluster) are unique: each suffixed with its index. */
function withUniqueNames(specs: ServiceSpec[]): ServiceSpec[] {
  return specs.map((s, i) => s.serviceConnect ? { ...s, serviceConnect: { ...s.serviceConnect, dnsName: `${s.serviceConnect.dnsName}-${i}` } } : s);
}

/** Lets each service's `clients` (other services of the batch) call it through Service Connect. */
function connectClients(specs: ServiceSpec[], services: InferenceService[]): void {
  specs.forEach((s, i) => {
    if (!s.serviceConnect) return;
    for (const j of s.clients ?? []) {
      // Linux clients only (see serviceSpecOn).
      if (j !== i && j < services.length && !isWindows(specs[j].capacity)) services[i].allowServiceConnectFrom(services[j].service);
    }
  });
}

function build(env: Env, id: string, s: ServiceSpec): InferenceService {
  const service = new InferenceService(env.stack, id, materialize(env, id, s));
  acknowledgeUserEnvironment(s.container, service.taskDefinition);
  if (s.deletionProtection === false) {
    // deletionProtection: false is the user's own opt-out (NIST / HIPAA / Control Tower flag it, and the construct
    // leaves the finding to the user); acknowledged here as a user would.
    const lb = service.loadBalancer as unknown as IConstruct;
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      Validations.of(lb).acknowledge({ id: `${pack}-ELBDeletionProtectionEnabled`, reason: 'Test stacks are deleted often (user-owned finding).' });
    }
    suppressGuardRule(lb, 'elbv2_deletion_protection_enabled_check', 'Test stacks are deleted often (user-owned finding).');
  }
  return service;
}

describe('InferenceService properties', () => {
  test('random valid props: zero findings of the cdk-nag packs and cfn-guard', () => {
    assertValidBatches(seed, batchOf(serviceSpec, 3, 5).map(withUniqueNames), (specs: ServiceSpec[]) => {
      const env = new Env();
      const services = specs.map((s, i) => build(env, `Inference${i}`, s));
      connectClients(specs, services);
      return env.stack;
    });
  });

  const b = (what: string, apply: (s: ServiceSpec) => ServiceSpec) => breaker<ServiceSpec>(what, apply);
  const broken: fc.Arbitrary<Breaker<ServiceSpec>> = fc.oneof(
    fc.oneof(fc.integer({ min: 65536, max: 1e6 }), fc.integer({ min: -100, max: 0 })).map(p => b(`listenerPort ${p}`, s => ({ ...s, listenerPort: p }))),
    fc.oneof(fc.integer({ min: 5001, max: 1e6 }), fc.integer({ min: -100, max: 0 })).map(n => b(`minTasks ${n}`, s => ({ ...s, minTasks: n, maxTasks: 5000 }))),
    fc.oneof(fc.integer({ min: 5001, max: 1e6 }), fc.integer({ min: -100, max: 0 })).map(n => b(`maxTasks ${n}`, s => ({ ...s, minTasks: 1, maxTasks: n }))),
    fc.integer({ min: 2, max: 5000 }).chain(min => fc.integer({ min: 1, max: min - 1 }).map(max =>
      b(`minTasks ${min} > maxTasks ${max}`, s => ({ ...s, minTasks: min, maxTasks: max })))),
    fc.oneof(fc.integer({ min: 1000001, max: 1e9 }), fc.integer({ min: -100, max: 0 })).map(n => b(`requestsPerTarget ${n}`, s => ({ ...s, nlb: false, requestsPerTarget: n }))),
    fc.oneof(fc.integer({ min: 101, max: 1000 }), fc.integer({ min: -100, max: 0 })).map(n => b(`targetCpuUtilizationPercent ${n}`, s => ({ ...s, targetCpu: n }))),
    fc.integer({ min: 2147483648, max: Number.MAX_SAFE_INTEGER }).map(g => b(`healthCheckGracePeriod ${g} s`, s => ({ ...s, gracePeriodS: g }))),
    fc.integer({ min: 3601, max: 1e7 }).map(d => b(`deregistrationDelay ${d} s`, s => ({ ...s, deregistrationS: d }))),
    fc.stringMatching(/^[a-z][a-z0-9/]{0,10}$/).map(p => b(`healthCheckPath ${JSON.stringify(p)}`, s => ({ ...s, healthCheckPath: p }))),
    fc.integer({ min: 1, max: 1000 }).map(n => b('requestsPerTarget on an NLB', s => ({ ...s, nlb: true, requestsPerTarget: n, webAcl: undefined, redirectHttp: undefined }))),
    fc.constant(b('webAclArn on an NLB', s => ({ ...s, nlb: true, webAcl: true, requestsPerTarget: undefined, redirectHttp: undefined }))),
    fc.constant(b('sslPolicy without a certificate', s => ({ ...s, certificate: false, sslPolicy: true, redirectHttp: undefined }))),
    fc.constant(b('redirectHttp on an NLB', s => ({ ...s, nlb: true, redirectHttp: true, requestsPerTarget: undefined, webAcl: undefined }))),
    fc.constant(b('redirectHttp without a certificate', s => ({ ...s, nlb: false, certificate: false, sslPolicy: undefined, redirectHttp: true }))),
    fc.constant(b('listenerPort 80 with a certificate', s => ({ ...s, certificate: true, listenerPort: 80 }))),
    fc.stringMatching(/^[a-z][a-z0-9/]{0,10}$/).map(p => b(`modelStore.mountPath ${JSON.stringify(p)}`, s => ({ ...s, container: { ...s.container, volumes: undefined }, modelStore: { mountPath: p } }))),
    absPath.map(p => b(`modelStore.mountPath ${p}/..`, s => ({ ...s, container: { ...s.container, volumes: undefined }, modelStore: { mountPath: `${p}/..` } }))),
    fc.stringMatching(/^[a-z][a-z0-9/]{0,10}$/).map(p => b(`modelStore.rootDirectory ${JSON.stringify(p)}`, s => ({ ...s, container: { ...s.container, volumes: undefined }, modelStore: { mountPath: '/models', rootDirectory: p } }))),
    fc.constant(b('modelStore.accessPoint without fileSystem', s => ({ ...s, container: { ...s.container, volumes: undefined }, modelStore: { mountPath: '/models', accessPoint: true } }))),
    absPath.map(r => b('modelStore.rootDirectory with accessPoint', s => ({ ...s, container: { ...s.container, volumes: undefined }, modelStore: { mountPath: '/models', fileSystem: true, accessPoint: true, rootDirectory: r } }))),
    fc.constant(b('modelStore.throughputMode with fileSystem', s => ({ ...s, container: { ...s.container, volumes: undefined }, modelStore: { mountPath: '/models', fileSystem: true, throughputMode: 'BURSTING' } }))),
    fc.constant(b('modelStore.removalPolicy with fileSystem', s => ({ ...s, container: { ...s.container, volumes: undefined }, modelStore: { mountPath: '/models', fileSystem: true, removalPolicy: 'DESTROY' } }))),
    fc.constant(b('removalPolicy SNAPSHOT', s => ({ ...s, removalPolicy: 'SNAPSHOT' as any }))),
    fc.constant(b('modelStore.removalPolicy SNAPSHOT', s => ({ ...s, container: { ...s.container, volumes: undefined }, modelStore: { mountPath: '/models', removalPolicy: 'SNAPSHOT' as any } }))),
    fc.constant(b('a volume named models beside the model store', s => ({ ...s, modelStore: { mountPath: '/models' }, container: { ...s.container, volumes: [{ kind: 'scratch', name: 'models', path: '/scratch' }] } }))),
    fc.integer({ min: 1, max: 4 }).map(g => b(`gpuCount ${g} on a cluster without GPU capacity`, s => ({
      ...s,
      capacity: undefined,
      placement: undefined,
      container: { ...s.container, gpuCount: g, cpuArchitecture: undefined, volumes: portableVolumes(s.container.volumes), resources: undefined },
    }))),
    brokenCapacity.map(({ what, capacity }) => b(what, s => ({
      ...s,
      capacity,
      placement: undefined,
      container: { ...s.container, cpuArchitecture: undefined, gpuCount: undefined, volumes: portableVolumes(s.container.volumes) },
    }))),
    fc.constant(b('placement on Fargate', s => ({
      ...s,
      capacity: { kind: 'fargate' },
      placement: true,
      container: { ...s.container, gpuCount: undefined, volumes: undefined, resources: undefined, cpuArchitecture: undefined },
    }))),
  );

  /** Breakers of the rollout, alarm, traffic, scaling and Service Connect props: each refusal must name the prop and the value. */
  const m = (what: string, apply: (s: ServiceSpec) => ServiceSpec, message: RegExp) => breaker<ServiceSpec>(what, apply, message);
  const alb = (s: ServiceSpec): ServiceSpec => ({ ...s, nlb: false });
  const albOnly = {
    requestsPerTarget: undefined,
    webAcl: undefined,
    redirectHttp: undefined,
    idleTimeoutS: undefined,
    slowStartS: undefined,
    protocolVersion: undefined,
  };
  const nlb = (s: ServiceSpec): ServiceSpec => ({ ...s, ...albOnly, nlb: true, deploymentAlarms: undefined });
  const shifting = fc.constantFrom<Strategy>('blueGreen', 'canary', 'linear');
  const newFeatures: fc.Arbitrary<Breaker<ServiceSpec>> = fc.oneof(
    fc.tuple(shifting, fc.oneof(fc.integer({ min: 1441, max: 1e6 }), fc.double({ min: 0.01, max: 1439.99, noInteger: true, noNaN: true })))
      .map(([strategy, bake]) => m(`rollout.bakeTime ${bake} minutes`, s => ({ ...s, rollout: { strategy, bakeMinutes: bake } }),
        new RegExp(`rollout\\.bakeTime must be a whole number between 0 and 1440 minutes, got ${bake}`))),
    fc.tuple(fc.constantFrom<Strategy>('canary', 'linear'),
      fc.oneof(fc.integer({ min: 1441, max: 1e6 }), fc.double({ min: 0.01, max: 1439.99, noInteger: true, noNaN: true })))
      .map(([strategy, bake]) => m(`rollout.stepBakeTime ${bake} minutes`, s => ({ ...s, rollout: { strategy, stepBakeMinutes: bake } }),
        new RegExp(`rollout\\.stepBakeTime must be a whole number between 0 and 1440 minutes, got ${bake}`))),
    fc.oneof(fc.double({ min: -100, max: 0.0999, noNaN: true }), fc.double({ min: 100.001, max: 1e4, noNaN: true }),
      fc.double({ min: 0.1, max: 100, noNaN: true }).filter(x => Math.abs(Math.round(x * 10) - x * 10) > 1e-6))
      .map(p => m(`canary stepPercent ${p}`, s => ({ ...s, rollout: { strategy: 'canary', stepPercent: p } }),
        /rollout\.stepPercent must be a multiple of 0\.1 from 0\.1 to 100 for a canary rollout/)),
    fc.oneof(fc.integer({ min: 1, max: 29 }).map(t => t / 10), fc.double({ min: 100.001, max: 1e4, noNaN: true }))
      .map(p => m(`linear stepPercent ${p}`, s => ({ ...s, rollout: { strategy: 'linear', stepPercent: p } }),
        /rollout\.stepPercent must be a multiple of 0\.1 from 3 to 100 for a linear rollout/)),
    fc.tuple(shifting, fc.oneof(fc.integer({ min: 65536, max: 1e6 }), fc.integer({ min: -100, max: 0 })))
      .map(([strategy, p]) => m(`rollout.testListenerPort ${p}`, s => ({ ...s, rollout: { strategy, testListenerPort: p } }),
        new RegExp(`rollout\\.testListenerPort must be a whole number between 1 and 65535, got ${p}`))),
    fc.tuple(shifting, fc.boolean()).map(([strategy, n]) => m(`rollout.testListenerPort on the listener port (${n ? 'NLB' : 'ALB'})`,
      s => { const x = n ? nlb(s) : alb(s); return { ...x, rollout: { strategy, testListenerPort: x.listenerPort ?? (x.certificate ? 443 : 80) } }; },
      /rollout\.testListenerPort \(\d+\) is already used by the production listener/)),
    shifting.map(strategy => m('rollout.testListenerPort 80 beside the HTTPS redirect', s => ({
      ...alb(s), certificate: true, listenerPort: undefined, redirectHttp: undefined, rollout: { strategy, testListenerPort: 80 },
    }), /rollout\.testListenerPort \(80\) is already used by the HTTP-to-HTTPS redirect/)),
    fc.oneof(fc.double({ min: 100.001, max: 1e4, noNaN: true }), fc.double({ min: -1e4, max: -0.001, noNaN: true }))
      .map(p => m(`deploymentAlarms.max5xxPercent ${p}`, s => ({ ...alb(s), deploymentAlarms: { max5xxPercent: p } }),
        /deploymentAlarms\.max5xxPercent must be between 0 and 100, got /)),
    fc.integer({ min: 4000 * 1000 + 1, max: 1e9 }).map(ms => m(`deploymentAlarms.maxP99Latency ${ms} ms`, s => ({ ...alb(s), deploymentAlarms: { maxP99LatencyMs: ms } }),
      new RegExp(`deploymentAlarms\\.maxP99Latency must be a whole number between 0 and 4000000 ms, got ${ms}`))),
    fc.constantFrom<[keyof AlarmsSpec, string, number]>(['max5xxPercent', 'max5xxPercent', 5], ['maxP99LatencyMs', 'maxP99Latency', 2000])
      .map(([key, prop, v]) => m(`deploymentAlarms.${prop} on an NLB`, s => ({ ...nlb(s), deploymentAlarms: { [key]: v } }),
        new RegExp(`deploymentAlarms\\.${prop} \\(.*\\) reads Application Load Balancer metrics, but loadBalancerType is NETWORK`))),
    fc.constantFrom<[string, (s: ServiceSpec) => ServiceSpec]>(
      ['idleTimeout', s => ({ ...s, idleTimeoutS: 600 })],
    ['slowStart', s => ({ ...s, slowStartS: 60 })],
    ['protocolVersion', s => ({ ...s, protocolVersion: 'GRPC', certificate: true })],
    ).map(([prop, set]) => m(`${prop} on an NLB`, s => set(nlb(s)),
      new RegExp(`${prop} \\(.*\\) is an Application Load Balancer setting, but loadBalancerType is NETWORK`))),
    fc.constantFrom('HTTP2' as const, 'GRPC' as const).map(v => m(`protocolVersion ${v} without a certificate`,
      s => ({ ...alb(s), certificate: false, sslPolicy: undefined, redirectHttp: undefined, protocolVersion: v }),
      new RegExp(`protocolVersion is ${v}, but an ALB speaks HTTP/2 and gRPC to clients over HTTPS only`))),
    fc.tuple(fc.integer({ min: 0, max: 86400 }), fc.integer({ min: 0, max: 86400 })).map(([l, g]) => m('modelLoadTime with healthCheckGracePeriod',
      s => ({ ...s, modelLoadS: l, gracePeriodS: g }), /modelLoadTime \(.*\) and healthCheckGracePeriod \(.*\) both set the grace period/)),
    fc.oneof(fc.constant(0), fc.integer({ min: 4001, max: 1e6 })).map(t => m(`idleTimeout ${t} s`, s => ({ ...alb(s), idleTimeoutS: t }),
      new RegExp(`idleTimeout must be a whole number between 1 and 4000 seconds, got ${t}`))),
    fc.oneof(fc.integer({ min: 0, max: 29 }), fc.integer({ min: 901, max: 1e6 })).map(t => m(`slowStart ${t} s`, s => ({ ...alb(s), slowStartS: t }),
      new RegExp(`slowStart must be a whole number between 30 and 900 seconds, got ${t}`))),
    fc.oneof(fc.integer({ min: -100, max: 0 }), fc.integer({ min: 101, max: 1e4 })).map(t => m(`predictiveScaling.targetUtilizationPercent ${t}`,
      s => ({ ...s, predictive: { targetUtilizationPercent: t } }), new RegExp(`predictiveScaling\\.targetUtilizationPercent must be a whole number between 1 and 100, got ${t}`))),
    fc.oneof(fc.integer({ min: 3600, max: 1e6 }).map(x => x * 1000), fc.integer({ min: 1, max: 3599999 }).filter(x => x % 1000 !== 0))
      .map(ms => m(`predictiveScaling.schedulingBufferTime ${ms} ms`, s => ({ ...s, predictive: { bufferS: ms / 1000 } }),
        /predictiveScaling\.schedulingBufferTime must be a whole number of seconds from 0 to 3599/)),
    fc.oneof(fc.constantFrom('', '-api', 'Api', 'a_b', 'a.b', 'ä', 'x'.repeat(64)), fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}[A-Z_.][a-z0-9-]{0,5}$/))
      .map(n => m(`serviceConnect.dnsName ${JSON.stringify(n.slice(0, 20))}`, s => ({ ...s, serviceConnect: { dnsName: n } }),
        /serviceConnect\.dnsName must be 1–63 lowercase letters, digits and hyphens/)),
    fc.oneof(fc.integer({ min: 65536, max: 1e6 }), fc.integer({ min: -100, max: 0 })).map(p => m(`serviceConnect.port ${p}`,
      s => ({ ...s, serviceConnect: { dnsName: 'model', port: p } }), new RegExp(`serviceConnect\\.port must be a whole number between 1 and 65535, got ${p}`))),
    fc.constant(m('allowServiceConnectFrom without serviceConnect', s => ({ ...s, serviceConnect: undefined, badClient: 'plain' }),
      /allowServiceConnectFrom\('Test\/Client\/Service'\) needs serviceConnect/)),
    fc.constant(m('allowServiceConnectFrom a client of another namespace', s => ({ ...s, serviceConnect: { dnsName: 'model' }, badClient: 'otherNamespace' }),
      /the client service 'Test\/Client\/Service' is a Service Connect client of namespace .*, and a service joins one namespace only/)),
    // The shared ARM provider holds at most 2 instances of one task of 2048 CPU units each.
    fc.tuple(fc.constantFrom<Strategy>('rolling', 'blueGreen', 'canary', 'linear'), fc.integer({ min: 2, max: 50 })).map(([strategy, min]) =>
      m(`a ${strategy} rollout at minTasks ${min} on a provider of 2 tasks`, s => ({
        ...s,
        capacity: { kind: 'ec2', provider: 'arm' },
        placement: undefined,
        container: {
          ...s.container,
          resources: { cpu: 2048, memoryLimitMiB: 2048 },
          sidecars: undefined,
          cpuArchitecture: undefined,
          gpuCount: undefined,
          volumes: portableVolumes(s.container.volumes),
        },
        // ECS mounts no S3 Files model store on EC2 Auto Scaling group capacity.
        modelStore: s.modelStore?.s3 ? undefined : s.modelStore,
        minTasks: min,
        maxTasks: Math.max(min, s.maxTasks ?? 4),
        rollout: { strategy },
      }), new RegExp(`holds at most 1 task per instance x 2 instances = 2 tasks, but .*: ${strategy === 'rolling' ? min + 1 : 2 * min} tasks at minTasks ${min}`))),
    fc.constantFrom<ManagedKind>('miArm', 'miX86', 'miGpu').map(managed => m(`placement on Managed Instances ${managed}`, s => ({
      ...s,
      capacity: { kind: 'managed', managed },
      placement: true,
      container: { ...s.container, gpuCount: undefined, volumes: undefined, resources: undefined, cpuArchitecture: undefined },
    }), /placementStrategies \(1 given\) apply to EC2 capacity only; on ECS Managed Instances/)),
  );

  /** Breakers of the S3 Files model store: where ECS mounts it, and which settings go with it. Each refusal names the modelStore prop. */
  const bare = (s: ServiceSpec): ServiceSpec => ({
    ...s,
    placement: undefined,
    minTasks: undefined,
    maxTasks: undefined,
    rollout: undefined,
    serviceConnect: undefined,
    clients: undefined,
    container: {
      ...s.container,
      resources: undefined,
      sidecars: undefined,
      volumes: undefined,
      cpuArchitecture: undefined,
      gpuCount: undefined,
      readonlyRootFilesystem: undefined,
      user: undefined,
    },
  });
  const onFargate = (s: ServiceSpec): ServiceSpec => ({ ...bare(s), capacity: { kind: 'fargate' } });
  const modelStoreBroken: fc.Arbitrary<Breaker<ServiceSpec>> = fc.oneof(
    fc.tuple(fc.constantFrom<'bucket' | 'importedBucket' | 's3Files'>('bucket', 'importedBucket', 's3Files'), fc.constantFrom<'arm' | 'x86'>('arm', 'x86'))
      .map(([kind, provider]) => {
        const prop = kind === 's3Files' ? 's3Files' : 'bucket';
        return m(`modelStore.${kind} on the ${provider} EC2 provider`, s => ({
          ...bare(s), capacity: { kind: 'ec2', provider }, modelStore: { mountPath: '/models', s3: kind },
        }), new RegExp(`modelStore\\.${prop} makes the model store an S3 Files file system, which ECS mounts only into Linux tasks on Fargate or Managed Instances, ` +
          `but the service runs on EC2 Auto Scaling group capacity\\. Run it on Capacity\\.fargate\\(\\) or Capacity\\.managedInstances\\(\\.\\.\\.\\).*\\(remove ${prop}\\)`));
      }),
    fc.constantFrom<'bucket' | 'importedBucket' | 's3Files'>('bucket', 'importedBucket', 's3Files').map(kind => {
      const prop = kind === 's3Files' ? 's3Files' : 'bucket';
      return m(`modelStore.${kind} on Fargate Windows`, s => ({ ...bare(s), capacity: { kind: 'fargateWindows' }, modelStore: { mountPath: '/models', s3: kind } }),
        new RegExp(`modelStore\\.${prop} makes the model store an S3 Files file system, .* but the service runs on Fargate Windows\\.`));
    }),
    fc.constant(m('modelStore.bucket with modelStore.s3Files', s => ({ ...onFargate(s), modelStore: { mountPath: '/models', s3: 'both' } }),
      /modelStore\.s3Files and modelStore\.bucket were both given, but the model store is one file system\. Pass the S3FilesFileSystem, or the bucket/)),
    s3Prefix.map(p => m(`modelStore.bucketPrefix ${p} without modelStore.bucket`, s => ({ ...onFargate(s), modelStore: { mountPath: '/models', bucketPrefix: p } }),
      new RegExp(`modelStore\\.bucketPrefix \\('${esc(p)}'\\) was given without modelStore\\.bucket\\. Give the bucket it belongs to, or remove bucketPrefix`))),
    fc.constantFrom<[string, Partial<ModelStoreSpec>]>(
      ['throughputMode', { throughputMode: 'BURSTING' }],
      ['fileSystem', { fileSystem: true }],
    ).chain(([setting, extra]) => fc.constantFrom<'bucket' | 's3Files'>('bucket', 's3Files').map(kind => m(`modelStore.${kind} with the EFS setting ${setting}`,
      s => ({ ...onFargate(s), modelStore: { mountPath: '/models', s3: kind, ...extra } }),
      new RegExp(`modelStore\\.${kind} was given with EFS settings \\(${setting}\\), which do not apply to an S3 Files model store\\. Remove them, or remove ${kind}`)))),
    removal.map(r => m(`modelStore.s3Files with removalPolicy ${r}`, s => ({ ...onFargate(s), modelStore: { mountPath: '/models', s3: 's3Files', removalPolicy: r } }),
      /modelStore\.s3Files was given with EFS settings \(removalPolicy\)/)),
    s3Prefix.map(p => p.slice(0, -1)).filter(p => p.length > 0).map(p => m(`modelStore.bucketPrefix ${p} (no trailing '/')`,
      s => ({ ...onFargate(s), modelStore: { mountPath: '/models', s3: 'bucket', bucketPrefix: p } }),
      new RegExp(`Test/Inference: modelStore\\.bucketPrefix '${esc(p)}' does not end in '/', which S3 Files requires of a prefix\\. Write it as '${esc(p)}/'`))),
    absPath.map(p => m(`an EFS model store at ${p} on Fargate Windows`, s => ({ ...bare(s), capacity: { kind: 'fargateWindows' }, modelStore: { mountPath: p } }),
      /modelStore is an EFS file system, which Windows containers cannot mount, but the service runs Windows containers\. Remove modelStore and mount an FSx for Windows File Server share/)),
  );

  const withContainer = (cb: Breaker<ContainerSpec>) => lift<ServiceSpec, ContainerSpec>(cb, (x, apply) => ({ ...x, container: apply(x.container) }));

  /** Valid specs on each Managed Instances capacity, with a container breaker of that capacity. */
  const managedBroken = fc.constantFrom<ManagedKind>('miArm', 'miX86', 'miGpu').chain(managed => fc.tuple(
    modelStoreSpec({ kind: 'managed', managed }, false).chain(store => serviceSpecOn([{ kind: 'managed', managed }, false, store])),
    containerBreakers({ fargate: false, managed, ebs: true }),
  )).map(([s, cb]) => [s, withContainer(cb)] as [ServiceSpec, Breaker<ServiceSpec>]);

  /** Valid specs on Linux Fargate or the ARM provider, with a container breaker of that capacity. */
  const containerBroken = fc.boolean().chain(fargate => fc.tuple(
    serviceSpec.filter(s => !isWindows(s.capacity) && (fargate ? s.capacity !== undefined && isFargate(s.capacity) : s.capacity?.kind === 'ec2' && s.capacity.provider === 'arm')),
    containerBreakers({ fargate, provider: 'arm', ebs: true }),
  )).map(([s, cb]) => [s, withContainer(cb)] as [ServiceSpec, Breaker<ServiceSpec>]);

  /** Valid specs on Fargate Windows or the Windows provider, with a Windows breaker (Linux-only settings, volumes Windows cannot mount). */
  const windowsBroken = windowsCapacitySpec.chain(capacity => fc.tuple(
    serviceSpecOn([capacity, false, undefined]),
    fc.oneof(...windowsContainerBreakers({ fargate: capacity.kind === 'fargateWindows', ebs: true })),
  )).map(([s, cb]) => [s, withContainer(cb)] as [ServiceSpec, Breaker<ServiceSpec>]);

  // A modelLoadTime above 2147483587 s makes a grace period ECS refuses: the message names modelLoadTime, the prop
  // the user set, not the grace period derived from it.
  test('modelLoadTime too long: the refusal names modelLoadTime', () => {
    fc.assert(fc.property(fc.integer({ min: 2147483647 - 59, max: Number.MAX_SAFE_INTEGER }), load => {
      assertRejected(env => new InferenceService(env.stack, 'Inference', { cluster: env.cluster, image: IMAGE, modelLoadTime: Duration.seconds(load) }),
        `modelLoadTime ${load} s`, /modelLoadTime must be a whole number between 0 and 2147483587 seconds/);
    }), params(seed, 5));
  });

  test('random invalid props are rejected with a ValidationError', () => {
    const anyBroken = fc.oneof(fc.tuple(serviceSpec, broken), fc.tuple(serviceSpec, newFeatures), fc.tuple(serviceSpec, modelStoreBroken),
      containerBroken, managedBroken, windowsBroken);
    fc.assert(fc.property(anyBroken, ([spec, br]) => {
      const bad = br.apply(spec);
      assertRejected(env => {
        const props = materialize(env, 'Inference', bad, br.what.endsWith('on a cluster without GPU capacity'));
        const service = new InferenceService(env.stack, 'Inference', props);
        if (bad.badClient) {
          const client = new InferenceService(env.stack, 'Client', { cluster: env.cluster, image: IMAGE });
          if (bad.badClient === 'otherNamespace') {
            const other = new InferenceService(env.stack, 'OtherServer', { cluster: new WorkloadCluster(env.stack, 'OtherCluster'), image: IMAGE, serviceConnect: { dnsName: 'other' } });
            other.allowServiceConnectFrom(client.service);
          }
          service.allowServiceConnectFrom(client.service);
        }
      }, br.what, br.message, br.atSynth);
    }), params(seed, INVALID_RUNS));
  });
});
