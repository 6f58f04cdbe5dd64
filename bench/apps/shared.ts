/** Image every benchmark workload runs (never pulled: synthesis only). */
export const IMAGE = 'public.ecr.aws/docker/library/busybox:stable';

/** Construct ids of the five workloads, identical in both apps so results line up. */
export const WORKLOADS = ['QueueWorker', 'AlbInference', 'NlbService', 'DaemonAgent', 'NightlyTask'] as const;
