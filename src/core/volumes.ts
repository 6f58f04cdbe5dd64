import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CapacityKind } from './capacity';
import { isUnresolved, show, ValidationError } from './errors';

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

/** Kinds of `WorkloadVolume`. */
export enum WorkloadVolumeKind {
  /** Amazon EFS through an access point. */
  EFS = 'EFS',
  /** Host path (EC2) or task-scoped scratch space. */
  BIND_MOUNT = 'BIND_MOUNT',
  /** Docker volume (EC2 only). */
  DOCKER = 'DOCKER',
}

/** @internal What binding a volume produced. */
export interface BoundVolume {
  readonly fileSystem?: efs.IFileSystem;
  readonly accessPoint?: efs.IAccessPoint;
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

  /** Kind of volume. */
  public readonly kind: WorkloadVolumeKind;
  /** Volume name in the task definition. */
  public readonly name: string;
  /** Where the volume appears in the container. */
  public readonly containerPath: string;
  /** Whether the container may only read. */
  public readonly readOnly: boolean;
  private readonly options: EfsVolumeOptions | BindMountVolumeOptions | DockerVolumeOptions;

  private constructor(
    kind: WorkloadVolumeKind,
    name: string,
    containerPath: string,
    readOnly: boolean,
    options: EfsVolumeOptions | BindMountVolumeOptions | DockerVolumeOptions,
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
    checkAbsolute(scope, `${prop}.containerPath`, this.containerPath);
    let bound: BoundVolume = {};
    switch (this.kind) {
      case WorkloadVolumeKind.EFS:
        bound = this.bindEfs(scope, taskDefinition, prop);
        break;
      case WorkloadVolumeKind.BIND_MOUNT: {
        const o = this.options as BindMountVolumeOptions;
        if (o.hostPath !== undefined) {
          checkAbsolute(scope, `${prop}.hostPath`, o.hostPath);
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
    }
    container.addMountPoints({ sourceVolume: this.name, containerPath: this.containerPath, readOnly: this.readOnly });
    return bound;
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

/** Throws unless `path` is an absolute POSIX path. */
export function checkAbsolute(scope: Construct, prop: string, path: string): void {
  if (isUnresolved(path)) return;
  if (!path.startsWith('/') || path.includes('..')) {
    throw new ValidationError(scope, `${prop} must be an absolute path without '..', got ${show(path)}. Start it with '/', e.g. '/models'.`);
  }
}
