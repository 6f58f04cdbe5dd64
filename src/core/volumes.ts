import { IResolvable, IResolveContext, Lazy, Tokenization } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct, IConstruct } from 'constructs';
import { CapacityKind } from './capacity';
import { checkEbsOptions, EbsVolumeOptions } from './ebs-volumes';
import { isUnresolved, show, ValidationError } from './errors';
import type { S3FilesFileSystem } from './s3-files';

/** Options for `WorkloadVolume.efs`. */
export interface EfsVolumeOptions {
  /** The file system to mount. */
  readonly fileSystem: efs.IFileSystem;

  /** Absolute path where the file system appears in the container. */
  readonly containerPath: string;

  /**
   * Access point to mount through.
   * @default - an access point on `rootDirectory` that maps every user to UID/GID 1000
   */
  readonly accessPoint?: efs.IAccessPoint;

  /**
   * Directory of the file system the created access point exposes (created, owned by UID/GID 1000,
   * mode 755, when absent). Nothing outside it is visible to the task. Ignored with `accessPoint`.
   * @default - `/<name>`
   */
  readonly rootDirectory?: string;

  /**
   * Whether the container may only read. The task role gets `ClientWrite` only when false.
   * @default true
   */
  readonly readOnly?: boolean;

  /**
   * Volume name in the task definition.
   * @default 'efs'
   */
  readonly name?: string;
}

/** Options for `WorkloadVolume.bindMount`. */
export interface BindMountVolumeOptions {
  /** Volume name in the task definition. */
  readonly name: string;

  /** Absolute path where the volume appears in the container. */
  readonly containerPath: string;

  /**
   * Path on the container instance (EC2 only). Without it the volume is task-scoped scratch space
   * (works on Fargate too), which is how a read-only root filesystem gets a writable `/tmp`.
   * @default - task-scoped scratch space
   */
  readonly hostPath?: string;

  /**
   * Whether the container may only read.
   * @default - true with a `hostPath`, false for scratch space
   */
  readonly readOnly?: boolean;
}

/** Options for `WorkloadVolume.dockerVolume`. */
export interface DockerVolumeOptions {
  /** Volume name in the task definition. */
  readonly name: string;

  /** Absolute path where the volume appears in the container. */
  readonly containerPath: string;

  /**
   * Docker volume driver.
   * @default 'local'
   */
  readonly driver?: string;

  /**
   * Driver options.
   * @default - none
   */
  readonly driverOpts?: { [key: string]: string };

  /**
   * Lifetime of the volume: `TASK` (removed with the task) or `SHARED` (persists on the instance).
   * @default ecs.Scope.TASK
   */
  readonly scope?: ecs.Scope;

  /**
   * Whether the container may only read.
   * @default false
   */
  readonly readOnly?: boolean;
}

/** Options for `WorkloadVolume.fsxWindows`. */
export interface FsxWindowsVolumeOptions {
  /** Absolute Windows path where the share appears in the container, e.g. `'C:\\data'`. */
  readonly containerPath: string;

  /**
   * Volume name in the task definition.
   * @default 'fsx'
   */
  readonly name?: string;

  /**
   * The file system: its id and its security groups (to which the tasks get SMB, TCP 445). Give
   * either this or `fileSystemId` with `fileSystemSecurityGroups`.
   * @default - `fileSystemId` and `fileSystemSecurityGroups`
   */
  readonly fileSystem?: fsx.IFileSystem;

  /**
   * ID of the file system (`fs-...`), when no `fsx.IFileSystem` is at hand (aws-cdk-lib has no L2
   * for FSx for Windows File Server). Give `fileSystemSecurityGroups` with it.
   * @default - the id of `fileSystem`
   */
  readonly fileSystemId?: string;

  /**
   * Security groups of the file system, with `fileSystemId`: each gets an SMB (TCP 445) ingress rule
   * from exactly these tasks.
   * @default - the security groups of `fileSystem`
   */
  readonly fileSystemSecurityGroups?: ec2.ISecurityGroup[];

  /**
   * Share (and folder) mounted as the root, e.g. `'share'` (the default share FSx creates) or
   * `'share\\reports'`.
   * @default 'share'
   */
  readonly rootDirectory?: string;

  /** Fully qualified domain name of the Active Directory the file system is joined to, e.g. `'corp.example.com'`. */
  readonly domain: string;

  /**
   * Secrets Manager secret holding the credentials (`{"username": "...", "password": "..."}`) of a
   * domain user allowed on the share. Only the task execution role may read it. Give this or
   * `credentialsParameter`.
   * @default - `credentialsParameter`
   */
  readonly credentialsSecret?: secretsmanager.ISecret;

  /**
   * SSM parameter (SecureString) holding the same credentials, instead of `credentialsSecret`.
   * @default - `credentialsSecret`
   */
  readonly credentialsParameter?: ssm.IParameter;

  /**
   * Whether the container may only read.
   * @default true
   */
  readonly readOnly?: boolean;
}

/** Options for `WorkloadVolume.s3Files`. */
export interface S3FilesVolumeOptions {
  /** The S3 Files file system (a bucket prefix) to mount. */
  readonly fileSystem: S3FilesFileSystem;

  /** Absolute path where the file system appears in the container. */
  readonly containerPath: string;

  /**
   * Volume name in the task definition.
   * @default 's3files'
   */
  readonly name?: string;

  /**
   * Directory of the file system (relative to the bucket prefix) mounted as the root.
   * @default '/'
   */
  readonly rootDirectory?: string;

  /**
   * Whether the container may only read. The task role gets `s3files:ClientWrite` only when false.
   * @default true
   */
  readonly readOnly?: boolean;
}

/** Kinds of `WorkloadVolume`. */
export enum WorkloadVolumeKind {
  /** Amazon EFS through an access point. */
  EFS = 'EFS',
  /** Host path (EC2) or task-scoped scratch space. */
  BIND_MOUNT = 'BIND_MOUNT',
  /** Docker volume (EC2 only). */
  DOCKER = 'DOCKER',
  /** An Amazon EBS volume ECS creates for each task of a service, and deletes with it. */
  EBS = 'EBS',
  /** An Amazon FSx for Windows File Server share (Windows tasks on EC2 only). */
  FSX_WINDOWS = 'FSX_WINDOWS',
  /** An Amazon S3 Files file system: a bucket prefix over NFS (Fargate and Managed Instances). */
  S3_FILES = 'S3_FILES',
}

/** @internal What binding a volume produced. */
export interface BoundVolume {
  readonly fileSystem?: efs.IFileSystem;
  readonly accessPoint?: efs.IAccessPoint;
  /** The volume and its prop path (`volumes[0]`). */
  readonly volume?: WorkloadVolume;
  readonly prop?: string;
  /** An EBS volume: ECS creates it per task of the service that `attachServiceVolumes` gives it to. */
  readonly ebs?: EbsVolumeOptions;
  /** Security groups the tasks need SMB (445) to: an FSx for Windows File Server file system. */
  readonly smbTo?: ec2.ISecurityGroup[];
  /** An S3 Files file system: NFS (2049) to its mount targets, which must exist first. */
  readonly s3Files?: S3FilesFileSystem;
}

/** Bound volumes a workload has wired (`attachServiceVolumes`, `attachTaskVolumes`); the others fail synthesis. */
const attached = new WeakSet<BoundVolume>();

/** @internal Marks a bound volume as wired by its workload. */
export function _markAttached(bound: BoundVolume): void {
  attached.add(bound);
}

/**
 * A volume mounted into a workload's main container.
 */
export class WorkloadVolume {
  /**
   * Amazon EFS, mounted with transit encryption and IAM authorization through an access point.
   * The task role gets `elasticfilesystem:ClientMount` (and `ClientWrite` when writable) on that
   * access point only; the construct opens port 2049 from its tasks to the file system.
   */
  public static efs(options: EfsVolumeOptions): WorkloadVolume {
    return new WorkloadVolume(WorkloadVolumeKind.EFS, options.name ?? 'efs', options.containerPath, options.readOnly ?? true, options);
  }

  /** A host path (EC2 only) or task-scoped scratch space (any capacity). */
  public static bindMount(options: BindMountVolumeOptions): WorkloadVolume {
    return new WorkloadVolume(WorkloadVolumeKind.BIND_MOUNT, options.name, options.containerPath,
      options.readOnly ?? options.hostPath !== undefined, options);
  }

  /**
   * A Docker volume, on EC2 capacity only. Fargate does not support Docker volume configuration.
   */
  public static dockerVolume(options: DockerVolumeOptions): WorkloadVolume {
    return new WorkloadVolume(WorkloadVolumeKind.DOCKER, options.name, options.containerPath, options.readOnly ?? false, options);
  }

  /**
   * An Amazon EBS volume for each task of a service (`BatchQueueWorker`, `InferenceService`):
   * ECS creates it when the task starts, encrypted with the cluster's key, and deletes it when the
   * task stops. Scratch space beyond Fargate's 200 GiB of ephemeral storage, or a model cache
   * created from a snapshot. ECS manages it through an infrastructure role of the service's own,
   * limited to volumes of the cluster's tasks. One EBS volume per task; Fargate (platform 1.4.0
   * and later), EC2 and Managed Instances capacity; on Windows, EC2 only.
   */
  public static ebs(options: EbsVolumeOptions): WorkloadVolume {
    return new WorkloadVolume(WorkloadVolumeKind.EBS, options.name ?? 'ebs', options.containerPath, options.readOnly ?? false, options);
  }

  /**
   * A share of an Amazon FSx for Windows File Server file system, for Windows tasks on EC2 capacity
   * (ECS supports it nowhere else). ECS authenticates with Active Directory credentials from a
   * secret or SSM parameter that only the task execution role may read; the tasks get SMB (TCP 445)
   * to the file system's security groups, from their own security group only.
   */
  public static fsxWindows(options: FsxWindowsVolumeOptions): WorkloadVolume {
    return new WorkloadVolume(WorkloadVolumeKind.FSX_WINDOWS, options.name ?? 'fsx', options.containerPath, options.readOnly ?? true, options);
  }

  /**
   * An Amazon S3 Files file system (see `S3FilesFileSystem`): a bucket prefix mounted over NFS with
   * transit encryption, on Fargate or Managed Instances capacity (ECS does not mount S3 Files on EC2
   * Auto Scaling group capacity). The task role gets `s3files:ClientMount` (and `ClientWrite` when
   * writable) on the file system and read access to the prefix's objects (the S3 Files client reads
   * large files straight from the bucket); the tasks get NFS (2049) to the mount targets.
   */
  public static s3Files(options: S3FilesVolumeOptions): WorkloadVolume {
    return new WorkloadVolume(WorkloadVolumeKind.S3_FILES, options.name ?? 's3files', options.containerPath, options.readOnly ?? true, options);
  }

  /** Kind of volume. */
  public readonly kind: WorkloadVolumeKind;
  /** Volume name in the task definition. */
  public readonly name: string;
  /** Where the volume appears in the container. */
  public readonly containerPath: string;
  /** Whether the container may only read. */
  public readonly readOnly: boolean;
  /** @internal The options the volume was made with. */
  public get _options(): object {
    return this.options;
  }
  private readonly options: EfsVolumeOptions | BindMountVolumeOptions | DockerVolumeOptions | EbsVolumeOptions
  | FsxWindowsVolumeOptions | S3FilesVolumeOptions;

  private constructor(
    kind: WorkloadVolumeKind,
    name: string,
    containerPath: string,
    readOnly: boolean,
    options: EfsVolumeOptions | BindMountVolumeOptions | DockerVolumeOptions | EbsVolumeOptions | FsxWindowsVolumeOptions | S3FilesVolumeOptions,
  ) {
    this.kind = kind;
    this.name = name;
    this.containerPath = containerPath;
    this.readOnly = readOnly;
    this.options = options;
  }

  /**
   * Validates the volume for the capacity, adds it to the task definition and mounts it.
   * @internal
   */
  public _bind(scope: Construct, capacity: CapacityKind, taskDefinition: ecs.TaskDefinition,
    container: ecs.ContainerDefinition, prop: string): BoundVolume {
    switch (this.kind) {
      case WorkloadVolumeKind.FSX_WINDOWS:
        checkWindowsPath(scope, `${prop}.containerPath`, this.containerPath);
        break;
      case WorkloadVolumeKind.EFS:
      case WorkloadVolumeKind.S3_FILES:
        checkAbsolute(scope, `${prop}.containerPath`, this.containerPath);
        break;
      default:
        // Linux or Windows: which one is checked against the task's OS by checkVolumesForPlatform.
        if (!isWindowsPath(this.containerPath)) checkAbsolute(scope, `${prop}.containerPath`, this.containerPath);
    }
    let bound: BoundVolume = {};
    switch (this.kind) {
      case WorkloadVolumeKind.EFS:
        bound = this.bindEfs(scope, taskDefinition, prop);
        break;
      case WorkloadVolumeKind.BIND_MOUNT: {
        const o = this.options as BindMountVolumeOptions;
        if (o.hostPath !== undefined) {
          // A Windows host path (checked against the task's OS by checkVolumesForPlatform) or a POSIX one.
          if (!isWindowsPath(o.hostPath)) checkAbsolute(scope, `${prop}.hostPath`, o.hostPath);
          if (capacity === CapacityKind.FARGATE) {
            throw new ValidationError(scope,
              `${prop} '${this.name}' mounts host path ${show(o.hostPath)}, but Fargate tasks cannot reach the host. ` +
              'Run the workload on EC2 capacity (Capacity.ec2), or drop hostPath for task-scoped scratch space.');
          }
        }
        taskDefinition.addVolume({ name: this.name, host: o.hostPath !== undefined ? { sourcePath: o.hostPath } : undefined });
        break;
      }
      case WorkloadVolumeKind.DOCKER: {
        const o = this.options as DockerVolumeOptions;
        if (capacity === CapacityKind.FARGATE) {
          throw new ValidationError(scope,
            `${prop} '${this.name}' is a Docker volume, which Fargate does not support. ` +
            'Use WorkloadVolume.efs or WorkloadVolume.bindMount (scratch space) on Fargate, or run the workload on EC2 capacity.');
        }
        taskDefinition.addVolume({
          name: this.name,
          dockerVolumeConfiguration: {
            driver: o.driver ?? 'local',
            driverOpts: o.driverOpts,
            scope: o.scope ?? ecs.Scope.TASK,
            autoprovision: (o.scope ?? ecs.Scope.TASK) === ecs.Scope.SHARED ? true : undefined,
          },
        });
        break;
      }
      case WorkloadVolumeKind.EBS:
        checkEbsOptions(scope, prop, this.options as EbsVolumeOptions, capacity === CapacityKind.FARGATE);
        taskDefinition.addVolume({ name: this.name, configuredAtLaunch: true });
        bound = { ebs: this.options as EbsVolumeOptions };
        break;
      case WorkloadVolumeKind.FSX_WINDOWS:
        bound = this.bindFsxWindows(scope, capacity, taskDefinition, prop);
        break;
      case WorkloadVolumeKind.S3_FILES:
        bound = this.bindS3Files(scope, capacity, taskDefinition, prop);
        break;
    }
    container.addMountPoints({ sourceVolume: this.name, containerPath: this.containerPath, readOnly: this.readOnly });
    bound = { ...bound, volume: this, prop };
    if (bound.ebs || bound.smbTo || bound.s3Files) requireAttachment(scope, bound);
    return bound;
  }

  private bindFsxWindows(scope: Construct, capacity: CapacityKind, taskDefinition: ecs.TaskDefinition, prop: string): BoundVolume {
    const o = this.options as FsxWindowsVolumeOptions;
    if (capacity !== CapacityKind.EC2) {
      throw new ValidationError(scope,
        `${prop} '${this.name}' is an FSx for Windows File Server volume, which ECS mounts only into Windows tasks on EC2 instances, ` +
        `not on ${capacity === CapacityKind.FARGATE ? 'Fargate' : 'Managed Instances'}. Run the workload on Windows EC2 capacity (Capacity.ec2 with a Windows capacity provider).`);
    }
    if ((o.fileSystem === undefined) === (o.fileSystemId === undefined)) {
      throw new ValidationError(scope,
        `${prop} needs exactly one of fileSystem and fileSystemId (got ${o.fileSystem ? 'both' : 'neither'}). Pass the fsx.IFileSystem, or its id with fileSystemSecurityGroups.`);
    }
    const groups = o.fileSystem ? o.fileSystem.connections.securityGroups : o.fileSystemSecurityGroups ?? [];
    if (o.fileSystem && o.fileSystemSecurityGroups) {
      throw new ValidationError(scope,
        `${prop}.fileSystemSecurityGroups is set with fileSystem, whose own security groups get the SMB rule. Remove fileSystemSecurityGroups, or pass fileSystemId instead of fileSystem.`);
    }
    if (groups.length === 0) {
      throw new ValidationError(scope,
        `${prop} names no security group of the file system, so the tasks could not be let through to it on SMB (445). ` +
        'Give fileSystemSecurityGroups (the groups of the file system\'s network interfaces) with fileSystemId.');
    }
    const fileSystemId = o.fileSystem?.fileSystemId ?? o.fileSystemId!;
    if (!isUnresolved(fileSystemId) && !/^fs-[0-9a-f]{8,17}$/.test(fileSystemId)) {
      throw new ValidationError(scope, `${prop}.fileSystemId ${show(fileSystemId)} is not an FSx file system id. Give its id, e.g. 'fs-0123456789abcdef0'.`);
    }
    if ((o.credentialsSecret === undefined) === (o.credentialsParameter === undefined)) {
      throw new ValidationError(scope,
        `${prop} needs exactly one of credentialsSecret and credentialsParameter (got ${o.credentialsSecret ? 'both' : 'neither'}): ` +
        'ECS joins the share with a domain user\'s credentials stored in one of them.');
    }
    if (!isUnresolved(o.domain) && !/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(o.domain)) {
      throw new ValidationError(scope,
        `${prop}.domain ${show(o.domain)} is not a fully qualified domain name. Give the DNS name of the Active Directory, e.g. 'corp.example.com'.`);
    }
    const rootDirectory = o.rootDirectory ?? 'share';
    if (!isUnresolved(rootDirectory) && (rootDirectory.length === 0 || rootDirectory.includes('/') || rootDirectory.includes('..'))) {
      throw new ValidationError(scope,
        `${prop}.rootDirectory ${show(rootDirectory)} must name a share and optional folders with backslashes, without '/' or '..', e.g. 'share' or 'share\\reports'.`);
    }
    const executionRole = taskDefinition.obtainExecutionRole();
    const credentials = o.credentialsSecret?.secretArn ?? o.credentialsParameter!.parameterArn;
    if (o.credentialsSecret) o.credentialsSecret.grantRead(executionRole);
    else o.credentialsParameter!.grantRead(executionRole);
    taskDefinition.addVolume({ name: this.name });
    extendVolume(taskDefinition, this.name, {
      fSxWindowsFileServerVolumeConfiguration: {
        fileSystemId,
        rootDirectory,
        authorizationConfig: { credentialsParameter: credentials, domain: o.domain },
      },
    });
    return { smbTo: groups };
  }

  private bindS3Files(scope: Construct, capacity: CapacityKind, taskDefinition: ecs.TaskDefinition, prop: string): BoundVolume {
    const o = this.options as S3FilesVolumeOptions;
    if (capacity === CapacityKind.EC2) {
      throw new ValidationError(scope,
        `${prop} '${this.name}' is an S3 Files volume, which ECS mounts on Fargate and Managed Instances only (tasks on EC2 Auto Scaling group capacity fail to start). ` +
        'Run the workload on Capacity.fargate() or Capacity.managedInstances(...), or use WorkloadVolume.efs.');
    }
    const rootDirectory = o.rootDirectory ?? '/';
    checkAbsolute(scope, `${prop}.rootDirectory`, rootDirectory);
    taskDefinition.addVolume({ name: this.name });
    extendVolume(taskDefinition, this.name, {
      s3FilesVolumeConfiguration: { fileSystemArn: o.fileSystem.fileSystemArn, rootDirectory: rootDirectory === '/' ? undefined : rootDirectory },
    });
    o.fileSystem.grantMount(taskDefinition.taskRole, !this.readOnly);
    return { s3Files: o.fileSystem };
  }

  private bindEfs(scope: Construct, taskDefinition: ecs.TaskDefinition, prop: string): BoundVolume {
    const o = this.options as EfsVolumeOptions;
    const rootDirectory = o.rootDirectory ?? `/${this.name}`;
    checkAbsolute(scope, `${prop}.rootDirectory`, rootDirectory);
    // Not '/': Control Tower (CT.EFS.PR.x) wants every access point confined to a directory.
    const accessPoint = o.accessPoint ?? new efs.AccessPoint(scope, `${this.name}AccessPoint`, {
      fileSystem: o.fileSystem,
      path: rootDirectory,
      createAcl: { ownerUid: '1000', ownerGid: '1000', permissions: '755' },
      posixUser: { uid: '1000', gid: '1000' },
    });
    taskDefinition.addVolume({
      name: this.name,
      efsVolumeConfiguration: {
        fileSystemId: o.fileSystem.fileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: accessPoint.accessPointId, iam: 'ENABLED' },
      },
    });
    const actions = ['elasticfilesystem:ClientMount'];
    if (!this.readOnly) actions.push('elasticfilesystem:ClientWrite');
    taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions,
      resources: [o.fileSystem.fileSystemArn],
      conditions: {
        StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint.accessPointArn },
        Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
      },
    }));
    return { fileSystem: o.fileSystem, accessPoint };
  }
}

/**
 * Fails synthesis unless the workload wired the volume (`attachServiceVolumes`, `attachTaskVolumes`): EBS
 * volumes need a REPLICA service to attach them, FSx and S3 Files volumes a network rule from the tasks.
 */
function requireAttachment(scope: IConstruct, bound: BoundVolume): void {
  scope.node.addValidation({
    validate: () => {
      if (attached.has(bound)) return [];
      const v = bound.volume!;
      if (bound.ebs) {
        return [`${bound.prop} '${v.name}' is an EBS volume, which ECS attaches only to the tasks of a REPLICA service (BatchQueueWorker, InferenceService). ` +
          'EventBridge Scheduler passes no volume configuration to the tasks it starts, and ECS takes none for DAEMON services. ' +
          'Use WorkloadVolume.bindMount for task-scoped scratch space, or WorkloadVolume.efs for shared storage.'];
      }
      return [`${bound.prop} '${v.name}' is an ${bound.smbTo ? 'FSx for Windows File Server' : 'S3 Files'} volume, but nothing opened the ` +
        `${bound.smbTo ? 'SMB (445)' : 'NFS (2049)'} path from its tasks to the file system, so they could not mount it. ` +
        'Mount it through a BatchQueueWorker, InferenceService, ScheduledTask or DaemonAgent, which open that path.'];
    },
  });
}

/**
 * Adds properties of volume `name` that aws-cdk-lib's `TaskDefinition` does not render (FSx for
 * Windows File Server, S3 Files) to the L1 task definition's `Volumes`: aws-cdk-lib has no L2 for them.
 */
function extendVolume(taskDefinition: ecs.TaskDefinition, name: string, extra: ecs.CfnTaskDefinition.VolumeProperty | object): void {
  const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  let extras = volumeExtras.get(cfn);
  if (!extras) {
    const extrasOfThis = new Map<string, object>();
    extras = extrasOfThis;
    volumeExtras.set(cfn, extras);
    const rendered = cfn.volumes;
    cfn.volumes = Lazy.uncachedAny({
      produce: (context: IResolveContext) => {
        const volumes = Tokenization.isResolvable(rendered) ? (rendered as IResolvable).resolve(context) : rendered;
        return (volumes as ecs.CfnTaskDefinition.VolumeProperty[] | undefined)
          ?.map(v => ({ ...v, ...extrasOfThis.get(String(v.name)) }));
      },
    }, { omitEmptyArray: true });
  }
  extras.set(name, extra);
}

const volumeExtras = new WeakMap<ecs.CfnTaskDefinition, Map<string, object>>();

/** The OS and capacity of a task, for `checkVolumesForPlatform`. */
export interface VolumePlatform {
  /** Whether the task runs Windows containers. */
  readonly windows: boolean;
  /** Whether the task runs on Fargate. */
  readonly fargate: boolean;
  /** Whether the task runs on ECS Managed Instances. */
  readonly managedInstances: boolean;
}

/**
 * Throws when a volume cannot be mounted by a task of the given OS and capacity, naming the reason
 * and the fix: FSx for Windows File Server only into Windows tasks on EC2; EBS on Windows only on
 * EC2, formatted NTFS (and never NTFS on Linux); S3 Files and EFS only into Linux tasks; Docker
 * volumes of Windows tasks only with the `local` driver; container paths in the OS's form.
 */
export function checkVolumesForPlatform(scope: IConstruct, volumes: WorkloadVolume[], platform: VolumePlatform): void {
  const where = platform.fargate ? 'Fargate' : platform.managedInstances ? 'Managed Instances' : 'EC2';
  const os = platform.windows ? 'Windows' : 'Linux';
  for (const [i, v] of volumes.entries()) {
    const prop = `volumes[${i}]`;
    const refuse = (why: string, fix: string) => {
      throw new ValidationError(scope, `${prop} '${v.name}' ${why} Here the task runs ${os} containers on ${where}. ${fix}`);
    };
    if (!isUnresolved(v.containerPath) && isWindowsPath(v.containerPath) !== platform.windows) {
      refuse(`is mounted at ${show(v.containerPath)}, a ${platform.windows ? 'Linux' : 'Windows'} path.`,
        platform.windows ? 'Give a Windows path such as \'C:\\data\'.' : 'Give an absolute Linux path such as \'/data\'.');
    }
    const o = v._options;
    const hostPath = v.kind === WorkloadVolumeKind.BIND_MOUNT ? (o as BindMountVolumeOptions).hostPath : undefined;
    if (hostPath !== undefined && !isUnresolved(hostPath) && isWindowsPath(hostPath) !== platform.windows) {
      refuse(`mounts host path ${show(hostPath)}, a ${platform.windows ? 'Linux' : 'Windows'} path.`,
        platform.windows ? 'Give the Windows host path, such as \'C:\\ProgramData\\Amazon\\ECS\\log\'.' : 'Give an absolute Linux host path such as \'/var/log\'.');
    }
    switch (v.kind) {
      case WorkloadVolumeKind.FSX_WINDOWS:
        if (!platform.windows || platform.fargate || platform.managedInstances) {
          refuse('is an FSx for Windows File Server volume, which ECS mounts only into Windows containers on EC2 instances (not on Fargate or Managed Instances).',
            'Run the workload on Windows EC2 capacity, or use WorkloadVolume.efs or WorkloadVolume.s3Files for Linux tasks.');
        }
        break;
      case WorkloadVolumeKind.EBS: {
        const fileSystemType = (o as EbsVolumeOptions).fileSystemType ?? ecs.FileSystemType.XFS;
        if (platform.windows && (platform.fargate || platform.managedInstances)) {
          refuse('is an EBS volume, which ECS attaches to Windows tasks on EC2 instances only.', 'Run the workload on Windows EC2 capacity.');
        }
        if (platform.windows !== (fileSystemType === ecs.FileSystemType.NTFS)) {
          refuse(`is an EBS volume formatted ${fileSystemType}, which ${os} containers cannot mount.`,
            platform.windows ? 'Set fileSystemType: ecs.FileSystemType.NTFS.' : 'Use XFS (the default), EXT4 or EXT3.');
        }
        break;
      }
      case WorkloadVolumeKind.S3_FILES:
        if (platform.windows || !(platform.fargate || platform.managedInstances)) {
          refuse('is an S3 Files volume, which ECS mounts only into Linux tasks on Fargate or Managed Instances.',
            'Run the workload on Linux Fargate or Managed Instances capacity.');
        }
        break;
      case WorkloadVolumeKind.EFS:
        if (platform.windows) refuse('is an EFS volume, which Windows containers cannot mount.', 'Use WorkloadVolume.fsxWindows for Windows tasks.');
        break;
      case WorkloadVolumeKind.DOCKER: {
        const driver = (o as DockerVolumeOptions).driver ?? 'local';
        if (platform.windows && driver !== 'local') {
          refuse(`uses Docker volume driver ${show(driver)}, but Windows containers support only the 'local' driver.`, 'Remove driver (it defaults to \'local\').');
        }
        break;
      }
      default:
        break;
    }
  }
}

/** Whether `path` is an absolute Windows path (`C:\...`). */
function isWindowsPath(path: string): boolean {
  return /^[A-Za-z]:\\/.test(path);
}

/** Throws unless `path` is an absolute Windows path such as `C:\data`. */
function checkWindowsPath(scope: IConstruct, prop: string, path: string): void {
  if (isUnresolved(path)) return;
  if (!isWindowsPath(path) || path.includes('..')) {
    throw new ValidationError(scope, `${prop} must be an absolute Windows path without '..', got ${show(path)}. Start it with a drive, e.g. 'C:\\data'.`);
  }
}

/** Throws unless `path` is an absolute POSIX path. */
export function checkAbsolute(scope: Construct, prop: string, path: string): void {
  if (isUnresolved(path)) return;
  if (!path.startsWith('/') || path.includes('..')) {
    throw new ValidationError(scope, `${prop} must be an absolute path without '..', got ${show(path)}. Start it with '/', e.g. '/models'.`);
  }
}
