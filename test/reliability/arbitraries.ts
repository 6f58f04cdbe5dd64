/**
 * Shared fast-check arbitraries and harness of the property-based tests (issue 8, point 1).
 *
 * Arbitraries produce plain, printable *specs* (no constructs), so that a counterexample reads as
 * data and shrinks well; `materialize*` functions turn a spec into props inside a given stack. The
 * environment of a stack (`Env`) creates the cluster, the EC2 capacity providers, the imported file
 * system, certificate, secrets etc. on first use, so that a stack holds only what its specs need.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { IConstruct } from 'constructs';
import * as fc from 'fast-check';
import { Capacity, ManagedInstancesOptions, SidecarContainerOptions, WorkloadCluster, WorkloadContainerOptions, WorkloadManagedInstances, WorkloadVolume } from '../../src';
import { ValidationError } from '../../src/core/errors';
import { FARGATE_MEMORY_BY_CPU } from '../../src/core/task-definition';
import { findingLines, newStack } from '../compliance';
import { structuralProblems } from '../deploy-proof';

// ---------------------------------------------------------------------------------------------
// Seeds and run parameters
// ---------------------------------------------------------------------------------------------

/**
 * The seed of a test file: `FC_SEED` when set (replay), else the clock. It is not printed: a failing
 * property's message carries it (`{ seed: ..., path: ... }`), and `FC_SEED=<seed>` replays the file.
 */
export function fileSeed(_file: string): number {
  const fromEnv = process.env.FC_SEED;
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Date.now() % 2147483647;
}

/** `fc.assert` parameters: the file's seed, the run count, stop at the first failure. */
export function params(seed: number, numRuns: number): fc.Parameters<unknown> {
  return { seed, numRuns, endOnFailure: true };
}

/** Arbitrary of an array of 5–10 specs, one stack worth. */
export function batchOf<T>(arb: fc.Arbitrary<T>, minLength = 5, maxLength = 10): fc.Arbitrary<T[]> {
  return fc.array(arb, { minLength, maxLength });
}

// ---------------------------------------------------------------------------------------------
// Environment of one stack
// ---------------------------------------------------------------------------------------------

export const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
export const CERT_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
export const WEB_ACL_ARN = 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/inference/abcd';

/** The EC2 capacity providers the environment can add to its cluster. */
export type Ec2Kind = 'arm' | 'x86' | 'gpu';

const PROVIDERS: { [k in Ec2Kind]: { id: string; types: string[]; gpu?: boolean } } = {
  arm: { id: 'Arm', types: ['m7g.large', 'c7g.large'] },
  x86: { id: 'X86', types: ['m7i.large', 'c7i.large'] },
  gpu: { id: 'Gpu', types: ['g5.xlarge', 'g4dn.xlarge'], gpu: true },
};

/** The ECS Managed Instances capacity providers the environment can add to its cluster. */
export type ManagedKind = 'miArm' | 'miX86' | 'miGpu';

/**
 * Their instance requirements, and what the largest instance they may launch has (what a task may
 * ask for): every one at least as large as the EC2 providers, so `ec2CpuMemory` fits all of them.
 */
export const MANAGED: { [k in ManagedKind]: { id: string; options: ManagedInstancesOptions; cpu: number; memoryMiB: number; gpus: number; arch: 'ARM64' | 'X86_64' } } = {
  miArm: { id: 'ManagedArm', options: { maxVCpus: 4, maxMemoryMiB: 16384 }, cpu: 4096, memoryMiB: 16384, gpus: 0, arch: 'ARM64' },
  miX86: { id: 'ManagedX86', options: { cpuArchitecture: ecs.CpuArchitecture.X86_64, spot: true, minVCpus: 2, maxVCpus: 8, maxMemoryMiB: 32768 }, cpu: 8192, memoryMiB: 32768, gpus: 0, arch: 'X86_64' },
  miGpu: { id: 'ManagedGpu', options: { minGpus: 1, maxGpus: 1, minVCpus: 4, maxMemoryMiB: 65536, allowedInstanceTypes: ['g5.xlarge', 'g6.xlarge'] }, cpu: 16384, memoryMiB: 65536, gpus: 1, arch: 'X86_64' },
};

/** A stack with a WorkloadCluster, and the shared things specs refer to, created on first use. */
export class Env {
  public readonly app: App;
  public readonly stack: Stack;
  private _cluster?: WorkloadCluster;
  private readonly providers: { [k: string]: ecs.AsgCapacityProvider } = {};
  private readonly managedCapacities: { [k: string]: WorkloadManagedInstances } = {};
  private _fileSystem?: efs.IFileSystem;
  private _certificate?: acm.ICertificate;
  private readonly secrets: { [name: string]: ecs.Secret } = {};
  private readonly accessPoints: { [name: string]: efs.IAccessPoint } = {};

  constructor(id = 'Test') {
    this.stack = newStack(id);
    this.app = this.stack.node.root as App;
  }

  public get cluster(): WorkloadCluster {
    this._cluster ??= new WorkloadCluster(this.stack, 'Cluster');
    return this._cluster;
  }

  public provider(kind: Ec2Kind): ecs.AsgCapacityProvider {
    if (!this.providers[kind]) {
      const p = PROVIDERS[kind];
      this.providers[kind] = this.cluster.addAsgCapacity(p.id, {
        instanceType: new ec2.InstanceType(p.types[0]),
        additionalInstanceTypes: p.types.slice(1).map(t => new ec2.InstanceType(t)),
        gpu: p.gpu,
        maxCapacity: 2,
      });
    }
    return this.providers[kind];
  }

  public managed(kind: ManagedKind): WorkloadManagedInstances {
    this.managedCapacities[kind] ??= this.cluster.addManagedInstances(MANAGED[kind].id, MANAGED[kind].options);
    return this.managedCapacities[kind];
  }

  /** An imported EFS file system (its settings are its owner's, not ours). */
  public get fileSystem(): efs.IFileSystem {
    this._fileSystem ??= efs.FileSystem.fromFileSystemAttributes(this.stack, 'SharedFs', {
      fileSystemId: 'fs-12345678',
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this.stack, 'SharedFsSg', 'sg-12345678'),
    });
    return this._fileSystem;
  }

  public accessPoint(name: string): efs.IAccessPoint {
    this.accessPoints[name] ??= efs.AccessPoint.fromAccessPointAttributes(this.stack, `Ap${Object.keys(this.accessPoints).length}`, {
      accessPointId: `fsap-${String(Object.keys(this.accessPoints).length).padStart(8, '0')}`,
      fileSystem: this.fileSystem,
    });
    return this.accessPoints[name];
  }

  public get certificate(): acm.ICertificate {
    this._certificate ??= acm.Certificate.fromCertificateArn(this.stack, 'Certificate', CERT_ARN);
    return this._certificate;
  }

  /** A SecureString parameter, as a container secret. */
  public secret(name: string): ecs.Secret {
    this.secrets[name] ??= ecs.Secret.fromSsmParameter(ssm.StringParameter.fromSecureStringParameterAttributes(
      this.stack, `Param${Object.keys(this.secrets).length}`, { parameterName: `/app/${name.toLowerCase()}` }));
    return this.secrets[name];
  }
}

// ---------------------------------------------------------------------------------------------
// Capacity
// ---------------------------------------------------------------------------------------------

export type CapacitySpec =
  | { readonly kind: 'fargate' }
  | { readonly kind: 'spot'; readonly spotWeight?: number; readonly onDemandBase?: number; readonly onDemandWeight?: number }
  | { readonly kind: 'ec2'; readonly provider: Ec2Kind; readonly base?: number }
  | { readonly kind: 'managed'; readonly managed: ManagedKind; readonly base?: number }
  /** Invalid props only: a provider of another cluster. */
  | { readonly kind: 'foreign' }
  /** Invalid props only: Managed Instances of another cluster. */
  | { readonly kind: 'foreignManaged' };

const weight = fc.integer({ min: 0, max: 1000 });
const base = fc.integer({ min: 0, max: 100000 });

/** Fargate Spot options whose strategy has at least one weight ≥ 1. */
export const spotSpec: fc.Arbitrary<CapacitySpec> = fc.record({
  spotWeight: fc.option(weight, { nil: undefined }),
  onDemandBase: fc.option(base, { nil: undefined }),
  onDemandWeight: fc.option(weight, { nil: undefined }),
}, { requiredKeys: [] }).filter(o => (o.spotWeight ?? 1) > 0 || (o.onDemandWeight ?? 0) > 0)
  .map(o => ({ kind: 'spot' as const, ...o }));

export function ec2Spec(providers: Ec2Kind[] = ['arm', 'x86']): fc.Arbitrary<CapacitySpec> {
  return fc.record({
    provider: fc.constantFrom(...providers),
    base: fc.option(base, { nil: undefined }),
  }, { requiredKeys: ['provider'] }).map(o => ({ kind: 'ec2' as const, ...o }));
}

export function managedSpec(kinds: ManagedKind[] = ['miArm', 'miX86', 'miGpu']): fc.Arbitrary<CapacitySpec> {
  return fc.record({
    managed: fc.constantFrom(...kinds),
    base: fc.option(base, { nil: undefined }),
  }, { requiredKeys: ['managed'] }).map(o => ({ kind: 'managed' as const, ...o }));
}

/** Fargate, Fargate Spot, the EC2 `providers` and the Managed Instances `managed`. */
export function capacitySpec(providers: Ec2Kind[] = ['arm', 'x86'], managed: ManagedKind[] = []): fc.Arbitrary<CapacitySpec> {
  // Managed Instances add a capacity provider, two roles and an instance profile to the stack: drawn half as often, to keep the local run fast.
  const kinds: fc.WeightedArbitrary<CapacitySpec>[] = [fc.constant<CapacitySpec>({ kind: 'fargate' }), spotSpec, ec2Spec(providers)].map(arbitrary => ({ arbitrary, weight: 2 }));
  if (managed.length > 0) kinds.push({ arbitrary: managedSpec(managed), weight: 1 });
  return fc.oneof(...kinds);
}

/** The container spec options of a capacity (`gpu`: the default capacity of a GPU task, the cluster's GPU provider). */
export function capacityContainer(c: CapacitySpec | undefined, gpu = false): { fargate: boolean; provider?: Ec2Kind; managed?: ManagedKind } {
  if (c?.kind === 'ec2') return { fargate: false, provider: c.provider };
  if (c?.kind === 'managed') return { fargate: false, managed: c.managed };
  if (c === undefined && gpu) return { fargate: false, provider: 'gpu' };
  return { fargate: true };
}

export function materializeCapacity(env: Env, spec: CapacitySpec): Capacity {
  switch (spec.kind) {
    case 'fargate': return Capacity.fargate();
    case 'spot': return Capacity.fargateSpot({ spotWeight: spec.spotWeight, onDemandBase: spec.onDemandBase, onDemandWeight: spec.onDemandWeight });
    case 'ec2': return Capacity.ec2(env.provider(spec.provider), { base: spec.base });
    case 'managed': return Capacity.managedInstances(env.managed(spec.managed), { base: spec.base });
    case 'foreign': return Capacity.ec2(new WorkloadCluster(env.stack, 'OtherCluster').addAsgCapacity('Arm', {
      instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 1,
    }));
    case 'foreignManaged': return Capacity.managedInstances(new WorkloadCluster(env.stack, 'OtherCluster').addManagedInstances('Managed'));
  }
}

export const isFargate = (c: CapacitySpec | undefined, fallbackFargate = true) => c === undefined ? fallbackFargate : c.kind !== 'ec2' && c.kind !== 'managed';

// ---------------------------------------------------------------------------------------------
// Container options
// ---------------------------------------------------------------------------------------------

const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,7}$/);
/** An absolute POSIX path of 1–3 segments (never '/' itself, never '..'). */
export const absPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map(s => `/${s.join('/')}`);
/** Non-root users (a root user is the user's own finding: ECS, NIST and Control Tower rules flag it). */
export const user = fc.constantFrom('1000', '1000:1000', '65534', 'app', 'nobody:nogroup');
/** Log retention of a year or more (shorter retention is the user's own finding under Control Tower / HIPAA). */
export const logRetention = fc.constantFrom(logs.RetentionDays.ONE_YEAR, logs.RetentionDays.THIRTEEN_MONTHS,
  logs.RetentionDays.EIGHTEEN_MONTHS, logs.RetentionDays.TWO_YEARS, logs.RetentionDays.FIVE_YEARS, logs.RetentionDays.TEN_YEARS);
const envKey = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,9}$/).filter(k => !k.startsWith('AWS_') && !k.startsWith('ECS_'));
const envMap = fc.dictionary(envKey, fc.string({ maxLength: 12 }), { minKeys: 1, maxKeys: 3 });
const commandArb = fc.array(fc.stringMatching(/^[a-z0-9_.=-]{1,10}$/), { minLength: 1, maxLength: 4 });

export interface HealthCheckSpec {
  readonly intervalS?: number;
  readonly timeoutS?: number;
  readonly retries?: number;
  readonly startPeriodS?: number;
}
/** ECS health check limits: interval 5–300 s, timeout 2–120 s and at most the interval (default 30 s), retries 1–10, start period 0–300 s. */
export const healthCheckSpec: fc.Arbitrary<HealthCheckSpec> = fc.record({
  intervalS: fc.integer({ min: 5, max: 300 }),
  timeoutS: fc.integer({ min: 2, max: 120 }),
  retries: fc.integer({ min: 1, max: 10 }),
  startPeriodS: fc.integer({ min: 0, max: 300 }),
}, { requiredKeys: [] }).map(h => {
  const interval = h.intervalS ?? 30;
  return h.timeoutS !== undefined && h.timeoutS > interval ? { ...h, timeoutS: Math.max(2, interval) } : h;
});

export function materializeHealthCheck(h: HealthCheckSpec): ecs.HealthCheck {
  return {
    command: ['CMD-SHELL', 'true'],
    interval: h.intervalS !== undefined ? Duration.seconds(h.intervalS) : undefined,
    timeout: h.timeoutS !== undefined ? Duration.seconds(h.timeoutS) : undefined,
    retries: h.retries,
    startPeriod: h.startPeriodS !== undefined ? Duration.seconds(h.startPeriodS) : undefined,
  };
}

export interface SidecarSpec {
  readonly name: string;
  readonly cpu?: number;
  readonly memoryLimitMiB?: number;
  readonly command?: string[];
  readonly environment?: { [k: string]: string };
  readonly secret?: string;
  readonly essential?: boolean;
  readonly waitsFor?: 'START' | 'HEALTHY' | 'COMPLETE' | 'SUCCESS';
  readonly healthCheck?: HealthCheckSpec;
  readonly readonlyRootFilesystem?: true;
  readonly user?: string;
}

/** One sidecar (names are made unique by `sidecars`). */
const sidecarArb: fc.Arbitrary<SidecarSpec> = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/).filter(n => n !== 'main'),
  cpu: fc.integer({ min: 0, max: 64 }),
  memoryLimitMiB: fc.integer({ min: 6, max: 256 }),
  command: commandArb,
  environment: envMap,
  secret: fc.constantFrom('TOKEN', 'PASSWORD'),
  essential: fc.boolean(),
  waitsFor: fc.constantFrom('START' as const, 'HEALTHY' as const, 'COMPLETE' as const, 'SUCCESS' as const),
  healthCheck: healthCheckSpec,
  readonlyRootFilesystem: fc.constant(true as const),
  user,
}, { requiredKeys: ['name'] }).map(s => {
  let spec = s;
  // HEALTHY needs a health check (a ValidationError otherwise: tested among the invalid props).
  if (spec.waitsFor === 'HEALTHY' && !spec.healthCheck) spec = { ...spec, waitsFor: 'START' };
  // ECS rejects COMPLETE / SUCCESS on an essential sidecar (a ValidationError here); valid props avoid it.
  if ((spec.waitsFor === 'COMPLETE' || spec.waitsFor === 'SUCCESS') && spec.essential) spec = { ...spec, essential: false };
  return spec;
});

export const sidecars = fc.uniqueArray(sidecarArb, { maxLength: 3, selector: s => s.name });

export const sidecarMemory = (s: readonly SidecarSpec[] | undefined) => (s ?? []).reduce((sum, x) => sum + (x.memoryLimitMiB ?? 128), 0);
export const sidecarCpu = (s: readonly SidecarSpec[] | undefined) => (s ?? []).reduce((sum, x) => sum + (x.cpu ?? 0), 0);

export function materializeSidecar(env: Env, s: SidecarSpec): SidecarContainerOptions {
  return {
    name: s.name,
    image: IMAGE,
    cpu: s.cpu,
    memoryLimitMiB: s.memoryLimitMiB,
    command: s.command,
    environment: s.environment,
    secrets: s.secret ? { [s.secret]: env.secret(s.secret) } : undefined,
    essential: s.essential,
    mainContainerWaitsFor: s.waitsFor ? ecs.ContainerDependencyCondition[s.waitsFor] : undefined,
    healthCheck: s.healthCheck ? materializeHealthCheck(s.healthCheck) : undefined,
    readonlyRootFilesystem: s.readonlyRootFilesystem,
    user: s.user,
  };
}

// Volumes ---------------------------------------------------------------------------------------

export type VolumeSpec =
  | { readonly kind: 'scratch'; readonly name: string; readonly path: string; readonly readOnly?: boolean }
  | { readonly kind: 'host'; readonly name: string; readonly path: string; readonly hostPath: string; readonly readOnly?: boolean }
  | { readonly kind: 'docker'; readonly name: string; readonly path: string; readonly driverOpts?: { [k: string]: string }; readonly shared?: boolean; readonly readOnly?: boolean }
  | { readonly kind: 'efs'; readonly name: string; readonly path: string; readonly accessPoint?: boolean; readonly readOnly?: boolean };


const volumeName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
const ro = fc.option(fc.boolean(), { nil: undefined });

/** One volume; `ec2` allows host paths and Docker volumes (Fargate supports neither). */
function volumeArb(ec2Capacity: boolean): fc.Arbitrary<VolumeSpec> {
  const kinds: fc.Arbitrary<VolumeSpec>[] = [
    fc.record({ kind: fc.constant('scratch' as const), name: volumeName, path: absPath, readOnly: ro }, { requiredKeys: ['kind', 'name', 'path'] }),
    fc.record({ kind: fc.constant('efs' as const), name: volumeName, path: absPath, accessPoint: fc.boolean(), readOnly: ro },
      { requiredKeys: ['kind', 'name', 'path', 'accessPoint'] }),
  ];
  if (ec2Capacity) {
    kinds.push(
      fc.record({ kind: fc.constant('host' as const), name: volumeName, path: absPath, hostPath: absPath, readOnly: ro }, { requiredKeys: ['kind', 'name', 'path', 'hostPath'] }),
      fc.record({
        kind: fc.constant('docker' as const),
        name: volumeName,
        path: absPath,
        driverOpts: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z0-9]{1,6}$/), { maxKeys: 2 }),
        shared: fc.boolean(),
        readOnly: ro,
      }, { requiredKeys: ['kind', 'name', 'path'] }),
    );
  }
  return fc.oneof(...kinds);
}

/**
 * Volumes of distinct names and mount points, none mounted at a path inside another's.
 * `reservedNames` / `reservedPaths` are taken by the construct (e.g. the inference model store).
 */
export interface ReservedVolumes { names?: string[]; paths?: string[] }

export function volumes(ec2Capacity: boolean, reserved: ReservedVolumes = {}): fc.Arbitrary<VolumeSpec[]> {
  return fc.uniqueArray(volumeArb(ec2Capacity), {
    maxLength: 3,
    selector: v => v.name,
  }).filter(vs => {
    const names = new Set(vs.map(v => v.name));
    const paths = vs.map(v => v.path);
    if (names.size !== vs.length) return false;
    // Duplicate mount points are a ValidationError (Docker rejects them when the task starts).
    if (new Set(paths).size !== paths.length) return false;
    if (vs.some(v => reserved.names?.includes(v.name))) return false;
    if (paths.some(p => reserved.paths?.includes(p))) return false;
    return true;
  });
}

export function materializeVolume(env: Env, v: VolumeSpec): WorkloadVolume {
  switch (v.kind) {
    case 'scratch': return WorkloadVolume.bindMount({ name: v.name, containerPath: v.path, readOnly: v.readOnly });
    case 'host': return WorkloadVolume.bindMount({ name: v.name, containerPath: v.path, hostPath: v.hostPath, readOnly: v.readOnly });
    case 'docker': return WorkloadVolume.dockerVolume({
      name: v.name, containerPath: v.path, driverOpts: v.driverOpts, scope: v.shared ? ecs.Scope.SHARED : undefined, readOnly: v.readOnly,
    });
    case 'efs': return WorkloadVolume.efs({
      name: v.name,
      containerPath: v.path,
      fileSystem: env.fileSystem,
      accessPoint: v.accessPoint ? env.accessPoint(v.name) : undefined,
      readOnly: v.readOnly,
    });
  }
}

// Task resources + the rest ---------------------------------------------------------------------

/** Valid Fargate (cpu, memory) pairs. */
export const fargateCpuMemory: fc.Arbitrary<{ cpu: number; memoryLimitMiB: number }> =
  fc.constantFrom(...Object.keys(FARGATE_MEMORY_BY_CPU).map(Number)).chain(cpu =>
    fc.constantFrom(...FARGATE_MEMORY_BY_CPU[cpu]).map(memoryLimitMiB => ({ cpu, memoryLimitMiB })));

/**
 * What the largest instance type of each provider has: CPU units (1024 per vCPU) and installed memory
 * (MiB). A task that needs more can never be placed (a ValidationError).
 */
export const PROVIDER_LIMITS: { [k in Ec2Kind]: { cpu: number; memoryMiB: number; gpus: number } } = {
  arm: { cpu: 2048, memoryMiB: 8192, gpus: 0 }, // m7g.large
  x86: { cpu: 2048, memoryMiB: 8192, gpus: 0 }, // m7i.large
  gpu: { cpu: 4096, memoryMiB: 16384, gpus: 1 }, // g5.xlarge, g4dn.xlarge
};

/** EC2 task-level cpu and memory (within ECS limits and what every provider's instances have, with room for sidecars). */
export const ec2CpuMemory = fc.record({ cpu: fc.integer({ min: 128, max: 2048 }), memoryLimitMiB: fc.integer({ min: 6, max: 8192 }) });

/** The retention periods CloudWatch Logs accepts, in days (and 9999, aws-cdk-lib's RetentionDays.INFINITE). */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 9999];

export interface ContainerSpec {
  readonly resources?: { cpu: number; memoryLimitMiB: number };
  readonly command?: string[];
  readonly entryPoint?: string[];
  readonly environment?: { [k: string]: string };
  readonly secrets?: string[];
  readonly containerPort?: number;
  readonly healthCheck?: HealthCheckSpec;
  readonly stopTimeoutS?: number;
  readonly cpuArchitecture?: 'ARM64' | 'X86_64';
  readonly gpuCount?: number;
  readonly readonlyRootFilesystem?: true;
  readonly user?: string;
  readonly logRetention?: logs.RetentionDays;
  readonly sidecars?: SidecarSpec[];
  readonly volumes?: VolumeSpec[];
}

export interface ContainerSpecOptions {
  /** Whether the capacity is Fargate (else EC2). */
  readonly fargate: boolean;
  /** The EC2 provider, if any (fixes the architecture, allows GPUs). */
  readonly provider?: Ec2Kind;
  /** The Managed Instances, if any (fix the architecture, allow GPUs; no Docker volumes or host paths). */
  readonly managed?: ManagedKind;
  /** Whether `containerPort` is generated. */
  readonly port?: boolean;
  /** Reserved volume names / ids / paths. */
  readonly reserved?: { names?: string[]; paths?: string[] };
  /** Memory (MiB) assumed when resources are absent. */
  readonly defaultMemory?: number;
  /** Skip task-level resources (daemons). */
  readonly noResources?: boolean;
}

/** Valid `WorkloadContainerOptions` (as a spec) for the capacity. */
export function containerSpec(o: ContainerSpecOptions): fc.Arbitrary<ContainerSpec> {
  const resources = o.noResources ? fc.constant(undefined) : o.fargate ? fargateCpuMemory : ec2CpuMemory;
  const arch: fc.Arbitrary<'ARM64' | 'X86_64'> = o.fargate ? fc.constantFrom('ARM64', 'X86_64')
    : o.managed ? fc.constant(MANAGED[o.managed].arch)
      : fc.constant(o.provider === 'arm' ? 'ARM64' : 'X86_64');
  const gpus = o.managed ? MANAGED[o.managed].gpus : o.provider === 'gpu' ? PROVIDER_LIMITS.gpu.gpus : 0;
  return fc.record({
    resources,
    command: commandArb,
    entryPoint: commandArb,
    environment: envMap,
    secrets: fc.uniqueArray(fc.constantFrom('API_KEY', 'DB_PASSWORD', 'TOKEN'), { minLength: 1, maxLength: 2 }),
    containerPort: o.port === false ? fc.constant(undefined) : fc.integer({ min: 1, max: 65535 }),
    healthCheck: healthCheckSpec,
    stopTimeoutS: fc.integer({ min: 2, max: 120 }),
    cpuArchitecture: arch,
    gpuCount: gpus > 0 ? fc.integer({ min: 1, max: gpus }) : fc.constant(undefined),
    readonlyRootFilesystem: fc.constant(true as const),
    user,
    logRetention,
    sidecars,
    // On Managed Instances: scratch space and EFS (Docker volumes are refused; host paths are left to the EC2 providers).
    volumes: volumes(!o.fargate && !o.managed, o.reserved),
  }, { requiredKeys: [] }).map(spec => {
    let s = spec;
    const memory = s.resources?.memoryLimitMiB ?? o.defaultMemory ?? 512;
    const cpu = s.resources?.cpu ?? 256;
    // Sidecars must leave the main container 64 MiB, and their CPU must fit the task's.
    let sc = s.sidecars ?? [];
    while (sc.length > 0 && (memory - sidecarMemory(sc) < 64 || (!o.noResources && sidecarCpu(sc) > cpu))) sc = sc.slice(0, -1);
    s = { ...s, sidecars: sc.length ? sc : undefined };
    if (!o.noResources && s.resources && !o.fargate && s.resources.memoryLimitMiB - sidecarMemory(s.sidecars) < 64) {
      s = { ...s, resources: { ...s.resources, memoryLimitMiB: sidecarMemory(s.sidecars) + 64 } };
    }
    return s;
  });
}

export function materializeContainer(env: Env, s: ContainerSpec): WorkloadContainerOptions & { image: ecs.ContainerImage } {
  return {
    image: IMAGE,
    cpu: s.resources?.cpu,
    memoryLimitMiB: s.resources?.memoryLimitMiB,
    command: s.command,
    entryPoint: s.entryPoint,
    environment: s.environment,
    secrets: s.secrets ? Object.fromEntries(s.secrets.map(n => [n, env.secret(n)])) : undefined,
    containerPort: s.containerPort,
    healthCheck: s.healthCheck ? materializeHealthCheck(s.healthCheck) : undefined,
    stopTimeout: s.stopTimeoutS !== undefined ? Duration.seconds(s.stopTimeoutS) : undefined,
    cpuArchitecture: s.cpuArchitecture ? ecs.CpuArchitecture[s.cpuArchitecture] : undefined,
    gpuCount: s.gpuCount,
    readonlyRootFilesystem: s.readonlyRootFilesystem,
    user: s.user,
    logRetention: s.logRetention,
    sidecars: s.sidecars?.map(x => materializeSidecar(env, x)),
    volumes: s.volumes?.map(v => materializeVolume(env, v)),
  };
}

/** Whether the spec sets plain environment variables of its own (main container or sidecars). */
export function hasUserEnvironment(s: ContainerSpec): boolean {
  return Object.keys(s.environment ?? {}).length > 0 || (s.sidecars ?? []).some(x => Object.keys(x.environment ?? {}).length > 0);
}

/**
 * A user's own plain environment variables trigger AwsSolutions-ECS2 ("use secrets"): that is the user's
 * call, acknowledged here exactly as a user would acknowledge it on their task definition.
 */
export function acknowledgeUserEnvironment(s: ContainerSpec, taskDefinition: IConstruct): void {
  if (hasUserEnvironment(s)) {
    Validations.of(taskDefinition).acknowledge({ id: 'AwsSolutions-ECS2', reason: 'The generated variables are not secrets (user-owned finding).' });
  }
}

// ---------------------------------------------------------------------------------------------
// Breakers: each takes valid specs and breaks exactly one thing
// ---------------------------------------------------------------------------------------------

/** One broken thing: a description, the mutation and, if given, what the refusal's message must say. */
export interface Breaker<T> {
  readonly what: string;
  readonly apply: (spec: T) => T;
  readonly message?: RegExp;
}

export function breaker<T>(what: string, apply: (spec: T) => T, message?: RegExp): Breaker<T> {
  return { what, apply, message };
}

/** Capacity values ECS rejects. */
export const brokenCapacity: fc.Arbitrary<{ what: string; capacity: CapacitySpec }> = fc.oneof(
  fc.constantFrom<{ what: string; capacity: CapacitySpec }>(
    { what: 'every Fargate Spot weight 0', capacity: { kind: 'spot', spotWeight: 0 } },
    { what: 'every weight 0 with an on-demand base', capacity: { kind: 'spot', spotWeight: 0, onDemandWeight: 0, onDemandBase: 2 } },
    { what: 'a provider of another cluster', capacity: { kind: 'foreign' } },
    { what: 'Managed Instances of another cluster', capacity: { kind: 'foreignManaged' } },
  ),
  fc.oneof(fc.integer({ min: 1001, max: 1e6 }), fc.integer({ min: -1000, max: -1 }), fc.double({ min: 0.01, max: 999, noInteger: true, noNaN: true }))
    .map(w => ({ what: `spotWeight ${w}`, capacity: { kind: 'spot', spotWeight: w } as CapacitySpec })),
  fc.oneof(fc.integer({ min: 1001, max: 1e6 }), fc.integer({ min: -1000, max: -1 }))
    .map(w => ({ what: `onDemandWeight ${w}`, capacity: { kind: 'spot', onDemandWeight: w } as CapacitySpec })),
  fc.oneof(fc.integer({ min: 100001, max: 1e7 }), fc.integer({ min: -1000, max: -1 }))
    .map(b => ({ what: `onDemandBase ${b}`, capacity: { kind: 'spot', onDemandBase: b, onDemandWeight: 1 } as CapacitySpec })),
  fc.oneof(fc.integer({ min: 100001, max: 1e7 }), fc.integer({ min: -1000, max: -1 }))
    .map(b => ({ what: `EC2 base ${b}`, capacity: { kind: 'ec2', provider: 'arm', base: b } as CapacitySpec })),
);

const notFargateCpu = fc.integer({ min: 1, max: 20000 }).filter(c => !(c in FARGATE_MEMORY_BY_CPU));

/**
 * Breakers of the container options for a capacity. `fargate`: Fargate-only violations; otherwise
 * EC2 ones (with the provider's architecture).
 */
export interface BreakerOptions { fargate: boolean; provider?: Ec2Kind; managed?: ManagedKind; port?: boolean; noResources?: boolean }

export function containerBreakers(o: BreakerOptions): fc.Arbitrary<Breaker<ContainerSpec>> {
  const b = (what: string, apply: (s: ContainerSpec) => ContainerSpec, message?: RegExp) => breaker(what, apply, message);
  if (o.managed) return fc.oneof(...managedContainerBreakers(o.managed));
  const list: fc.Arbitrary<Breaker<ContainerSpec>>[] = [
    // (Duration rejects negative amounts itself, before any prop reaches a construct.)
    fc.oneof(fc.integer({ min: 121, max: 10000 }), fc.integer({ min: 0, max: 1 }))
      .map(t => b(`stopTimeout ${t} s`, s => ({ ...s, stopTimeoutS: t }))),
    fc.oneof(fc.integer({ min: 17, max: 100 }), fc.integer({ min: -5, max: -1 }))
      .map(g => b(`gpuCount ${g}`, s => ({ ...s, gpuCount: g }))),
    fc.constant(b('a sidecar named main', s => ({ ...s, sidecars: [{ name: 'main', memoryLimitMiB: 6 }] }))),
    fc.constantFrom('a b', 'a/b', 'a.b', 'ä', '', 'x'.repeat(256)).map(n => b(`sidecar name ${JSON.stringify(n.slice(0, 20))}`,
      s => ({ ...s, sidecars: [{ name: n, memoryLimitMiB: 6 }] }))),
    fc.integer({ min: 10, max: 20 }).map(n => b(`${n} sidecars (ECS allows 10 containers per task)`,
      s => ({ ...s, resources: undefined, sidecars: Array.from({ length: n }, (_, i) => ({ name: `s${i}`, memoryLimitMiB: 6 })) }))),
    fc.constantFrom('a b', 'a/b', 'a.b', 'ä', '', 'x'.repeat(256)).map(n => b(`volume name ${JSON.stringify(n.slice(0, 20))}`,
      s => ({ ...s, volumes: [{ kind: 'scratch', name: n, path: '/scratch' }] }))),
    fc.constant(b('two sidecars of one name', s => ({ ...s, sidecars: [{ name: 'twin', memoryLimitMiB: 6 }, { name: 'twin', memoryLimitMiB: 6 }] }))),
    fc.integer({ min: -100, max: 5 }).map(m => b(`sidecar memoryLimitMiB ${m}`, s => ({ ...s, sidecars: [{ name: 'small', memoryLimitMiB: m }] }))),
    fc.constant(b('sidecars leave the main container < 64 MiB', s => {
      const memory = s.resources?.memoryLimitMiB ?? 512;
      return { ...s, sidecars: [{ name: 'hog', memoryLimitMiB: Math.min(memory - 1, 122880) }] };
    })),
    fc.constant(b('main waits for a HEALTHY sidecar without health check', s => ({ ...s, sidecars: [{ name: 'init', memoryLimitMiB: 6, waitsFor: 'HEALTHY' }] }))),
    fc.stringMatching(/^[a-z][a-z/]{0,8}$/).map(p => b(`volume path ${JSON.stringify(p)} (relative)`,
      s => ({ ...s, volumes: [{ kind: 'scratch', name: 'v', path: p }] }))),
    absPath.map(p => b(`volume path ${p}/../etc`, s => ({ ...s, volumes: [{ kind: 'scratch', name: 'v', path: `${p}/../etc` }] }))),
    fc.constant(b('two volumes of one name', s => ({ ...s, volumes: [{ kind: 'scratch', name: 'v', path: '/a' }, { kind: 'efs', name: 'v', path: '/b' }] }))),
    fc.integer({ min: -10, max: 4000 }).filter(d => !LOG_RETENTION_DAYS.includes(d))
      .map(d => b(`logRetention ${d} (not a CloudWatch Logs retention)`, s => ({ ...s, logRetention: d as logs.RetentionDays }))),
  ];
  if (o.port !== false) {
    list.push(fc.oneof(fc.integer({ min: 65536, max: 1e6 }), fc.integer({ min: -100, max: 0 }))
      .map(p => b(`containerPort ${p}`, s => ({ ...s, containerPort: p }))));
  }
  if (o.fargate) {
    list.push(
      notFargateCpu.map(cpu => b(`cpu ${cpu} on Fargate`, s => ({ ...s, resources: { cpu, memoryLimitMiB: 2048 } }))),
      fargateCpuMemory.chain(({ cpu }) => fc.integer({ min: 1, max: 200000 }).filter(m => !FARGATE_MEMORY_BY_CPU[cpu].includes(m))
        .map(m => b(`memoryLimitMiB ${m} with cpu ${cpu} on Fargate`, s => ({ ...s, resources: { cpu, memoryLimitMiB: m } })))),
      fc.integer({ min: 1, max: 4 }).map(g => b(`gpuCount ${g} on Fargate`, s => ({ ...s, gpuCount: g }))),
      absPath.map(p => b('a host path on Fargate', s => ({ ...s, volumes: [{ kind: 'host', name: 'h', path: '/h', hostPath: p }] }))),
      fc.constant(b('a Docker volume on Fargate', s => ({ ...s, volumes: [{ kind: 'docker', name: 'd', path: '/d' }] }))),
    );
  } else {
    if (!o.noResources) {
      list.push(
        fc.oneof(fc.integer({ min: -10, max: 127 }), fc.integer({ min: 196609, max: 1e7 }))
          .map(cpu => b(`EC2 cpu ${cpu}`, s => ({ ...s, resources: { cpu, memoryLimitMiB: 1024 }, sidecars: undefined }))),
        fc.integer({ min: -10, max: 5 }).map(m => b(`EC2 memoryLimitMiB ${m}`, s => ({ ...s, resources: { cpu: 256, memoryLimitMiB: m }, sidecars: undefined }))),
      );
      const limits = PROVIDER_LIMITS[o.provider ?? 'arm'];
      list.push(
        fc.integer({ min: limits.cpu + 1, max: 196608 }).map(cpu => b(`EC2 cpu ${cpu}, more than every instance type of the provider has`,
          s => ({ ...s, resources: { cpu, memoryLimitMiB: 1024 }, sidecars: undefined }))),
        fc.integer({ min: limits.memoryMiB + 1, max: 3145728 }).map(m => b(`EC2 memoryLimitMiB ${m}, more than every instance type of the provider has`,
          s => ({ ...s, resources: { cpu: 256, memoryLimitMiB: m }, sidecars: undefined }))),
      );
    }
    list.push(
      fc.constant(b('cpuArchitecture against the provider', s => ({ ...s, cpuArchitecture: o.provider === 'arm' ? 'X86_64' : 'ARM64' }))),
      fc.stringMatching(/^[a-z][a-z/]{0,8}$/).map(p => b(`host path ${JSON.stringify(p)} (relative)`,
        s => ({ ...s, volumes: [{ kind: 'host', name: 'h', path: '/h', hostPath: p }] }))),
    );
    if (o.provider !== 'gpu') list.push(fc.integer({ min: 1, max: 4 }).map(g => b(`gpuCount ${g} on a provider without GPUs`, s => ({ ...s, gpuCount: g }))));
    if (o.provider === 'gpu') {
      list.push(fc.integer({ min: PROVIDER_LIMITS.gpu.gpus + 1, max: 16 })
        .map(g => b(`gpuCount ${g}, more than every instance type of the provider has`, s => ({ ...s, gpuCount: g }))));
    }
  }
  return fc.oneof(...list);
}

/**
 * What a task on Managed Instances may not ask for: more than the largest instance they may launch,
 * another architecture, GPUs they lack, Docker volumes. Each refusal names the prop and the provider.
 */
function managedContainerBreakers(kind: ManagedKind): fc.Arbitrary<Breaker<ContainerSpec>>[] {
  const m = MANAGED[kind];
  const provider = `Managed Instances capacity provider 'Test/Cluster/${m.id}/CapacityProvider'`;
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const b = (what: string, apply: (s: ContainerSpec) => ContainerSpec, message: string) => breaker(what, apply, new RegExp(message));
  const list: fc.Arbitrary<Breaker<ContainerSpec>>[] = [
    fc.integer({ min: m.cpu + 1, max: 196608 }).map(cpu => b(`cpu ${cpu}, more than the largest Managed Instance has`,
      s => ({ ...s, resources: { cpu, memoryLimitMiB: 1024 }, sidecars: undefined }),
      `cpu \\(${cpu}\\) is more than the ${m.cpu} CPU units .* of the largest instance ${esc(provider)} may launch`)),
    fc.integer({ min: m.memoryMiB + 1, max: 3145728 }).map(mem => b(`memoryLimitMiB ${mem}, more than the largest Managed Instance has`,
      s => ({ ...s, resources: { cpu: 256, memoryLimitMiB: mem }, sidecars: undefined }),
      `memoryLimitMiB \\(${mem}\\) is more than the ${m.memoryMiB} MiB \\(maxMemoryMiB\\) of the largest instance ${esc(provider)}`)),
    fc.constant(b('cpuArchitecture against the Managed Instances', s => ({ ...s, cpuArchitecture: m.arch === 'ARM64' ? 'X86_64' : 'ARM64' }),
      `cpuArchitecture is ${m.arch === 'ARM64' ? 'X86_64' : 'ARM64'} but ${esc(provider)} launches ${m.arch} instances`)),
    fc.constant(b('a Docker volume on Managed Instances', s => ({ ...s, volumes: [{ kind: 'docker', name: 'd', path: '/d' }] }),
      'volumes\\[0\\] \'d\' is a Docker volume, which ECS Managed Instances do not support')),
  ];
  if (m.gpus === 0) {
    list.push(fc.integer({ min: 1, max: 4 }).map(g => b(`gpuCount ${g} on Managed Instances without GPUs`,
      s => ({ ...s, gpuCount: g, cpuArchitecture: undefined }), `gpuCount is ${g} but ${esc(provider)} launches instances without GPUs`)));
  } else {
    list.push(fc.integer({ min: m.gpus + 1, max: 16 }).map(g => b(`gpuCount ${g}, more than maxGpus of the Managed Instances`,
      s => ({ ...s, gpuCount: g }), `gpuCount \\(${g}\\) is more than the ${m.gpus} GPUs? \\(maxGpus\\) of the instances of ${esc(provider)}`)));
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

/** CI (`CI=true`) runs the full volume; the local loop an eighth of it, to stay fast on 2 cores. */
const FULL_VOLUME = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Stacks of random valid specs per test file (3–5 specs each, 6–10 for the small daemon agents), so
 * ~160 prop sets per construct in CI (~4 locally), every stack checked by the cdk-nag packs and
 * cfn-guard. `FC_VALID_BATCHES` overrides it (a nightly run can take more). Cost: cfn-guard dominates,
 * and it grows faster than the template (each rule scans every resource), so a few workloads per stack
 * on one cluster is cheapest per prop set: ~0.4 s each (measured for 1, 3, 6 and 12 queue workers per stack).
 */
export const VALID_BATCHES = Number(process.env.FC_VALID_BATCHES || (FULL_VOLUME ? 40 : 1));

/** Random invalid prop sets per construct, each expected to be rejected. `FC_INVALID_RUNS` overrides it. */
export const INVALID_RUNS = Number(process.env.FC_INVALID_RUNS || (FULL_VOLUME ? 150 : 10));

/**
 * Fails (with the findings) unless the stack synthesizes with zero unacknowledged findings of the cdk-nag
 * packs and cfn-guard, and with no deploy-proof problem of order, network path or metric math.
 */
export function assertCompliant(stack: Stack): void {
  const lines = findingLines(stack);
  if (lines.length > 0) throw new Error(`unacknowledged findings:\n  ${lines.join('\n  ')}`);
  // What AWS does with the template: create/delete order, security group paths, metric math.
  const problems = structuralProblems(stack);
  if (problems.length > 0) throw new Error(`deploy-proof problems:\n  ${problems.join('\n  ')}`);
}

/**
 * `VALID_BATCHES` random batches of valid specs: `build` puts one batch in a stack, which must have zero
 * unacknowledged findings (`assertCompliant`). Prints how many prop sets passed.
 */
export function assertValidBatches<T>(seed: number, batch: fc.Arbitrary<T[]>, build: (specs: T[]) => Stack): void {
  let sets = 0;
  fc.assert(fc.property(batch, specs => {
    assertCompliant(build(specs));
    sets += specs.length;
  }), params(seed, VALID_BATCHES));
  // The volume is worth a line in CI's log; the local loop stays quiet.
  if (FULL_VOLUME) {
    // eslint-disable-next-line no-console
    console.log(`${sets} random valid prop sets in ${VALID_BATCHES} stacks: zero findings of the cdk-nag packs and cfn-guard, no deploy-proof problem`);
  }
}

/**
 * Runs `build` in a fresh environment and synthesizes; fails unless our ValidationError is thrown at
 * construction or at synth time (never a TypeError, a plain Error or aws-cdk-lib's own errors).
 */
export function assertRejected(build: (env: Env) => void, what: string, message?: RegExp): void {
  const env = new Env();
  let error: unknown;
  try {
    build(env);
    env.app.synth();
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`${what}: accepted, but a ValidationError was expected`);
  if (!(error instanceof ValidationError) || (error as Error).name !== 'ValidationError') {
    const e = error as Error;
    throw new Error(`${what}: threw ${e?.constructor?.name} (name ${e?.name}) instead of ValidationError: ${e?.message}`);
  }
  if (message && !message.test((error as Error).message)) {
    throw new Error(`${what}: refused, but the message does not match ${message}: ${(error as Error).message}`);
  }
}
