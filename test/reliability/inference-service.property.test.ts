import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { IConstruct } from 'constructs';
import * as fc from 'fast-check';
import { absPath, acknowledgeUserEnvironment, assertRejected, assertValidBatches, batchOf, breaker, Breaker, brokenCapacity, CapacitySpec, capacitySpec, containerBreakers, containerSpec, ContainerSpec, Env, fileSeed, INVALID_RUNS, isFargate, materializeCapacity, materializeContainer, params, WEB_ACL_ARN } from './arbitraries';
import { suppressGuardRule } from '../../src/core/resources';
import { InferenceService, InferenceServiceProps, LoadBalancerType } from '../../src/inference-service/inference-service';

const seed = fileSeed('inference-service.property.test.ts');

type Removal = 'RETAIN' | 'DESTROY' | 'RETAIN_ON_UPDATE_OR_DELETE';

interface ModelStoreSpec {
  mountPath: string;
  fileSystem?: boolean;
  accessPoint?: boolean;
  rootDirectory?: string;
  readOnly?: boolean;
  throughputMode?: 'ELASTIC' | 'BURSTING';
  removalPolicy?: Removal;
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
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const removal = fc.constantFrom<Removal>('RETAIN', 'DESTROY', 'RETAIN_ON_UPDATE_OR_DELETE');
/** Client CIDRs of a private range (an open 0.0.0.0/0 through allowedPeers is the user's own AwsSolutions-EC23 finding). */
const cidr = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 32 })).map(([b, m]) => `10.${b}.0.0/${m}`);

const modelStoreSpec: fc.Arbitrary<ModelStoreSpec> = fc.record({
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

const serviceSpec: fc.Arbitrary<ServiceSpec> = fc.tuple(opt(capacitySpec(['arm', 'x86', 'gpu'])), fc.boolean(), opt(modelStoreSpec)).chain(([capacity, gpuAuto, modelStore]) => {
  const fargate = isFargate(capacity) && !(capacity === undefined && gpuAuto);
  const provider = capacity?.kind === 'ec2' ? capacity.provider : capacity === undefined && gpuAuto ? 'gpu' : undefined;
  const reserved = modelStore ? { names: ['models'], paths: [modelStore.mountPath] } : {};
  return fc.record({
    capacity: fc.constant(capacity),
    container: containerSpec({ fargate, provider, reserved }),
    placement: fargate ? fc.constant(undefined) : opt(fc.boolean()),
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
    return {
      ...s,
      container,
      sslPolicy: cert ? s.sslPolicy : undefined,
      // Port 80 is plain HTTP (and the redirect) once there is a certificate.
      listenerPort: cert && s.listenerPort === 80 ? 8443 : s.listenerPort,
      redirectHttp: alb && cert ? s.redirectHttp : s.redirectHttp === true ? undefined : s.redirectHttp,
      webAcl: alb ? s.webAcl : undefined,
      requestsPerTarget: alb ? s.requestsPerTarget : undefined,
      minTasks: s.minTasks === undefined ? undefined : Math.min(onEc2 ? 1 : min, max),
      maxTasks: s.maxTasks === undefined ? (min > 4 ? min : undefined) : Math.max(min, max),
    };
  });
});

function materialize(env: Env, id: string, s: ServiceSpec, noGpuProvider = false): InferenceServiceProps {
  const stack = env.stack;
  // gpuCount without capacity runs on the cluster's GPU provider: add it (unless the test wants a cluster without one).
  if (!noGpuProvider && s.capacity === undefined && (s.container.gpuCount ?? 0) > 0) env.provider('gpu');
  let modelStore: InferenceServiceProps['modelStore'];
  if (s.modelStore) {
    const m = s.modelStore;
    modelStore = {
      mountPath: m.mountPath,
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
    placementConstraints: s.placement ? [ecs.PlacementConstraint.memberOf('attribute:ecs.os-type == linux')] : undefined,
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
  };
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
    assertValidBatches(seed, batchOf(serviceSpec, 3, 5), (specs: ServiceSpec[]) => {
      const env = new Env();
      specs.forEach((s, i) => build(env, `Inference${i}`, s));
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
      container: { ...s.container, gpuCount: g, cpuArchitecture: undefined, volumes: s.container.volumes?.filter(v => v.kind === 'scratch' || v.kind === 'efs'), resources: undefined },
    }))),
    brokenCapacity.map(({ what, capacity }) => b(what, s => ({
      ...s,
      capacity,
      placement: undefined,
      container: { ...s.container, cpuArchitecture: undefined, gpuCount: undefined, volumes: s.container.volumes?.filter(v => v.kind === 'scratch' || v.kind === 'efs') },
    }))),
    fc.constant(b('placement on Fargate', s => ({
      ...s,
      capacity: { kind: 'fargate' },
      placement: true,
      container: { ...s.container, gpuCount: undefined, volumes: undefined, resources: undefined, cpuArchitecture: undefined },
    }))),
  );

  const containerBroken = fc.boolean().chain(fargate => fc.tuple(
    serviceSpec.filter(s => (fargate ? s.capacity !== undefined && isFargate(s.capacity) : s.capacity?.kind === 'ec2' && s.capacity.provider === 'arm')),
    containerBreakers({ fargate, provider: 'arm' }),
  )).map(([s, cb]) => [s, b(cb.what, x => ({ ...x, container: cb.apply(x.container) }))] as [ServiceSpec, Breaker<ServiceSpec>]);

  test('random invalid props are rejected with a ValidationError', () => {
    fc.assert(fc.property(fc.oneof(fc.tuple(serviceSpec, broken), containerBroken), ([spec, br]) => {
      const bad = br.apply(spec);
      assertRejected(env => {
        const props = materialize(env, 'Inference', bad, br.what.endsWith('on a cluster without GPU capacity'));
        new InferenceService(env.stack, 'Inference', props);
      }, br.what);
    }), params(seed, INVALID_RUNS));
  });
});
