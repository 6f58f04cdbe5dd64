import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { WorkloadCluster } from '../src';
import { BatchQueueWorker } from '../src/batch-queue-worker/batch-queue-worker';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'BatchQueueWorkerInteg');
const cluster = new WorkloadCluster(stack, 'Cluster');
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');

// S3 → EventBridge → SQS → ECS, scaling from zero, results under output/ of the same bucket.
new BatchQueueWorker(stack, 'Worker', {
  cluster,
  image,
  command: ['sh', '-c', 'echo "polling $QUEUE_URL"; sleep 3600'],
  inputPrefix: 'input/',
  inputSuffix: '.json',
  outputPrefix: 'output/',
  jobTimeout: Duration.minutes(5),
  maxTasks: 3,
});

// Queue-only mode: another producer fills the queue.
const deadLetters = new sqs.Queue(stack, 'JobsDeadLetters', { enforceSSL: true, retentionPeriod: Duration.days(14) });
const jobs = new sqs.Queue(stack, 'Jobs', {
  enforceSSL: true,
  visibilityTimeout: Duration.minutes(10),
  deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
});
new BatchQueueWorker(stack, 'QueueWorker', {
  cluster,
  image,
  command: ['sh', '-c', 'echo "polling $QUEUE_URL"; sleep 3600'],
  queue: jobs,
  jobTimeout: Duration.minutes(5),
  maxTasks: 2,
});

new IntegTest(app, 'BatchQueueWorkerTest', { testCases: [stack] });
