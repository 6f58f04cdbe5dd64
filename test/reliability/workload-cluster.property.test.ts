import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as fc from 'fast-check';
import { assertRejected, assertValidBatches, batchOf, Breaker, breaker, Env, fileSeed, INVALID_RUNS, logRetention, params } from './arbitraries';
import { AsgCapacityOptions, ManagedInstancesOptions, WorkloadCluster, WorkloadClusterProps } from '../../src';

const seed = fileSeed('workload-cluster.property.test.ts');

type Arch = 'arm' | 'x86' | 'gpu';
/**
 * Instance types are the user's choice: Control Tower's CT.AUTOSCALING.PR.10 / PR.11 flag types that are not Nitro or
 * lack encryption in transit (m6g, c6g, t3, t4g, c5, g6, ...), a finding the user fixes by picking other types. The
 * generator picks among types on both lists.
 */
const TYPES: { [a in Arch]: string[] } = {
  arm: ['m7g.large', 'c7g.large', 'r7g.large', 'c6gn.large', 'm7g.xlarge'],
  x86: ['m7i.large', 'c7i.large', 'r7i.large', 'm6a.xlarge', 'm6i.large', 'c6i.large'],
  gpu: ['g5.xlarge', 'g4dn.xlarge', 'g5.2xlarge'],
};

type Removal = 'RETAIN' | 'DESTROY' | 'RETAIN_ON_UPDATE_OR_DELETE';

interface AsgSpec {
  arch: Arch;
  types: string[];
  gpu?: boolean;
  maxCapacity: number;
  minCapacity?: number;
  spot?: boolean;
  targetCapacityPercent?: number;
  minimumScalingStepSize?: number;
  maximumScalingStepSize?: number;
  warmupS?: number;
  managedTerminationProtection?: boolean;
  managedDraining?: boolean;
  rootVolumeSizeGiB?: number;
  capacityProviderName?: string;
}

interface ClusterSpec {
  imported?: { existingCluster?: boolean };
  natGateways?: number;
  encryptionKey?: boolean;
  containerInsights?: 'ENABLED' | 'ENHANCED';
  restrictDefaultSecurityGroup?: boolean;
  flowLogRetention?: logs.RetentionDays;
  removalPolicy?: Removal;
  accessLogs?: boolean;
  capacities: AsgSpec[];
  managed?: ManagedSpec[];
}

/** Props of `addManagedInstances` (instance types named in `allowed` / `excluded` match the architecture and GPUs). */
interface ManagedSpec {
  arch?: 'arm' | 'x86';
  minVCpus?: number;
  maxVCpus?: number;
  minMemoryMiB?: number;
  maxMemoryMiB?: number;
  minGpus?: number;
  maxGpus?: number;
  nvidia?: boolean;
  allowed?: string[];
  excluded?: string[];
  spot?: boolean;
  storageSizeGiB?: number;
  detailedMonitoring?: boolean;
  capacityProviderName?: string;
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const asgSpec: fc.Arbitrary<AsgSpec> = fc.constantFrom<Arch>('arm', 'x86', 'gpu').chain(arch => fc.record({
  arch: fc.constant(arch),
  // known bug (or documented gap): a single instance type is accepted, but Control Tower's CT.AUTOSCALING.PR.6 wants
  // at least two; valid props give two or more (see the report).
  types: fc.shuffledSubarray(TYPES[arch], { minLength: 2, maxLength: 3 }),
  gpu: arch === 'gpu' ? fc.constant(true) : opt(fc.constant(false)),
  maxCapacity: fc.integer({ min: 1, max: 10000 }),
  minFraction: opt(fc.double({ min: 0, max: 1, noNaN: true })),
  spot: opt(fc.boolean()),
  targetCapacityPercent: opt(fc.integer({ min: 1, max: 100 })),
  steps: opt(fc.tuple(fc.integer({ min: 1, max: 10000 }), fc.integer({ min: 1, max: 10000 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)])),
  warmupS: opt(fc.integer({ min: 0, max: 10000 })),
  managedTerminationProtection: opt(fc.boolean()),
  managedDraining: opt(fc.boolean()),
  rootVolumeSizeGiB: opt(fc.integer({ min: 30, max: 16384 })),
  capacityProviderName: opt(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).filter(n => !/^(aws|ecs|fargate)/.test(n))),
}, { requiredKeys: ['arch', 'types', 'maxCapacity'] }).map(r => ({
  arch: r.arch,
  types: r.types,
  gpu: r.gpu,
  maxCapacity: r.maxCapacity,
  minCapacity: r.minFraction === undefined ? undefined : Math.floor(r.minFraction * r.maxCapacity),
  spot: r.spot,
  targetCapacityPercent: r.targetCapacityPercent,
  minimumScalingStepSize: r.steps?.[0],
  maximumScalingStepSize: r.steps?.[1],
  warmupS: r.warmupS,
  managedTerminationProtection: r.managedTerminationProtection,
  managedDraining: r.managedDraining,
  rootVolumeSizeGiB: r.rootVolumeSizeGiB,
  capacityProviderName: r.capacityProviderName,
})));

const MANAGED_TYPES = { arm: ['m7g.*', 'c7g.large', 'r7g.xlarge'], x86: ['m7i.*', 'c7i.large', 'm6a.xlarge'], gpu: ['g5.xlarge', 'g6.xlarge', 'g5.2xlarge'] };

const managedSpec: fc.Arbitrary<ManagedSpec> = fc.record({
  arch: fc.constantFrom('arm' as const, 'x86' as const),
  vcpus: fc.tuple(fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 1, max: 1024 })),
  memory: fc.tuple(fc.integer({ min: 512, max: 1048576 }), opt(fc.integer({ min: 512, max: 1048576 }))),
  gpus: opt(fc.tuple(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 }))),
  nvidia: fc.boolean(),
  types: opt(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3 }))),
  spot: opt(fc.boolean()),
  storageSizeGiB: opt(fc.integer({ min: 1, max: 16384 })),
  detailedMonitoring: opt(fc.boolean()),
  capacityProviderName: opt(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).filter(n => !/^(aws|ecs|fargate)/.test(n))),
}, { requiredKeys: [] }).map(r => {
  // GPU instances are x86_64 here (ARM64 with GPUs is refused).
  const gpus = r.gpus ? [Math.min(...r.gpus), Math.max(...r.gpus)] : undefined;
  const arch = gpus ? 'x86' : r.arch;
  const list = MANAGED_TYPES[gpus ? 'gpu' : arch ?? 'arm'].slice(0, r.types?.[1] ?? 0);
  return {
    arch,
    minVCpus: r.vcpus ? Math.min(...r.vcpus) : undefined,
    maxVCpus: r.vcpus ? Math.max(...r.vcpus) : undefined,
    minMemoryMiB: r.memory ? Math.min(r.memory[0], r.memory[1] ?? r.memory[0]) : undefined,
    maxMemoryMiB: r.memory?.[1] !== undefined ? Math.max(r.memory[0], r.memory[1]) : undefined,
    minGpus: gpus?.[0],
    maxGpus: gpus?.[1],
    nvidia: gpus ? r.nvidia : undefined,
    // allowed or excluded, never both (EC2 takes one); only GPU types are allowed with GPUs.
    allowed: r.types?.[0] === true ? list : undefined,
    excluded: r.types?.[0] === false && !gpus ? list : undefined,
    spot: r.spot,
    storageSizeGiB: r.storageSizeGiB,
    detailedMonitoring: r.detailedMonitoring,
    capacityProviderName: r.capacityProviderName,
  };
});

const clusterSpec: fc.Arbitrary<ClusterSpec> = fc.record({
  imported: opt(fc.record({ existingCluster: opt(fc.boolean()) }, { requiredKeys: [] })),
  natGateways: opt(fc.integer({ min: 0, max: 2 })),
  encryptionKey: opt(fc.boolean()),
  // ContainerInsights.DISABLED is the user's own opt-out (AwsSolutions-ECS4 and Control Tower flag it): not generated.
  containerInsights: opt(fc.constantFrom('ENABLED' as const, 'ENHANCED' as const)),
  // known bug: restrictDefaultSecurityGroup: true adds aws-cdk-lib's custom resource provider Lambda (outside the VPC),
  // which cfn-guard flags with lambda_inside_vpc_check (Control Tower CT.LAMBDA.PR.3), unacknowledged. Not generated.
  restrictDefaultSecurityGroup: opt(fc.constant(false)),
  flowLogRetention: opt(logRetention),
  removalPolicy: opt(fc.constantFrom<Removal>('RETAIN', 'DESTROY', 'RETAIN_ON_UPDATE_OR_DELETE')),
  accessLogs: opt(fc.boolean()),
  capacities: fc.array(asgSpec, { maxLength: 3 }),
  managed: opt(fc.array(managedSpec, { minLength: 1, maxLength: 1 })),
}, { requiredKeys: ['capacities'] }).map(c => ({
  ...c,
  natGateways: c.imported ? undefined : c.natGateways,
  restrictDefaultSecurityGroup: c.imported ? undefined : c.restrictDefaultSecurityGroup,
  flowLogRetention: c.imported ? undefined : c.flowLogRetention,
  containerInsights: c.imported?.existingCluster ? undefined : c.containerInsights,
  // addAsgCapacity needs a cluster created by WorkloadCluster.
  capacities: c.imported?.existingCluster ? [] : c.capacities,
  managed: c.imported?.existingCluster ? undefined : c.managed,
}));

function clusterProps(env: Env, id: string, c: ClusterSpec): WorkloadClusterProps {
  const stack = env.stack;
  const vpc = c.imported ? ec2.Vpc.fromVpcAttributes(stack, `${id}Vpc`, {
    vpcId: `vpc-${id.toLowerCase()}`,
    vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    publicSubnetIds: ['subnet-pub1', 'subnet-pub2'],
    privateSubnetIds: ['subnet-priv1', 'subnet-priv2'],
    privateSubnetIpv4CidrBlocks: ['10.0.16.0/20', '10.0.32.0/20'],
    publicSubnetIpv4CidrBlocks: ['10.0.0.0/24', '10.0.1.0/24'],
  }) : undefined;
  return {
    vpc,
    cluster: c.imported?.existingCluster ? ecs.Cluster.fromClusterAttributes(stack, `${id}Existing`, { clusterName: `${id}-cluster`, vpc: vpc! }) : undefined,
    natGateways: c.natGateways,
    encryptionKey: c.encryptionKey ? userKey(env, id) : undefined,
    containerInsights: c.containerInsights ? ecs.ContainerInsights[c.containerInsights] : undefined,
    restrictDefaultSecurityGroup: c.restrictDefaultSecurityGroup,
    flowLogRetention: c.flowLogRetention,
    removalPolicy: c.removalPolicy ? RemovalPolicy[c.removalPolicy] : undefined,
  };
}

/** The user's own key, built compliant: rotation on, CreateGrant for AWS services only (Control Tower CT.KMS.PR.3). */
function userKey(env: Env, id: string): kms.Key {
  const key = new kms.Key(env.stack, `${id}UserKey`, { enableKeyRotation: true });
  key.addToResourcePolicy(new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
  return key;
}

function asgOptions(a: AsgSpec, suffix: string): AsgCapacityOptions {
  return {
    instanceType: new ec2.InstanceType(a.types[0]),
    additionalInstanceTypes: a.types.slice(1).map(t => new ec2.InstanceType(t)),
    gpu: a.gpu,
    maxCapacity: a.maxCapacity,
    minCapacity: a.minCapacity,
    spot: a.spot,
    targetCapacityPercent: a.targetCapacityPercent,
    minimumScalingStepSize: a.minimumScalingStepSize,
    maximumScalingStepSize: a.maximumScalingStepSize,
    instanceWarmupPeriod: a.warmupS !== undefined ? Duration.seconds(a.warmupS) : undefined,
    managedTerminationProtection: a.managedTerminationProtection,
    managedDraining: a.managedDraining,
    rootVolumeSizeGiB: a.rootVolumeSizeGiB,
    // Capacity provider names are unique per account: suffixed.
    capacityProviderName: a.capacityProviderName !== undefined ? `${a.capacityProviderName}-${suffix}` : undefined,
  };
}

function managedOptions(m: ManagedSpec, suffix: string): ManagedInstancesOptions {
  return {
    cpuArchitecture: m.arch ? (m.arch === 'arm' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64) : undefined,
    minVCpus: m.minVCpus,
    maxVCpus: m.maxVCpus,
    minMemoryMiB: m.minMemoryMiB,
    maxMemoryMiB: m.maxMemoryMiB,
    minGpus: m.minGpus,
    maxGpus: m.maxGpus,
    gpuManufacturer: m.nvidia ? ec2.AcceleratorManufacturer.NVIDIA : undefined,
    allowedInstanceTypes: m.allowed,
    excludedInstanceTypes: m.excluded,
    spot: m.spot,
    storageSizeGiB: m.storageSizeGiB,
    detailedMonitoring: m.detailedMonitoring,
    // Capacity provider names are unique per account: suffixed.
    capacityProviderName: m.capacityProviderName !== undefined ? `${m.capacityProviderName}-${suffix}` : undefined,
  };
}

function build(env: Env, id: string, c: ClusterSpec): WorkloadCluster {
  const cluster = new WorkloadCluster(env.stack, id, clusterProps(env, id, c));
  c.capacities.forEach((a, i) => cluster.addAsgCapacity(`Asg${i}`, asgOptions(a, `${id}${i}`)));
  c.managed?.forEach((m, i) => cluster.addManagedInstances(`Managed${i}`, managedOptions(m, `${id}m${i}`)));
  if (c.accessLogs) void cluster.accessLogsBucket;
  return cluster;
}

describe('WorkloadCluster properties', () => {
  test('random valid props: zero findings of the cdk-nag packs and cfn-guard', () => {
    assertValidBatches(seed, batchOf(clusterSpec, 3, 5), (specs: ClusterSpec[]) => {
      const env = new Env();
      specs.forEach((s, i) => build(env, `Cluster${i}`, s));
      return env.stack;
    });
  });

  interface Bad { cluster: ClusterSpec; after?: (cluster: WorkloadCluster) => void; noVpc?: boolean }
  const own = (c: ClusterSpec): ClusterSpec => ({ ...c, imported: undefined, containerInsights: c.containerInsights });
  const asgB = (what: string, change: (a: AsgSpec) => AsgSpec) => fc.tuple(asgSpec, fc.nat({ max: 2 })).map(([a, at]) =>
    breaker<Bad>(what, x => {
      const caps = [...own(x.cluster).capacities];
      caps.splice(Math.min(at, caps.length), 0, change(a));
      return { cluster: { ...own(x.cluster), capacities: caps } };
    }));

  /** Props that need the VPC this construct creates (or a cluster it creates). */
  const ownVpcOnly = { natGateways: undefined, restrictDefaultSecurityGroup: undefined, flowLogRetention: undefined, containerInsights: undefined };

  /** Managed Instances breakers: each refusal names the prop and the value. */
  const miB = (what: string, change: (m: ManagedSpec) => ManagedSpec, message: RegExp) => managedSpec.map(m =>
    breaker<Bad>(what, x => ({ cluster: { ...own(x.cluster), managed: [...x.cluster.managed ?? [], change(m)] } }), message));
  const managedBroken: fc.Arbitrary<Breaker<Bad>> = fc.oneof(
    fc.oneof(fc.integer({ min: 1025, max: 1e6 }), fc.integer({ min: -10, max: 0 })).chain(v => miB(`minVCpus ${v}`, m => ({ ...m, minVCpus: v, maxVCpus: 1024 }),
      new RegExp(`minVCpus must be a whole number between 1 and 1024, got ${v}`))),
    fc.oneof(fc.integer({ min: 1025, max: 1e6 }), fc.integer({ min: -10, max: 0 })).chain(v => miB(`maxVCpus ${v}`, m => ({ ...m, minVCpus: 1, maxVCpus: v }),
      new RegExp(`maxVCpus must be a whole number between 1 and 1024, got ${v}`))),
    fc.integer({ min: 2, max: 1024 }).chain(v => miB(`minVCpus ${v} > maxVCpus ${v - 1}`, m => ({ ...m, minVCpus: v, maxVCpus: v - 1 }),
      new RegExp(`minVCpus \\(${v}\\) must not exceed maxVCpus \\(${v - 1}\\)`))),
    fc.oneof(fc.integer({ min: 0, max: 511 }), fc.integer({ min: 33554433, max: 1e9 })).chain(v => miB(`minMemoryMiB ${v}`, m => ({ ...m, minMemoryMiB: v, maxMemoryMiB: undefined }),
      new RegExp(`minMemoryMiB must be a whole number between 512 and 33554432, got ${v}`))),
    fc.integer({ min: 513, max: 1048576 }).chain(v => miB(`minMemoryMiB ${v} > maxMemoryMiB ${v - 1}`, m => ({ ...m, minMemoryMiB: v, maxMemoryMiB: v - 1 }),
      new RegExp(`minMemoryMiB \\(${v}\\) must not exceed maxMemoryMiB \\(${v - 1}\\)`))),
    fc.oneof(fc.integer({ min: 17, max: 1000 }), fc.integer({ min: -10, max: -1 })).chain(v => miB(`minGpus ${v}`, m => ({ ...m, arch: 'x86', minGpus: v, maxGpus: undefined, allowed: undefined }),
      new RegExp(`minGpus must be a whole number between 0 and 16, got ${v}`))),
    fc.integer({ min: 2, max: 16 }).chain(v => miB(`minGpus ${v} > maxGpus ${v - 1}`, m => ({ ...m, arch: 'x86', minGpus: v, maxGpus: v - 1, allowed: undefined }),
      new RegExp(`minGpus \\(${v}\\) must not exceed maxGpus \\(${v - 1}\\)`))),
    fc.oneof(fc.constant(0), fc.integer({ min: 16385, max: 1e6 })).chain(v => miB(`storageSizeGiB ${v}`, m => ({ ...m, storageSizeGiB: v }),
      new RegExp(`storageSizeGiB must be a whole number between 1 and 16384, got ${v}`))),
    fc.constantFrom('aws', 'ecs', 'fargate').chain(p => miB(`capacityProviderName starting with ${p}`, m => ({ ...m, capacityProviderName: `${p}-managed` }),
      new RegExp(`capacityProviderName '${p}-managed' starts with '${p}', a prefix ECS reserves`))),
    fc.constantFrom('a b', 'a/b', 'a.b', 'ä').chain(n => miB(`capacityProviderName ${JSON.stringify(n)}`, m => ({ ...m, capacityProviderName: n }),
      /capacityProviderName '.*' contains '.*', but it may only contain/)),
    miB('gpuManufacturer with minGpus 0', m => ({ ...m, minGpus: undefined, maxGpus: undefined, nvidia: true }),
      /gpuManufacturer \(nvidia\) was given with minGpus 0/),
    fc.integer({ min: 1, max: 16 }).chain(g => miB(`ARM64 with minGpus ${g}`, m => ({ ...m, arch: 'arm', minGpus: g, maxGpus: 16, allowed: undefined }),
      new RegExp(`cpuArchitecture is ARM64 with minGpus ${g}, but this library runs GPU tasks on x86_64 only`))),
    miB('allowedInstanceTypes with excludedInstanceTypes', m => ({ ...m, allowed: ['m7g.large'], excluded: ['t4g.*'] }),
      /allowedInstanceTypes \(m7g\.large\) and excludedInstanceTypes \(t4g\.\*\) were both given/),
    fc.constantFrom('m7i.large', 'c7g.large', 't3.micro').chain(t => miB(`allowedInstanceTypes ${t} without GPU with minGpus 1`,
      m => ({ ...m, arch: 'x86', minGpus: 1, maxGpus: 1, allowed: ['g5.xlarge', t], excluded: undefined }),
      new RegExp(`allowedInstanceTypes\\[1\\] '${t.replace('.', '\\.')}' has no GPU, but minGpus is 1`))),
  );

  const broken: fc.Arbitrary<Breaker<Bad>> = fc.oneof(
    fc.constant(breaker<Bad>('cluster without vpc', x => ({ cluster: { ...x.cluster, imported: { existingCluster: true }, capacities: [] }, noVpc: true }))),
    fc.integer({ min: 0, max: 2 }).map(n => breaker<Bad>(`natGateways ${n} with vpc`, x => ({ cluster: { ...x.cluster, imported: {}, natGateways: n } }))),
    fc.oneof(fc.integer({ min: 3, max: 100 }), fc.integer({ min: -10, max: -1 }), fc.double({ min: 0.1, max: 1.9, noInteger: true, noNaN: true }))
      .map(n => breaker<Bad>(`natGateways ${n}`, x => ({ cluster: { ...own(x.cluster), natGateways: n } }))),
    asgSpec.map(a => breaker<Bad>('addAsgCapacity on an existing cluster', x => ({ cluster: { ...x.cluster, imported: { existingCluster: true }, capacities: [a] } }))),
    asgSpec.map(a => breaker<Bad>('addAsgCapacity id used twice', x => ({
      cluster: { ...own(x.cluster), capacities: [] },
      after: cl => { cl.addAsgCapacity('Twice', asgOptions(a, 'a')); cl.addAsgCapacity('Twice', asgOptions(a, 'b')); },
    }))),
    fc.constant(breaker<Bad>('removalPolicy SNAPSHOT', x => ({ cluster: { ...x.cluster, removalPolicy: 'SNAPSHOT' as any } }))),
    fc.integer({ min: -10, max: 4000 }).filter(d => !Object.values(logs.RetentionDays).includes(d))
      .map(d => breaker<Bad>(`flowLogRetention ${d} (not a CloudWatch Logs retention)`, x => ({ cluster: { ...own(x.cluster), flowLogRetention: d as logs.RetentionDays } }))),
    fc.oneof(fc.integer({ min: 10001, max: 1e6 }), fc.integer({ min: -10, max: 0 })).chain(n => asgB(`maxCapacity ${n}`, a => ({ ...a, maxCapacity: n, minCapacity: undefined }))),
    fc.integer({ min: -100, max: -1 }).chain(n => asgB(`minCapacity ${n}`, a => ({ ...a, minCapacity: n }))),
    fc.integer({ min: 1, max: 100 }).chain(d => asgB(`minCapacity = maxCapacity + ${d}`, a => ({ ...a, maxCapacity: Math.min(a.maxCapacity, 9900), minCapacity: Math.min(a.maxCapacity, 9900) + d }))),
    fc.oneof(fc.constant(0), fc.integer({ min: 101, max: 1000 })).chain(p => asgB(`targetCapacityPercent ${p}`, a => ({ ...a, targetCapacityPercent: p }))),
    fc.oneof(fc.constant(0), fc.integer({ min: 10001, max: 1e6 })).chain(s => asgB(`minimumScalingStepSize ${s}`, a => ({ ...a, minimumScalingStepSize: s, maximumScalingStepSize: undefined }))),
    fc.oneof(fc.constant(0), fc.integer({ min: 10001, max: 1e6 })).chain(s => asgB(`maximumScalingStepSize ${s}`, a => ({ ...a, minimumScalingStepSize: undefined, maximumScalingStepSize: s }))),
    fc.integer({ min: 2, max: 10000 }).chain(s => asgB(`minimumScalingStepSize ${s} > maximumScalingStepSize ${s - 1}`, a => ({ ...a, minimumScalingStepSize: s, maximumScalingStepSize: s - 1 }))),
    fc.oneof(fc.integer({ min: 0, max: 29 }), fc.integer({ min: 16385, max: 1e6 })).chain(g => asgB(`rootVolumeSizeGiB ${g}`, a => ({ ...a, rootVolumeSizeGiB: g }))),
    fc.integer({ min: 10001, max: 1e6 }).chain(w => asgB(`instanceWarmupPeriod ${w} s`, a => ({ ...a, warmupS: w }))),
    fc.tuple(fc.constantFrom(...TYPES.arm), fc.constantFrom(...TYPES.x86)).chain(([arm, x86]) => asgB(`mixed architectures ${arm} + ${x86}`, a => ({ ...a, arch: 'arm', gpu: undefined, types: [arm, x86] }))),
    fc.constantFrom(...TYPES.arm).chain(t => asgB(`instance type ${t} repeated`, a => ({ ...a, arch: 'arm', gpu: undefined, types: [t, t] }))),
    fc.constantFrom(...TYPES.arm).chain(t => asgB(`gpu on ARM64 ${t}`, a => ({ ...a, arch: 'arm', gpu: true, types: [t] }))),
    fc.constantFrom('aws', 'ecs', 'fargate').chain(p => asgB(`capacityProviderName starting with ${p}`, a => ({ ...a, capacityProviderName: `${p}-provider` }))),
    fc.constantFrom('a b', 'a/b', 'a.b', 'ä', '').chain(n => asgB(`capacityProviderName ${JSON.stringify(n)}`, a => ({ ...a, capacityProviderName: n }))),
    fc.integer({ min: 256, max: 400 }).chain(n => asgB(`capacityProviderName of ${n} characters`, a => ({ ...a, capacityProviderName: 'p'.repeat(n) }))),
    fc.constant(breaker<Bad>('addManagedInstances on an existing cluster', x => ({
      cluster: { ...x.cluster, ...ownVpcOnly, imported: { existingCluster: true }, capacities: [], managed: [{}] },
    }), /addManagedInstances\('Managed0'\) needs a cluster created by WorkloadCluster/)),
    fc.constant(breaker<Bad>('addManagedInstances id used twice', x => ({
      cluster: { ...own(x.cluster), managed: [] },
      after: cl => { cl.addManagedInstances('Twice'); cl.addManagedInstances('Twice'); },
    }), /addManagedInstances id 'Twice' is already used in this cluster/)),
    managedBroken,
  );

  test('random invalid props are rejected with a ValidationError', () => {
    fc.assert(fc.property(clusterSpec, broken, (spec, br) => {
      const x = br.apply({ cluster: spec });
      assertRejected(env => {
        const props = clusterProps(env, 'Cluster', x.cluster);
        const cluster = new WorkloadCluster(env.stack, 'Cluster', x.noVpc ? { ...props, vpc: undefined } : props);
        // Broken names are given as they are (no suffix).
        x.cluster.capacities.forEach((a, i) => cluster.addAsgCapacity(`Asg${i}`, { ...asgOptions(a, ''), capacityProviderName: a.capacityProviderName }));
        x.cluster.managed?.forEach((m, i) => cluster.addManagedInstances(`Managed${i}`, { ...managedOptions(m, ''), capacityProviderName: m.capacityProviderName }));
        x.after?.(cluster);
      }, br.what, br.message);
    }), params(seed, INVALID_RUNS));
  });
});
