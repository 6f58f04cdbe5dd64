import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { WorkloadVolume } from './volumes';

/**
 * A helper container that runs beside the workload's main container in the same task.
 */
export interface SidecarContainerOptions {
  /** Container name, unique within the task. */
  readonly name: string;

  /** Image to run. */
  readonly image: ecs.ContainerImage;

  /**
   * CPU units reserved for the sidecar (part of the task's CPU).
   * @default - no reservation; shares the task's CPU
   */
  readonly cpu?: number;

  /**
   * Hard memory limit of the sidecar, subtracted from the main container's share of the task memory.
   * @default 128
   */
  readonly memoryLimitMiB?: number;

  /**
   * Command passed to the sidecar.
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Environment variables of the sidecar.
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * Secrets injected into the sidecar's environment.
   * @default - none
   */
  readonly secrets?: { [key: string]: ecs.Secret };

  /**
   * Whether the task stops when this sidecar stops.
   * @default false
   */
  readonly essential?: boolean;

  /**
   * The main container starts only once this sidecar reaches this condition
   * (`START`, `HEALTHY` needs a `healthCheck`, `COMPLETE` / `SUCCESS` for init containers).
   * @default ecs.ContainerDependencyCondition.START
   */
  readonly mainContainerWaitsFor?: ecs.ContainerDependencyCondition;

  /**
   * Health check of the sidecar.
   * @default - none
   */
  readonly healthCheck?: ecs.HealthCheck;

  /**
   * Whether the sidecar's root filesystem is read-only.
   * @default - true (not set on Windows, where ECS does not support it)
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * User (name or UID, optionally `:group`) the sidecar runs as.
   * @default - '1000' (not set on Windows: the image's USER applies)
   */
  readonly user?: string;
}

/**
 * Container settings shared by every workload construct, apart from its resources and port.
 *
 * `DaemonAgentProps` extends it directly, since a daemon reserves CPU and memory on its containers
 * rather than on its task; the other constructs take `WorkloadContainerOptions`.
 */
export interface WorkloadContainerBaseOptions {
  /** Image of the main container. */
  readonly image: ecs.ContainerImage;

  /**
   * Command passed to the main container.
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Entry point of the main container.
   * @default - the image's ENTRYPOINT
   */
  readonly entryPoint?: string[];

  /**
   * Environment variables of the main container.
   * Some constructs add variables of their own, which take precedence. `BatchQueueWorker` adds
   * `QUEUE_URL` and `JOB_TIMEOUT_SECONDS`, with an input bucket `INPUT_BUCKET`, `INPUT_PREFIX` and
   * `INPUT_SUFFIX` (when set), and with an output bucket `OUTPUT_BUCKET` and `OUTPUT_PREFIX`.
   * `InferenceService` adds `PORT` (the container port) and, with a model store, `MODEL_DIR` (its
   * mount path).
   * @default - none beyond the construct's own
   */
  readonly environment?: { [key: string]: string };

  /**
   * Secrets (Secrets Manager or SSM Parameter Store) injected into the main container's environment.
   * Only the execution role may read them.
   * @default - none
   */
  readonly secrets?: { [key: string]: ecs.Secret };

  /**
   * Container health check of the main container.
   * @default - none
   */
  readonly healthCheck?: ecs.HealthCheck;

  /**
   * Time between SIGTERM and SIGKILL when the task stops. ECS accepts 2 to 120 seconds,
   * on Fargate and on EC2 (checked at synth).
   * @default - Duration.seconds(30) (2 minutes in `BatchQueueWorker`)
   */
  readonly stopTimeout?: Duration;

  /**
   * CPU architecture of the image. Graviton (ARM64) is about 20 % cheaper per vCPU-hour on Fargate.
   * On EC2 capacity it must match the capacity provider's instances (checked at synth).
   * @default - the capacity provider's architecture on EC2 capacity, ARM64 on Fargate
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Number of GPUs reserved for the main container (EC2 GPU capacity only).
   * @default 0
   */
  readonly gpuCount?: number;

  /**
   * Whether the main container's root filesystem is read-only. Mount a volume where it must write.
   * @default - true (false with `enableExec`; not set on Windows, where ECS does not support it)
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * User (name or UID, optionally `:group`) the main container runs as. Use `'root'` only when the
   * image truly needs it.
   * @default - '1000' (not set on Windows: the image's USER applies)
   */
  readonly user?: string;

  /**
   * Let operators open a shell in the main container with ECS Exec
   * (`aws ecs execute-command --cluster <cluster> --task <task id> --container main --interactive --command /bin/sh`).
   * The task role gets the four `ssmmessages` channel actions, and sessions are encrypted with the
   * cluster key and logged to the cluster's `execLogGroup` (and `execSessionLogBucket`). ECS does not
   * support ECS Exec with a read-only root file system, so the main container's becomes writable,
   * and commands run as root whatever `user` says. Only tasks started after the change have it. On
   * Windows, open a session with `--command powershell.exe`.
   * @default false
   */
  readonly enableExec?: boolean;

  /**
   * Retention of the container logs (the log group is encrypted with the cluster key).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Sidecar containers that run beside the main container.
   * @default - none
   */
  readonly sidecars?: SidecarContainerOptions[];

  /**
   * Volumes mounted into the main container.
   * @default - none
   */
  readonly volumes?: WorkloadVolume[];
}

/**
 * Container settings shared by the workload constructs that reserve CPU and memory for the whole task:
 * `BatchQueueWorker`, `InferenceService` and `ScheduledTask`.
 */
export interface WorkloadContainerOptions extends WorkloadContainerBaseOptions {
  /**
   * Task CPU units (1024 = 1 vCPU). On Fargate, one of 256, 512, 1024, 2048, 4096, 8192, 16384. On
   * EC2 capacity, at least 128 and at most the CPU units of the capacity provider's largest instance
   * type (checked at synth). On Fargate Windows, one of 1024, 2048, 4096.
   * @default - 256 (1024 on Fargate Windows)
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB, shared by the main container and its sidecars.
   * The main container's hard limit is this minus the sidecars' limits. On Fargate it must be a valid
   * pair with `cpu`; on EC2 capacity, at most the memory of the capacity provider's largest instance
   * type (checked at synth).
   * @default - the smallest memory Fargate accepts with `cpu` (512 with the default cpu of 256, 2048 with 1024; 512 on EC2 with a cpu value Fargate does not take)
   */
  readonly memoryLimitMiB?: number;

  /**
   * Port the main container listens on.
   * @default - no port mapping (8080 in `InferenceService`)
   */
  readonly containerPort?: number;
}
