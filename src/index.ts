// The package's public API, exported by name: the internal helpers of src/core stay out of the entry point.
export { Capacity, CapacityKind } from './core/capacity';
export type { Ec2CapacityOptions, FargateSpotOptions, FargateWindowsOptions, ManagedInstancesCapacityOptions } from './core/capacity';
export { WorkloadCluster } from './core/cluster';
export type { AsgCapacityOptions, WorkloadAsgCapacity, WorkloadClusterProps } from './core/cluster';
export type { WindowsDirectoryJoinOptions } from './core/domain-join';
export type { ManagedInstancesOptions, WorkloadManagedInstances } from './core/managed-instances';
export { WorkloadDashboard } from './core/dashboard';
export type { WorkloadDashboardProps } from './core/dashboard';
export type { SidecarContainerOptions, WorkloadContainerBaseOptions, WorkloadContainerOptions } from './core/container-options';
export type { PlacementOptions } from './core/service';
export { WorkloadVolume, WorkloadVolumeKind } from './core/volumes';
export type { BindMountVolumeOptions, DockerVolumeOptions, EfsVolumeOptions, FsxWindowsVolumeOptions, S3FilesVolumeOptions } from './core/volumes';
export type { EbsVolumeOptions } from './core/ebs-volumes';
export { S3FilesFileSystem } from './core/s3-files';
export type { S3FilesFileSystemProps } from './core/s3-files';
export { FsxWindowsDeploymentType, FsxWindowsFileSystem } from './core/fsx-windows';
export type { FsxWindowsFileSystemProps } from './core/fsx-windows';
export { BatchQueueWorker } from './batch-queue-worker/batch-queue-worker';
export type { BatchQueueWorkerProps } from './batch-queue-worker/batch-queue-worker';
export { InferenceService, LoadBalancerType } from './inference-service/inference-service';
export type { InferenceModelStoreOptions, InferenceServiceConnectOptions, InferenceServiceProps } from './inference-service/inference-service';
export { DaemonAgent } from './daemon-agent/daemon-agent';
export type { DaemonAgentProps, HostMount } from './daemon-agent/daemon-agent';
export { ManagedDaemonAgent } from './daemon-agent/managed-daemon';
export type { ManagedDaemonAgentProps } from './daemon-agent/managed-daemon';
export { ScheduledTask } from './scheduled-task/scheduled-task';
export type { ScheduledTaskProps } from './scheduled-task/scheduled-task';
export { RolloutStrategy } from './inference-service/rollout';
export type {
  BlueGreenRolloutOptions, CanaryRolloutOptions, InferenceDeploymentAlarmOptions, LinearRolloutOptions, TrafficShiftRolloutOptions,
} from './inference-service/rollout';
export { PredictiveScalingMetric } from './inference-service/scaling';
export type { PredictiveScalingOptions } from './inference-service/scaling';
