import * as fs from 'fs';
import * as path from 'path';
import { Annotations as CoreAnnotations, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { BatchQueueWorker, DaemonAgent, InferenceService, ScheduledTask, WorkloadCluster, WorkloadVolume } from '../../src';
import { WarningId } from '../../src/core/warnings';
import { newStack } from '../compliance';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');

/**
 * The id the CDK CLI (aws-cdk 2.1148) prints after "Acknowledge with" for a warning annotation:
 * the `[ack: ...]` tag of the message, with the `Annotation::` prefix when the tag has no prefix of its
 * own (`annotation::` and `Construct-Annotations::` are printed as `Annotation::` too). Mirrors the
 * CLI's `splitDescriptionAndId` and `normalizeValidationId` (cloud-assembly-api, validation/parsing.ts).
 */
function cliHint(message: string): string {
  const tag = /\[ack: ([^\]]+)\]/.exec(message);
  if (!tag) throw new Error(`no [ack: ...] tag in: ${message}`);
  const [prefix, rule] = tag[1].includes('::') ? tag[1].split('::') : [undefined, tag[1]];
  if (prefix === undefined || prefix === 'annotation' || prefix === 'Construct-Annotations') return `Annotation::${rule}`;
  return `${prefix}::${rule}`;
}

function warningsOf(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map(w => String(w.entry.data));
}

/** Builds a stack whose construct `Subject` emits the warning; returns the construct. */
type Trigger = (stack: Stack) => IConstruct;

function cluster(stack: Stack): WorkloadCluster {
  return new WorkloadCluster(stack, 'Cluster');
}

function daemon(stack: Stack, props: Partial<ConstructorParameters<typeof DaemonAgent>[2]> = {}, types = ['m7g.large', 'c7g.large']): DaemonAgent {
  const c = cluster(stack);
  c.addAsgCapacity('Arm', {
    instanceType: new ec2.InstanceType(types[0]),
    additionalInstanceTypes: types.slice(1).map(t => new ec2.InstanceType(t)),
    maxCapacity: 2,
  });
  return new DaemonAgent(stack, 'Subject', { cluster: c, image, memoryReservationMiB: 64, ...props });
}

const TRIGGERS: Record<WarningId, Trigger> = {
  [WarningId.BATCH_QUEUE_WORKER_IMPORTED_BUCKET]: stack => new BatchQueueWorker(stack, 'Subject', {
    cluster: cluster(stack), image, maxTasks: 2, inputBucket: s3.Bucket.fromBucketName(stack, 'Imported', 'my-uploads'),
  }),
  [WarningId.BATCH_QUEUE_WORKER_IMPORTED_QUEUE]: stack => new BatchQueueWorker(stack, 'Subject', {
    cluster: cluster(stack), image, maxTasks: 2, queue: sqs.Queue.fromQueueArn(stack, 'Q', 'arn:aws:sqs:us-east-1:123456789012:jobs'),
  }),
  [WarningId.BATCH_QUEUE_WORKER_NO_DEAD_LETTER_QUEUE]: stack => new BatchQueueWorker(stack, 'Subject', {
    cluster: cluster(stack), image, maxTasks: 2, queue: new sqs.Queue(stack, 'Q', { visibilityTimeout: Duration.minutes(20) }),
  }),
  [WarningId.DAEMON_AGENT_CPU]: stack => daemon(stack, { cpu: 3072 }, ['m7g.large', 'm7g.xlarge']),
  [WarningId.DAEMON_AGENT_DOCKER_SOCKET]: stack => daemon(stack, { hostMounts: [{ hostPath: '/var/run/docker.sock', containerPath: '/var/run/docker.sock' }] }),
  [WarningId.DAEMON_AGENT_GPU_CAPACITY]: stack => {
    const c = cluster(stack);
    c.addAsgCapacity('Gpu', { instanceType: new ec2.InstanceType('g5.xlarge'), gpu: true, maxCapacity: 1 });
    return new DaemonAgent(stack, 'Subject', { cluster: c, image, memoryReservationMiB: 64 });
  },
  [WarningId.DAEMON_AGENT_HOST_NETWORK]: stack => daemon(stack, { networkMode: ecs.NetworkMode.HOST }),
  [WarningId.DAEMON_AGENT_MEMORY]: stack => daemon(stack, { memoryReservationMiB: 5000 }),
  [WarningId.DAEMON_AGENT_PRIVILEGED]: stack => daemon(stack, { privileged: true }),
  [WarningId.DAEMON_AGENT_SHARED_INSTANCE_TYPES]: stack => {
    const c = cluster(stack);
    const arm = c.addAsgCapacity('Arm', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
    c.addAsgCapacity('Spot', { instanceType: new ec2.InstanceType('m7g.large'), spot: true, maxCapacity: 2 });
    return new DaemonAgent(stack, 'Subject', { cluster: c, image, memoryReservationMiB: 64, capacityProvider: arm });
  },
  [WarningId.INFERENCE_SERVICE_ROLLOUT_HEADROOM]: stack => {
    const c = cluster(stack);
    c.addAsgCapacity('Gpu', { instanceType: new ec2.InstanceType('g5.xlarge'), gpu: true, maxCapacity: 2 });
    // One GPU task per instance: 2 slots hold a rollout at 1 task, not one at 4.
    return new InferenceService(stack, 'Subject', { cluster: c, image, gpuCount: 1, cpu: 2048, memoryLimitMiB: 8192, maxTasks: 4 });
  },
  [WarningId.SCHEDULED_TASK_IN_PAST]: stack => new ScheduledTask(stack, 'Subject', {
    cluster: cluster(stack), image, schedule: scheduler.ScheduleExpression.at(new Date(Date.UTC(2020, 0, 1))),
  }),
  [WarningId.SCHEDULED_TASK_OVERLAP]: stack => new ScheduledTask(stack, 'Subject', {
    cluster: cluster(stack), image, schedule: scheduler.ScheduleExpression.rate(Duration.minutes(30)), timeout: Duration.hours(1),
  }),
  [WarningId.WORKLOAD_VOLUME_EBS_ABOVE_ECS_DOCUMENTED]: stack => new BatchQueueWorker(stack, 'Subject', {
    cluster: cluster(stack), image, maxTasks: 2, volumes: [WorkloadVolume.ebs({ containerPath: '/scratch', sizeGiB: 100, iops: 20000, throughputMiBps: 1200 })],
  }),
};

const IDS = Object.values(WarningId);

describe('warning ids', () => {
  test('follow one scheme: Annotation::cdk-ecs-workloads:<construct>-<what>, in kebab case', () => {
    for (const id of IDS) {
      expect(id).toMatch(/^Annotation::cdk-ecs-workloads:(batch-queue-worker|daemon-agent|inference-service|scheduled-task|workload-cluster|workload-volume)(-[a-z0-9]+)+$/);
    }
    expect(new Set(IDS).size).toBe(IDS.length);
  });

  test('the README\'s warnings table has one row for each id, and no other', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf-8');
    const doc = readme.split('\n## Warnings and how to acknowledge them\n')[1].split('\n## ')[0];
    const rows = [...doc.matchAll(/^\| `(Annotation::cdk-ecs-workloads:[^`]+)` \|/gm)].map(m => m[1]);
    expect(rows.sort()).toEqual([...IDS].sort());
  });
});

describe.each(IDS)('%s', id => {
  const trigger = TRIGGERS[id];

  test('fires, tagged with its id, and the CLI prints that id as the acknowledgement', () => {
    const stack = newStack();
    trigger(stack);
    const mine = warningsOf(stack).filter(w => w.includes(`[ack: ${id}]`));
    expect(mine).toHaveLength(1);
    expect(cliHint(mine[0])).toBe(id);
  });

  test('is gone when acknowledged as the CLI says, with Validations.of(x).acknowledge', () => {
    const stack = newStack();
    const subject = trigger(stack);
    Validations.of(subject).acknowledge({ id, reason: 'Reviewed.' });
    expect(warningsOf(stack).filter(w => w.includes(id))).toEqual([]);
  });

  test('is gone when acknowledged with Annotations.of(x).acknowledgeWarning', () => {
    const stack = newStack();
    const subject = trigger(stack);
    CoreAnnotations.of(subject).acknowledgeWarning(id, 'Reviewed.');
    expect(warningsOf(stack).filter(w => w.includes(id))).toEqual([]);
  });

  test('is gone when acknowledged on the stack before the construct is created', () => {
    const stack = newStack();
    Validations.of(stack).acknowledge({ id, reason: 'Reviewed for the whole stack.' });
    trigger(stack);
    expect(warningsOf(stack).filter(w => w.includes(id))).toEqual([]);
  });
});
