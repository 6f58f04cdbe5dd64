import { Annotations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Every warning this library emits, by name. The id is what `cdk synth` prints after
 * "Acknowledge with", and what both ways of acknowledging take:
 * `Validations.of(x).acknowledge({ id, reason })` and `Annotations.of(x).acknowledgeWarning(id, reason)`.
 *
 * The CDK CLI prints an annotation's id with the `Annotation::` prefix. aws-cdk-lib 2.257 matches
 * acknowledgements by the exact id, so a warning added under a bare id cannot be acknowledged
 * with the printed one: the prefix is part of each id here, so that the printed id works as is.
 */
export const WarningId = {
  BATCH_QUEUE_WORKER_IMPORTED_BUCKET: 'Annotation::cdk-ecs-workloads:batch-queue-worker-imported-bucket',
  BATCH_QUEUE_WORKER_IMPORTED_QUEUE: 'Annotation::cdk-ecs-workloads:batch-queue-worker-imported-queue',
  BATCH_QUEUE_WORKER_NO_DEAD_LETTER_QUEUE: 'Annotation::cdk-ecs-workloads:batch-queue-worker-no-dead-letter-queue',
  DAEMON_AGENT_CPU: 'Annotation::cdk-ecs-workloads:daemon-agent-cpu',
  DAEMON_AGENT_DOCKER_SOCKET: 'Annotation::cdk-ecs-workloads:daemon-agent-docker-socket',
  DAEMON_AGENT_GPU_CAPACITY: 'Annotation::cdk-ecs-workloads:daemon-agent-gpu-capacity',
  DAEMON_AGENT_HOST_NETWORK: 'Annotation::cdk-ecs-workloads:daemon-agent-host-network',
  DAEMON_AGENT_MEMORY: 'Annotation::cdk-ecs-workloads:daemon-agent-memory',
  DAEMON_AGENT_PRIVILEGED: 'Annotation::cdk-ecs-workloads:daemon-agent-privileged',
  DAEMON_AGENT_SHARED_INSTANCE_TYPES: 'Annotation::cdk-ecs-workloads:daemon-agent-shared-instance-types',
  INFERENCE_SERVICE_ROLLOUT_HEADROOM: 'Annotation::cdk-ecs-workloads:inference-service-rollout-headroom',
  SCHEDULED_TASK_IN_PAST: 'Annotation::cdk-ecs-workloads:scheduled-task-in-past',
  SCHEDULED_TASK_OVERLAP: 'Annotation::cdk-ecs-workloads:scheduled-task-overlap',
  WORKLOAD_VOLUME_EBS_ABOVE_ECS_DOCUMENTED: 'Annotation::cdk-ecs-workloads:workload-volume-ebs-above-ecs-documented',
} as const;

/** One of the ids in `WarningId`. */
export type WarningId = typeof WarningId[keyof typeof WarningId];

/** Adds one of this library's warnings to `scope` (acknowledgeable with its id, see `WarningId`). */
export function warn(scope: IConstruct, id: WarningId, message: string): void {
  Annotations.of(scope).addWarningV2(id, message);
}
