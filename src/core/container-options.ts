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
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * User (name or UID, optionally `:group`) the sidecar runs as.
   * @default '1000'
   */
  readonly user?: string;
}

/**
 * Container settings shared by every workload construct.
 */
export interface WorkloadContainerOptions {
  /** Image of the main container. */
  readonly image: ecs.ContainerImage;

  /**
   * Task CPU units (1024 = 1 vCPU). On Fargate, one of 256, 512, 1024, 2048, 4096, 8192, 16384.
   * @default 256
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB; the main container's hard limit is this minus the sidecars' limits.
   * On Fargate it must be a valid pair with `cpu`.
   * @default - the smallest memory Fargate accepts with `cpu` (512 with the default cpu of 256, 2048 with 1024)
   */
  readonly memoryLimitMiB?: number;

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
   * Environment variables of the main container (the construct adds its own, documented per construct).
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
   * Port the main container listens on.
   * @default - no port mapping (workers), 8080 for services
   */
  readonly containerPort?: number;

  /**
   * Container health check of the main container.
   * @default - none
   */
  readonly healthCheck?: ecs.HealthCheck;

  /**
   * Time between SIGTERM and SIGKILL when the task stops (2 minutes at most, on Fargate and EC2).
   * @default Duration.seconds(30)
   */
  readonly stopTimeout?: Duration;

  /**
   * CPU architecture of the image. Graviton (ARM64) is about 20 % cheaper per vCPU-hour on Fargate.
   * @default ecs.CpuArchitecture.ARM64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Number of GPUs reserved for the main container (EC2 GPU capacity only).
   * @default 0
   */
  readonly gpuCount?: number;

  /**
   * Whether the main container's root filesystem is read-only. Mount a volume where it must write.
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * User (name or UID, optionally `:group`) the main container runs as. Use `'root'` only when the
   * image truly needs it.
   * @default '1000'
   */
  readonly user?: string;

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
