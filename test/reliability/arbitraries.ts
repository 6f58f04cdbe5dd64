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
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { IConstruct } from 'constructs';
import * as fc from 'fast-check';
import {
  Capacity, FsxWindowsFileSystem, ManagedInstancesOptions, S3FilesFileSystem, SidecarContainerOptions, WorkloadCluster, WorkloadContainerOptions,
  WorkloadManagedInstances, WorkloadVolume,
} from '../../src';
import { ValidationError } from '../../src/core/errors';
import { buildBucket } from '../../src/core/resources';
import { FARGATE_MEMORY_BY_CPU } from '../../src/core/task-definition';
import { FARGATE_WINDOWS_CPU } from '../../src/core/windows';
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

/** The EC2 capacity providers the environment can add to its cluster ('win': Windows Server 2022 instances). */
export type Ec2Kind = 'arm' | 'x86' | 'gpu' | 'win';

const PROVIDERS: { [k in Ec2Kind]: { id: string; types: string[]; gpu?: boolean; windows?: ecs.WindowsOptimizedVersion } } = {
  arm: { id: 'Arm', types: ['m7g.large', 'c7g.large'] },
  x86: { id: 'X86', types: ['m7i.large', 'c7i.large'] },
  gpu: { id: 'Gpu', types: ['g5.xlarge', 'g4dn.xlarge'], gpu: true },
  win: { id: 'Windows', types: ['m6i.xlarge', 'm7i.xlarge'], windows: ecs.WindowsOptimizedVersion.SERVER_2022 },
};

/** The FSx for Windows File Server file system volumes name by id (with its security group), and its domain. */
export const FSX_ID = 'fs-0123456789abcdef0';
export const FSX_DOMAIN = 'corp.example.com';

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
  private readonly buckets: { [id: string]: s3.Bucket } = {};
  private readonly s3FileSystems: { [prefix: string]: S3FilesFileSystem } = {};
  private _fsx?: FsxWindowsFileSystem;
  private _fsxGroup?: ec2.ISecurityGroup;
  private _fsxSecret?: secretsmanager.ISecret;
  private _fsxParameter?: ssm.IParameter;

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
        windows: p.windows,
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

  /** A bucket of the user's, built like ours: versioned and KMS-encrypted, as S3 Files requires. */
  public bucket(id: string): s3.Bucket {
    this.buckets[id] ??= buildBucket(this.stack, id, {
      encryptionKey: this.cluster.encryptionKey, serverAccessLogsBucket: this.cluster.accessLogsBucket, eventBridgeEnabled: true,
    });
    return this.buckets[id];
  }

  /** An S3 Files file system on `prefix` of one shared bucket (the prefixes drawn never contain one another). */
  public s3Files(prefix: string): S3FilesFileSystem {
    this.s3FileSystems[prefix] ??= new S3FilesFileSystem(this.stack, `Files${Object.keys(this.s3FileSystems).length}`, {
      vpc: this.cluster.vpc, bucket: this.bucket('FilesBucket'), prefix,
    });
    return this.s3FileSystems[prefix];
  }

  /** An FSx for Windows File Server file system created here, joined to an AWS Managed Microsoft AD directory. */
  public get fsxFileSystem(): FsxWindowsFileSystem {
    this._fsx ??= new FsxWindowsFileSystem(this.stack, 'Share', { vpc: this.cluster.vpc, activeDirectoryId: 'd-1234567890' });
    return this._fsx;
  }

  /** The security group of the file system `FSX_ID` (owned elsewhere). */
  public get fsxGroup(): ec2.ISecurityGroup {
    this._fsxGroup ??= ec2.SecurityGroup.fromSecurityGroupId(this.stack, 'FsxGroup', 'sg-0123456789abcdef1');
    return this._fsxGroup;
  }

  /** The domain user's credentials for the share: a secret, or a SecureString parameter. */
  public fsxCredentials(kind: 'secret' | 'parameter'): { credentialsSecret?: secretsmanager.ISecret; credentialsParameter?: ssm.IParameter } {
    if (kind === 'secret') {
      this._fsxSecret ??= secretsmanager.Secret.fromSecretCompleteArn(this.stack, 'FsxCredentials',
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:fsx/ecs-AbCdEf');
      return { credentialsSecret: this._fsxSecret };
    }
    this._fsxParameter ??= ssm.StringParameter.fromSecureStringParameterAttributes(this.stack, 'FsxCredentialsParam', { parameterName: '/fsx/ecs' });
    return { credentialsParameter: this._fsxParameter };
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

/** The Windows Server families Fargate runs. */
export type FargateWindowsFamily = 'WINDOWS_SERVER_2019_CORE' | 'WINDOWS_SERVER_2019_FULL' | 'WINDOWS_SERVER_2022_CORE' | 'WINDOWS_SERVER_2022_FULL';

export type CapacitySpec =
  | { readonly kind: 'fargate' }
  | { readonly kind: 'fargateWindows'; readonly family?: FargateWindowsFamily }
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

/** Windows capacity: Fargate Windows (any family Fargate runs), or the Windows Server EC2 provider. */
export const windowsCapacitySpec: fc.Arbitrary<CapacitySpec> = fc.oneof(
  fc.record({
    kind: fc.constant('fargateWindows' as const),
    family: fc.constantFrom<FargateWindowsFamily>('WINDOWS_SERVER_2019_CORE', 'WINDOWS_SERVER_2019_FULL', 'WINDOWS_SERVER_2022_CORE', 'WINDOWS_SERVER_2022_FULL'),
  }, { requiredKeys: ['kind'] }),
  ec2Spec(['win']),
);

/**
 * Fargate, Fargate Spot, the EC2 `providers`, the Managed Instances `managed` and, with `windows`,
 * Windows capacity (Fargate Windows or the Windows EC2 provider).
 */
export function capacitySpec(providers: Ec2Kind[] = ['arm', 'x86'], managed: ManagedKind[] = [], windows = false): fc.Arbitrary<CapacitySpec> {
  // Managed Instances add a capacity provider, two roles and an instance profile to the stack, Windows EC2 capacity an
  // Auto Scaling group: drawn less often, to keep the local run fast.
  const kinds: fc.WeightedArbitrary<CapacitySpec>[] = [fc.constant<CapacitySpec>({ kind: 'fargate' }), spotSpec, ec2Spec(providers)].map(arbitrary => ({ arbitrary, weight: 2 }));
  if (managed.length > 0) kinds.push({ arbitrary: managedSpec(managed), weight: 1 });
  if (windows) kinds.push({ arbitrary: windowsCapacitySpec, weight: 1 });
  return fc.oneof(...kinds);
}

/** Whether the tasks on this capacity run Windows containers. */
export const isWindows = (c: CapacitySpec | undefined): boolean => c?.kind === 'fargateWindows' || (c?.kind === 'ec2' && c.provider === 'win');

/** The container spec options of a capacity (`gpu`: the default capacity of a GPU task, the cluster's GPU provider). */
export function capacityContainer(c: CapacitySpec | undefined, gpu = false): Pick<ContainerSpecOptions, 'fargate' | 'provider' | 'managed' | 'windows'> {
  if (c?.kind === 'ec2') return { fargate: false, provider: c.provider, windows: c.provider === 'win' };
  if (c?.kind === 'managed') return { fargate: false, managed: c.managed };
  if (c?.kind === 'fargateWindows') return { fargate: true, windows: true };
  if (c === undefined && gpu) return { fargate: false, provider: 'gpu' };
  return { fargate: true };
}

export function materializeCapacity(env: Env, spec: CapacitySpec): Capacity {
  switch (spec.kind) {
    case 'fargate': return Capacity.fargate();
    case 'fargateWindows': return Capacity.fargateWindows({ operatingSystemFamily: spec.family ? ecs.OperatingSystemFamily[spec.family] : undefined });
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

/** EBS volume types, as `ec2.EbsDeviceVolumeType` keys. */
export type EbsType = 'GP2' | 'GP3' | 'IO1' | 'IO2' | 'ST1' | 'SC1' | 'STANDARD';

export type VolumeSpec =
  | { readonly kind: 'scratch'; readonly name: string; readonly path: string; readonly readOnly?: boolean }
  | { readonly kind: 'host'; readonly name: string; readonly path: string; readonly hostPath: string; readonly readOnly?: boolean }
  | { readonly kind: 'docker'; readonly name: string; readonly path: string; readonly driverOpts?: { [k: string]: string }; readonly shared?: boolean; readonly readOnly?: boolean }
  | { readonly kind: 'efs'; readonly name: string; readonly path: string; readonly accessPoint?: boolean; readonly readOnly?: boolean }
  | EbsVolumeSpec
  /** An S3 Files file system of the environment, on `prefix` of its bucket. */
  | { readonly kind: 's3files'; readonly name: string; readonly path: string; readonly prefix: string; readonly rootDirectory?: string; readonly readOnly?: boolean }
  | FsxVolumeSpec;

export interface EbsVolumeSpec {
  readonly kind: 'ebs';
  readonly name: string;
  readonly path: string;
  readonly sizeGiB?: number;
  readonly volumeType?: EbsType;
  readonly iops?: number;
  readonly throughputMiBps?: number;
  readonly fileSystemType?: 'XFS' | 'EXT3' | 'EXT4' | 'NTFS';
  readonly snapshotId?: string;
  readonly initRateMiBps?: number;
  readonly readOnly?: boolean;
}

/** FSx for Windows File Server: the environment's `FsxWindowsFileSystem` (`created`) or `FSX_ID` with its security group. */
export interface FsxVolumeSpec {
  readonly kind: 'fsx';
  readonly name: string;
  readonly path: string;
  readonly created?: boolean;
  readonly rootDirectory?: string;
  readonly credentials: 'secret' | 'parameter';
  readonly readOnly?: boolean;
}

const volumeName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
const ro = fc.option(fc.boolean(), { nil: undefined });

/** An absolute Windows path of 1–3 segments on drive C (never 'C:\' itself, never '..'). */
export const winPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map(s => `C:\\${s.join('\\')}`);

/** Whether `path` is a Windows path (`C:\...`), as the library tells them apart. */
export const isWindowsPath = (path: string) => /^[A-Za-z]:\\/.test(path);

/** The two S3 Files prefixes volumes draw: neither contains the other (file systems of one bucket). */
export const S3_FILES_PREFIXES = ['models/', 'data/in/'];

/**
 * EBS limits as `checkEbsOptions` encodes them: sizes per type (GiB), and provisioned IOPS (range, most
 * per GiB) of the types that take them; gp3 throughput 125–2000 MiB/s, at most 0.25 MiB/s per IOPS.
 */
export const EBS_SIZE_GIB: { [t in EbsType]: [number, number] } = {
  GP2: [1, 16384], GP3: [1, 16384], IO1: [4, 16384], IO2: [4, 16384], ST1: [125, 16384], SC1: [125, 16384], STANDARD: [1, 1024],
};
export const EBS_IOPS: { [t: string]: { min: number; max: number; perGiB: number } } = {
  GP3: { min: 3000, max: 80000, perGiB: 500 },
  IO1: { min: 100, max: 64000, perGiB: 50 },
  IO2: { min: 100, max: 256000, perGiB: 1000 },
};
export const GP3_THROUGHPUT: [number, number] = [125, 2000];

const snapshotId = fc.stringMatching(/^[0-9a-f]{17}$/).map(h => `snap-${h}`);
const fraction = fc.double({ min: 0, max: 1, noNaN: true });

/**
 * A valid EBS volume: a size in its type's range (omitted now and then with a snapshot, whose size
 * then applies), IOPS in range and within the per-GiB ratio (required for io1/io2), gp3 throughput
 * within 0.25 MiB/s per IOPS. No magnetic volumes on Fargate; NTFS on Windows, never on Linux.
 */
function ebsArb(o: { fargate: boolean; windows: boolean }, path: fc.Arbitrary<string>): fc.Arbitrary<VolumeSpec> {
  const types: EbsType[] = ['GP2', 'GP3', 'IO1', 'IO2', 'ST1', 'SC1', ...o.fargate ? [] : ['STANDARD' as const]];
  return fc.constantFrom(...types).chain(type => fc.record({
    name: volumeName,
    path,
    sizeGiB: fc.integer({ min: EBS_SIZE_GIB[type][0], max: EBS_SIZE_GIB[type][1] }),
    defaultType: fc.boolean(),
    snapshotId: fc.option(snapshotId, { nil: undefined }),
    sizeFromSnapshot: fc.boolean(),
    iops: fc.option(fraction, { nil: undefined }),
    throughput: fc.option(fraction, { nil: undefined }),
    fileSystemType: o.windows ? fc.constant('NTFS' as const) : fc.option(fc.constantFrom('XFS' as const, 'EXT3' as const, 'EXT4' as const), { nil: undefined }),
    initRateMiBps: fc.option(fc.integer({ min: 100, max: 300 }), { nil: undefined }),
    readOnly: ro,
  }).map((r): VolumeSpec => {
    const limits = EBS_IOPS[type];
    let iops: number | undefined;
    if (limits && (type !== 'GP3' || r.iops !== undefined)) {
      const most = Math.min(limits.max, r.sizeGiB * limits.perGiB);
      if (most >= limits.min) iops = limits.min + Math.floor((r.iops ?? 0) * (most - limits.min));
    }
    const mostThroughput = Math.min(GP3_THROUGHPUT[1], Math.floor(0.25 * (iops ?? 3000)));
    const throughputMiBps = type === 'GP3' && r.throughput !== undefined
      ? GP3_THROUGHPUT[0] + Math.floor(r.throughput * (mostThroughput - GP3_THROUGHPUT[0])) : undefined;
    // Without a size the per-GiB ratios cannot be checked: volumes with provisioned IOPS keep theirs.
    const sizeGiB = r.snapshotId !== undefined && r.sizeFromSnapshot && iops === undefined ? undefined : r.sizeGiB;
    return {
      kind: 'ebs',
      name: r.name,
      path: r.path,
      sizeGiB,
      volumeType: type === 'GP3' && r.defaultType ? undefined : type,
      iops,
      throughputMiBps,
      fileSystemType: r.fileSystemType,
      snapshotId: r.snapshotId,
      initRateMiBps: r.snapshotId !== undefined ? r.initRateMiBps : undefined,
      readOnly: r.readOnly,
    };
  }));
}

/** Where the volumes of a task are mounted: the capacity, the OS, and whether the workload attaches EBS volumes (a REPLICA service). */
export interface VolumeOptions {
  readonly capacity: 'fargate' | 'ec2' | 'managed';
  readonly windows?: boolean;
  readonly ebs?: boolean;
}

/**
 * One volume of a kind the capacity and OS can mount: scratch space anywhere, host paths and Docker
 * volumes on EC2, EFS and S3 Files (Fargate and Managed Instances) on Linux, FSx for Windows File
 * Server on Windows EC2, EBS on services (not on Windows Fargate). EBS and S3 Files are drawn half as
 * often as the others: each adds roles, security groups or file systems to the stack.
 */
function volumeArb(o: VolumeOptions): fc.Arbitrary<VolumeSpec> {
  const windows = o.windows ?? false;
  const path = windows ? winPath : absPath;
  const kinds: fc.WeightedArbitrary<VolumeSpec>[] = [
    { arbitrary: fc.record({ kind: fc.constant('scratch' as const), name: volumeName, path, readOnly: ro }, { requiredKeys: ['kind', 'name', 'path'] }), weight: 2 },
  ];
  if (!windows) {
    kinds.push({
      arbitrary: fc.record({ kind: fc.constant('efs' as const), name: volumeName, path, accessPoint: fc.boolean(), readOnly: ro },
        { requiredKeys: ['kind', 'name', 'path', 'accessPoint'] }),
      weight: 2,
    });
  }
  if (o.capacity === 'ec2') {
    kinds.push(
      {
        arbitrary: fc.record({ kind: fc.constant('host' as const), name: volumeName, path, hostPath: path, readOnly: ro }, { requiredKeys: ['kind', 'name', 'path', 'hostPath'] }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant('docker' as const),
          name: volumeName,
          path,
          driverOpts: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z0-9]{1,6}$/), { maxKeys: 2 }),
          shared: fc.boolean(),
          readOnly: ro,
        }, { requiredKeys: ['kind', 'name', 'path'] }),
        weight: 2,
      },
    );
  }
  if (o.ebs && !(windows && o.capacity !== 'ec2')) kinds.push({ arbitrary: ebsArb({ fargate: o.capacity === 'fargate', windows }, path), weight: 1 });
  if (!windows && o.capacity !== 'ec2') {
    kinds.push({
      arbitrary: fc.record({
        kind: fc.constant('s3files' as const), name: volumeName, path, prefix: fc.constantFrom(...S3_FILES_PREFIXES), rootDirectory: absPath, readOnly: ro,
      }, { requiredKeys: ['kind', 'name', 'path', 'prefix'] }),
      weight: 1,
    });
  }
  if (windows && o.capacity === 'ec2') {
    kinds.push({
      arbitrary: fc.record({
        kind: fc.constant('fsx' as const),
        name: volumeName,
        path,
        created: fc.boolean(),
        rootDirectory: fc.constantFrom('share', 'share\\reports'),
        credentials: fc.constantFrom('secret' as const, 'parameter' as const),
        readOnly: ro,
      }, { requiredKeys: ['kind', 'name', 'path', 'credentials'] }),
      // Windows EC2 capacity is itself drawn rarely.
      weight: 2,
    });
  }
  return fc.oneof(...kinds);
}

/**
 * Volumes of distinct names and mount points, none mounted at a path inside another's, at most one EBS.
 * `reservedNames` / `reservedPaths` are taken by the construct (e.g. the inference model store).
 */
export interface ReservedVolumes { names?: string[]; paths?: string[] }

export function volumes(o: VolumeOptions, reserved: ReservedVolumes = {}): fc.Arbitrary<VolumeSpec[]> {
  return fc.uniqueArray(volumeArb(o), {
    maxLength: 3,
    selector: v => v.name,
  }).filter(vs => {
    const names = new Set(vs.map(v => v.name));
    // Windows paths are not case-sensitive.
    const paths = vs.map(v => v.path.toLowerCase());
    if (names.size !== vs.length) return false;
    // Duplicate mount points are a ValidationError (Docker rejects them when the task starts).
    if (new Set(paths).size !== paths.length) return false;
    // ECS attaches one EBS volume per task (a ValidationError otherwise: among the invalid props).
    if (vs.filter(v => v.kind === 'ebs').length > 1) return false;
    if (vs.some(v => reserved.names?.includes(v.name))) return false;
    if (paths.some(p => reserved.paths?.includes(p))) return false;
    return true;
  });
}

/** The volumes of a spec that any Linux capacity mounts (scratch space and EFS at Linux paths), for breakers that change the capacity. */
export const portableVolumes = (vs: VolumeSpec[] | undefined): VolumeSpec[] | undefined =>
  vs?.filter(v => (v.kind === 'scratch' || v.kind === 'efs') && !isWindowsPath(v.path));

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
    case 'ebs': return WorkloadVolume.ebs({
      name: v.name,
      containerPath: v.path,
      sizeGiB: v.sizeGiB,
      volumeType: v.volumeType ? ec2.EbsDeviceVolumeType[v.volumeType] : undefined,
      iops: v.iops,
      throughputMiBps: v.throughputMiBps,
      fileSystemType: v.fileSystemType ? ecs.FileSystemType[v.fileSystemType] : undefined,
      snapshotId: v.snapshotId,
      volumeInitializationRateMiBps: v.initRateMiBps,
      readOnly: v.readOnly,
    });
    case 's3files': return WorkloadVolume.s3Files({
      name: v.name, containerPath: v.path, fileSystem: env.s3Files(v.prefix), rootDirectory: v.rootDirectory, readOnly: v.readOnly,
    });
    case 'fsx': return WorkloadVolume.fsxWindows({
      name: v.name,
      containerPath: v.path,
      ...v.created ? { fileSystem: env.fsxFileSystem } : { fileSystemId: FSX_ID, fileSystemSecurityGroups: [env.fsxGroup] },
      rootDirectory: v.rootDirectory,
      domain: FSX_DOMAIN,
      ...env.fsxCredentials(v.credentials),
      readOnly: v.readOnly,
    });
  }
}

// Task resources + the rest ---------------------------------------------------------------------

/** Valid Fargate (cpu, memory) pairs. */
export const fargateCpuMemory: fc.Arbitrary<{ cpu: number; memoryLimitMiB: number }> =
  fc.constantFrom(...Object.keys(FARGATE_MEMORY_BY_CPU).map(Number)).chain(cpu =>
    fc.constantFrom(...FARGATE_MEMORY_BY_CPU[cpu]).map(memoryLimitMiB => ({ cpu, memoryLimitMiB })));

/** Valid Fargate Windows (cpu, memory) pairs: 1, 2 or 4 vCPUs, with the memory Fargate takes at that size. */
export const fargateWindowsCpuMemory: fc.Arbitrary<{ cpu: number; memoryLimitMiB: number }> =
  fc.constantFrom(...FARGATE_WINDOWS_CPU).chain(cpu =>
    fc.constantFrom(...FARGATE_MEMORY_BY_CPU[cpu]).map(memoryLimitMiB => ({ cpu, memoryLimitMiB })));

/**
 * What the largest instance type of each provider has: CPU units (1024 per vCPU) and installed memory
 * (MiB). A task that needs more can never be placed (a ValidationError).
 */
export const PROVIDER_LIMITS: { [k in Ec2Kind]: { cpu: number; memoryMiB: number; gpus: number } } = {
  arm: { cpu: 2048, memoryMiB: 8192, gpus: 0 }, // m7g.large
  x86: { cpu: 2048, memoryMiB: 8192, gpus: 0 }, // m7i.large
  gpu: { cpu: 4096, memoryMiB: 16384, gpus: 1 }, // g5.xlarge, g4dn.xlarge
  win: { cpu: 4096, memoryMiB: 16384, gpus: 0 }, // m6i.xlarge, m7i.xlarge
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
  /** Whether the tasks run Windows containers (x86_64, no GPUs, no user or read-only root, Windows paths). */
  readonly windows?: boolean;
  /** Whether the workload attaches EBS volumes (a REPLICA service: BatchQueueWorker, InferenceService). */
  readonly ebs?: boolean;
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
  const windows = o.windows ?? false;
  const resources = o.noResources ? fc.constant(undefined) : o.fargate ? (windows ? fargateWindowsCpuMemory : fargateCpuMemory) : ec2CpuMemory;
  const arch: fc.Arbitrary<'ARM64' | 'X86_64'> = windows ? fc.constant('X86_64')
    : o.fargate ? fc.constantFrom('ARM64', 'X86_64')
      : o.managed ? fc.constant(MANAGED[o.managed].arch)
        : fc.constant(o.provider === 'arm' ? 'ARM64' : 'X86_64');
  const gpus = o.managed ? MANAGED[o.managed].gpus : o.provider === 'gpu' ? PROVIDER_LIMITS.gpu.gpus : 0;
  // ECS supports neither a read-only root file system nor a container user for Windows containers (refused: among the invalid props).
  const windowsSidecars = sidecars.map(list => list.map(x => ({ ...x, readonlyRootFilesystem: undefined, user: undefined })));
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
    readonlyRootFilesystem: windows ? fc.constant(undefined) : fc.constant(true as const),
    user: windows ? fc.constant(undefined) : user,
    logRetention,
    sidecars: windows ? windowsSidecars : sidecars,
    // On Managed Instances no Docker volumes (refused) and no host paths (left to the EC2 providers).
    volumes: volumes({ capacity: o.fargate ? 'fargate' : o.managed ? 'managed' : 'ec2', windows, ebs: o.ebs }, o.reserved),
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

/**
 * One broken thing: a description, the mutation and, if given, what the refusal's message must say.
 * `atSynth`: the refusal may come from the construct's validation when the app synthesizes (what the
 * construct cannot know at construction, e.g. that no service attaches an EBS volume).
 */
export interface Breaker<T> {
  readonly what: string;
  readonly apply: (spec: T) => T;
  readonly message?: RegExp;
  readonly atSynth?: boolean;
}

export function breaker<T>(what: string, apply: (spec: T) => T, message?: RegExp, atSynth?: boolean): Breaker<T> {
  return { what, apply, message, atSynth };
}

/** The same breaker applied to a part of a larger spec (e.g. a container breaker to a workload spec). */
export function lift<T, P>(b: Breaker<P>, apply: (spec: T, part: (p: P) => P) => T): Breaker<T> {
  return { what: b.what, apply: s => apply(s, b.apply), message: b.message, atSynth: b.atSynth };
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
export interface BreakerOptions {
  fargate: boolean;
  provider?: Ec2Kind;
  managed?: ManagedKind;
  port?: boolean;
  noResources?: boolean;
  /** The workload attaches EBS volumes (a REPLICA service); otherwise an EBS volume fails synthesis. */
  ebs?: boolean;
  /** The tasks run Windows containers: Windows breakers only. */
  windows?: boolean;
}

export function containerBreakers(o: BreakerOptions): fc.Arbitrary<Breaker<ContainerSpec>> {
  const b = (what: string, apply: (s: ContainerSpec) => ContainerSpec, message?: RegExp) => breaker(what, apply, message);
  if (o.windows) return fc.oneof(...windowsContainerBreakers(o));
  if (o.managed) return fc.oneof(...managedContainerBreakers(o.managed), ...storageBreakers(o));
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
    ...storageBreakers(o),
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

/** `text` as a literal in a regular expression. */
export const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const re = (...parts: string[]) => new RegExp(parts.join(''));

/**
 * Mount points of the breakers' volumes hold capitals, which `absPath` never draws: they cannot meet a
 * mount point of the spec the construct keeps (e.g. the inference model store's).
 */
const brokenPath = (p = '') => `/Mnt${p}`;

/** An EBS volume spec of the given settings. */
const ebsVolume = (settings: Partial<EbsVolumeSpec>): VolumeSpec => ({ kind: 'ebs', name: 'ebs', path: brokenPath(), ...settings });

/**
 * EBS settings outside the limits `checkEbsOptions` encodes (size per type, IOPS range and per-GiB
 * ratio, gp3 throughput range and per-IOPS ratio, settings of another type), each with the message.
 */
export const brokenEbs: fc.Arbitrary<{ what: string; volume: VolumeSpec; message: RegExp }> = fc.oneof(
  fc.constantFrom<EbsType>('GP2', 'GP3', 'IO1', 'IO2', 'ST1', 'SC1').chain(type => {
    const [lo, hi] = EBS_SIZE_GIB[type];
    return fc.oneof(fc.integer({ min: hi + 1, max: 4 * hi }), fc.integer({ min: -10, max: lo - 1 })).map(size => ({
      what: `EBS ${type} sizeGiB ${size}`,
      volume: ebsVolume({ volumeType: type, sizeGiB: size, iops: EBS_IOPS[type]?.min }),
      message: re(`volumes\\[0\\]\\.sizeGiB must be a whole number between ${lo} and ${hi} GiB, got ${size}\\. ${type.toLowerCase()} volumes hold`),
    }));
  }),
  fc.constantFrom('GP3', 'IO1', 'IO2').chain(type => {
    const l = EBS_IOPS[type];
    return fc.oneof(fc.integer({ min: l.max + 1, max: 2 * l.max }), fc.integer({ min: 1, max: l.min - 1 })).map(iops => ({
      what: `EBS ${type} iops ${iops}`,
      volume: ebsVolume({ volumeType: type as EbsType, sizeGiB: 16384, iops }),
      message: re(`volumes\\[0\\]\\.iops must be a whole number between ${l.min} and ${l.max}, got ${iops}\\. ${type.toLowerCase()} volumes take`),
    }));
  }),
  // A volume too small for its IOPS: below the size at which the type's maximum is allowed.
  fc.constantFrom('GP3', 'IO1', 'IO2').chain(type => {
    const l = EBS_IOPS[type];
    const largestShort = Math.ceil(l.max / l.perGiB) - 1;
    return fc.integer({ min: EBS_SIZE_GIB[type as EbsType][0], max: largestShort }).chain(size =>
      fc.integer({ min: Math.max(l.min, size * l.perGiB + 1), max: l.max }).map(iops => ({
        what: `EBS ${type} iops ${iops} on ${size} GiB`,
        volume: ebsVolume({ volumeType: type as EbsType, sizeGiB: size, iops }),
        message: re(`volumes\\[0\\]\\.iops \\(${iops}\\) is more than ${l.perGiB} IOPS per GiB of the ${size} GiB volume \\(${size * l.perGiB}\\), `,
          `the most ${type.toLowerCase()} allows\\. Raise sizeGiB to at least ${Math.ceil(iops / l.perGiB)} or lower iops`),
      })));
  }),
  fc.oneof(fc.integer({ min: GP3_THROUGHPUT[1] + 1, max: 10000 }), fc.integer({ min: -10, max: GP3_THROUGHPUT[0] - 1 })).map(t => ({
    what: `EBS gp3 throughputMiBps ${t}`,
    volume: ebsVolume({ sizeGiB: 16384, iops: 80000, throughputMiBps: t }),
    message: re(`volumes\\[0\\]\\.throughputMiBps must be a whole number between ${GP3_THROUGHPUT[0]} and ${GP3_THROUGHPUT[1]} MiB/s, got ${t}\\. gp3 volumes take`),
  })),
  // More than 0.25 MiB/s per IOPS: the baseline 3000 IOPS, or provisioned IOPS below 8000.
  fc.option(fc.integer({ min: 3000, max: 7999 }), { nil: undefined }).chain(iops => {
    const most = 0.25 * (iops ?? 3000);
    return fc.integer({ min: Math.floor(most) + 1, max: GP3_THROUGHPUT[1] }).map(t => ({
      what: `EBS gp3 throughputMiBps ${t} with ${iops ?? 'the baseline 3000'} IOPS`,
      volume: ebsVolume({ sizeGiB: 16384, iops, throughputMiBps: t }),
      message: re(`volumes\\[0\\]\\.throughputMiBps \\(${t}\\) is more than 0\\.25 MiB/s per IOPS of the volume's ${iops ?? 3000} IOPS \\(${esc(String(most))}\\), `,
        `the most gp3 allows\\. Raise iops to at least ${Math.ceil(t / 0.25)} or lower throughputMiBps`),
    }));
  }),
  fc.constantFrom<{ what: string; volume: VolumeSpec; message: RegExp }>(
    { what: 'EBS gp2 with iops', volume: ebsVolume({ volumeType: 'GP2', sizeGiB: 100, iops: 3000 }), message: /volumes\[0\]\.iops is 3000, but gp2 volumes take no provisioned IOPS\. Remove iops/ },
    { what: 'EBS io2 without iops', volume: ebsVolume({ volumeType: 'IO2', sizeGiB: 100 }), message: /volumes\[0\]\.volumeType is io2, which needs provisioned IOPS\. Give iops \(100–256000\)/ },
    { what: 'EBS st1 with throughputMiBps', volume: ebsVolume({ volumeType: 'ST1', sizeGiB: 500, throughputMiBps: 250 }), message: /volumes\[0\]\.throughputMiBps is 250, but only gp3 volumes take a provisioned throughput/ },
    { what: 'EBS without sizeGiB or snapshotId', volume: ebsVolume({}), message: /volumes\[0\] has neither sizeGiB nor snapshotId, so ECS cannot size the volume\. Give sizeGiB/ },
  ),
);

/**
 * Volumes a Linux task on this capacity cannot mount, each with the message naming `volumes[i]` and
 * the fix: a Windows path, FSx for Windows File Server, S3 Files on EC2 capacity, NTFS, EBS volumes
 * out of range or two of them (services), any EBS volume (not a service: refused at synthesis).
 */
function storageBreakers(o: BreakerOptions): fc.Arbitrary<Breaker<ContainerSpec>>[] {
  const where = o.fargate ? 'Fargate' : o.managed ? 'Managed Instances' : 'EC2';
  const linux = `Here the task runs Linux containers on ${where}\\.`;
  const withVolumes = (...vs: VolumeSpec[]) => (s: ContainerSpec): ContainerSpec => ({ ...s, volumes: vs });
  const list: fc.Arbitrary<Breaker<ContainerSpec>>[] = [
    winPath.map(p => breaker(`a Windows path ${p} on Linux`, withVolumes({ kind: 'scratch', name: 'w', path: p }),
      re(`volumes\\[0\\] 'w' is mounted at '${esc(p)}', a Windows path\\. ${linux} Give an absolute Linux path such as '/data'`))),
    absPath.map(p => breaker('FSx for Windows File Server on Linux', withVolumes({ kind: 'fsx', name: 'fsx', path: brokenPath(p), credentials: 'secret' }),
      re('volumes\\[0\\] \'fsx\' is an FSx for Windows File Server volume, which ECS mounts only into Windows containers on EC2 instances ',
        `\\(not on Fargate or Managed Instances\\)\\. ${linux} Run the workload on Windows EC2 capacity`))),
  ];
  if (!o.fargate && !o.managed) {
    list.push(fc.constantFrom(...S3_FILES_PREFIXES).map(prefix => breaker(`S3 Files (${prefix}) on EC2 Auto Scaling group capacity`,
      withVolumes({ kind: 's3files', name: 's3', path: brokenPath(), prefix }),
      re(`volumes\\[0\\] 's3' is an S3 Files volume, which ECS mounts only into Linux tasks on Fargate or Managed Instances\\. ${linux} `,
        'Run the workload on Linux Fargate or Managed Instances capacity'))));
  }
  if (o.ebs) {
    list.push(
      brokenEbs.map(x => breaker(x.what, withVolumes(x.volume), x.message)),
      fc.tuple(fc.integer({ min: 1, max: 16384 }), fc.integer({ min: 1, max: 16384 })).map(([a, c]) => breaker('two EBS volumes',
        withVolumes({ kind: 'ebs', name: 'a', path: brokenPath('/a'), sizeGiB: a }, { kind: 'ebs', name: 'b', path: brokenPath('/b'), sizeGiB: c }),
        /volumes\[0\] 'a' and volumes\[1\] 'b' are EBS volumes, but ECS attaches one EBS volume per task\. Keep one/)),
      fc.constant(breaker('an NTFS EBS volume on Linux', withVolumes(ebsVolume({ sizeGiB: 100, fileSystemType: 'NTFS' })),
        re(`volumes\\[0\\] 'ebs' is an EBS volume formatted ntfs, which Linux containers cannot mount\\. ${linux} Use XFS \\(the default\\), EXT4 or EXT3`))),
    );
  } else {
    list.push(fc.integer({ min: 1, max: 16384 }).map(size => breaker('an EBS volume on a workload that is not a REPLICA service',
      withVolumes(ebsVolume({ sizeGiB: size })),
      /volumes\[0\] 'ebs' is an EBS volume, which ECS attaches only to the tasks of a REPLICA service \(BatchQueueWorker, InferenceService\)\..*Use WorkloadVolume\.bindMount/,
      true)));
  }
  return list;
}

/**
 * What a Windows task cannot have: ECS's Linux-only container settings, Fargate's Linux CPU sizes, and
 * volumes Windows containers cannot mount (Linux paths, EFS, S3 Files, FSx and EBS off EC2, Linux file
 * systems on EBS). Each refusal names the prop and the fix.
 */
export function windowsContainerBreakers(o: { fargate: boolean; ebs?: boolean }): fc.Arbitrary<Breaker<ContainerSpec>>[] {
  const where = o.fargate ? 'Fargate' : 'EC2';
  const windows = `Here the task runs Windows containers on ${where}\\.`;
  const on = 'but the tasks run Windows containers on ';
  const withVolumes = (...vs: VolumeSpec[]) => (s: ContainerSpec): ContainerSpec => ({ ...s, volumes: vs });
  const list: fc.Arbitrary<Breaker<ContainerSpec>>[] = [
    fc.constant(breaker('readonlyRootFilesystem on Windows', s => ({ ...s, readonlyRootFilesystem: true }),
      re(`readonlyRootFilesystem is true, ${on}.*ECS does not support a read-only root file system for Windows containers`))),
    user.map(u => breaker(`user ${u} on Windows`, s => ({ ...s, user: u }),
      re(`user is '${esc(u)}', ${on}.*ECS does not support the user parameter for Windows containers`))),
    fc.constant(breaker('cpuArchitecture ARM64 on Windows', s => ({ ...s, cpuArchitecture: 'ARM64' }),
      re(`cpuArchitecture is ARM64, ${on}.*Windows containers on ECS are x86_64 only`))),
    fc.integer({ min: 1, max: 4 }).map(g => breaker(`gpuCount ${g} on Windows`, s => ({ ...s, gpuCount: g }),
      re(`gpuCount is ${g}, ${on}.*ECS reserves GPUs for Linux containers only`))),
    fc.constantFrom('a', 'b').map(n => breaker(`sidecar ${n} with readonlyRootFilesystem on Windows`,
      s => ({ ...s, sidecars: [{ name: n, memoryLimitMiB: 6, readonlyRootFilesystem: true }] }),
      re(`sidecars\\[0\\] \\('${n}'\\) has readonlyRootFilesystem true, ${on}`))),
    absPath.map(p => breaker(`a Linux path ${p} on Windows`, withVolumes({ kind: 'scratch', name: 'l', path: p }),
      re(`volumes\\[0\\] 'l' is mounted at '${esc(p)}', a Linux path\\. ${windows} Give a Windows path such as 'C:\\\\data'`))),
    winPath.map(p => breaker('EFS on Windows', withVolumes({ kind: 'efs', name: 'e', path: p }),
      re(`volumes\\[0\\] 'e' is an EFS volume, which Windows containers cannot mount\\. ${windows} Use WorkloadVolume\\.fsxWindows`))),
    winPath.map(p => breaker('S3 Files on Windows', withVolumes({ kind: 's3files', name: 's3', path: p, prefix: S3_FILES_PREFIXES[0] }),
      re(`volumes\\[0\\] 's3' is an S3 Files volume, which ECS mounts only into Linux tasks on Fargate or Managed Instances\\. ${windows} `,
        'Run the workload on Linux Fargate or Managed Instances capacity'))),
  ];
  if (o.fargate) {
    list.push(
      fc.integer({ min: 128, max: 16384 }).filter(c => !FARGATE_WINDOWS_CPU.includes(c)).map(cpu => breaker(`cpu ${cpu} on Fargate Windows`,
        s => ({ ...s, resources: { cpu, memoryLimitMiB: 8192 }, sidecars: undefined }),
        re(`cpu ${cpu} is not a CPU value Fargate takes for Windows tasks \\(Fargate \\(WINDOWS_SERVER_20\\d\\d_(CORE|FULL)\\)\\)\\. Use one of 1024, 2048, 4096`))),
      winPath.map(p => breaker('FSx for Windows File Server on Fargate', withVolumes({ kind: 'fsx', name: 'fsx', path: p, credentials: 'parameter' }),
        re('volumes\\[0\\] \'fsx\' is an FSx for Windows File Server volume, which ECS mounts only into Windows containers on EC2 instances ',
          `\\(not on Fargate or Managed Instances\\)\\. ${windows} Run the workload on Windows EC2 capacity`))),
    );
  }
  if (o.ebs && o.fargate) {
    list.push(winPath.map(p => breaker('EBS on Fargate Windows', withVolumes(ebsVolume({ path: p, sizeGiB: 100, fileSystemType: 'NTFS' })),
      re(`volumes\\[0\\] 'ebs' is an EBS volume, which ECS attaches to Windows tasks on EC2 instances only\\. ${windows} Run the workload on Windows EC2 capacity`))));
  }
  if (o.ebs && !o.fargate) {
    list.push(fc.tuple(winPath, fc.constantFrom<'XFS' | 'EXT3' | 'EXT4' | undefined>(undefined, 'XFS', 'EXT3', 'EXT4')).map(([p, fs]) => breaker(
      `EBS formatted ${fs ?? 'XFS (default)'} on Windows`, withVolumes(ebsVolume({ path: p, sizeGiB: 100, fileSystemType: fs })),
      re(`volumes\\[0\\] 'ebs' is an EBS volume formatted ${(fs ?? 'XFS').toLowerCase()}, which Windows containers cannot mount\\. ${windows} `,
        'Set fileSystemType: ecs\\.FileSystemType\\.NTFS'))));
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

/** How aws-cdk-lib reports the validation messages of constructs (`node.addValidation`) when the app synthesizes. */
const SYNTH_VALIDATION = /^Validation failed with the following errors:/;

/**
 * Runs `build` in a fresh environment and synthesizes; fails unless our ValidationError is thrown at
 * construction or at synth time (never a TypeError, a plain Error or aws-cdk-lib's own errors). With
 * `atSynth`, the refusal may also be a construct's validation message, which aws-cdk-lib reports when
 * the app synthesizes (`message` must then match it).
 */
export function assertRejected(build: (env: Env) => void, what: string, message?: RegExp, atSynth = false): void {
  const env = new Env();
  let error: unknown;
  try {
    build(env);
    env.app.synth();
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`${what}: accepted, but a ValidationError was expected`);
  const reportedAtSynth = atSynth && error instanceof Error && SYNTH_VALIDATION.test(error.message);
  if (!reportedAtSynth && (!(error instanceof ValidationError) || (error as Error).name !== 'ValidationError')) {
    const e = error as Error;
    throw new Error(`${what}: threw ${e?.constructor?.name} (name ${e?.name}) instead of ValidationError: ${e?.message}`);
  }
  if (message && !message.test((error as Error).message)) {
    throw new Error(`${what}: refused, but the message does not match ${message}: ${(error as Error).message}`);
  }
}
