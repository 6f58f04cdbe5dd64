import { AwsApiCall, ExpectedResult, IApiCall, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { WorkloadCluster } from '../src';
import { BatchQueueWorker } from '../src/batch-queue-worker/batch-queue-worker';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'BatchQueueWorkerInteg');
// Teardown: DESTROY deletes the flow log group and schedules the cluster key for deletion. The
// access log bucket stays (set back to RETAIN below): S3 delivers server access logs late and
// CloudFormation cannot delete a bucket that holds objects. Empty and delete it by hand.
const cluster = new WorkloadCluster(stack, 'Cluster', { removalPolicy: RemovalPolicy.DESTROY });
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');

const JOB_KEY = 'input/integ-job.json';
const RESULT_KEY = 'output/integ-job.json';
// Uploaded once the service has scaled in to zero again.
const WAKE_KEY = 'input/integ-wake.json';
const WAKE_RESULT_KEY = 'output/integ-wake.json';

// A real job: receive one message, read the object it names, write a result under output/ of the
// same bucket, delete the message, wait for the next one. Any failing step exits the container, the
// message comes back after the visibility timeout, and after 3 receives lands in the dead-letter queue.
const JOB_SCRIPT = [
  'set -eu',
  'while true; do',
  '  msg=$(aws sqs receive-message --queue-url "$QUEUE_URL" --max-number-of-messages 1 --wait-time-seconds 20 --no-cli-pager --query "Messages[0].[ReceiptHandle,Body]" --output text)',
  '  if [ -z "$msg" ] || [ "$msg" = "None" ]; then continue; fi',
  '  handle=$(printf "%s\\n" "$msg" | cut -f1)',
  '  body=$(printf "%s\\n" "$msg" | cut -f2-)',
  '  key=$(printf "%s\\n" "$body" | sed -n \'s/.*"key" *: *"\\([^"]*\\)".*/\\1/p\')',
  '  [ -n "$key" ]',
  '  bytes=$(aws s3 cp "s3://$INPUT_BUCKET/$key" - | wc -c)',
  '  printf \'{"input":"%s","bytes":%s}\\n\' "$key" "$bytes" | aws s3 cp - "s3://$OUTPUT_BUCKET/$OUTPUT_PREFIX${key##*/}"',
  '  aws sqs delete-message --no-cli-pager --queue-url "$QUEUE_URL" --receipt-handle "$handle"',
  '  echo "processed $key"',
  'done',
].join('\n');

// S3 → EventBridge → SQS → ECS, scaling from zero, results under output/ of the same bucket.
const worker = new BatchQueueWorker(stack, 'Worker', {
  cluster,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-cli/aws-cli:latest'),
  entryPoint: ['sh', '-c'],
  command: [JOB_SCRIPT],
  environment: { AWS_DEFAULT_REGION: Aws.REGION },
  inputPrefix: 'input/',
  inputSuffix: '.json',
  outputPrefix: 'output/',
  jobTimeout: Duration.minutes(5),
  // Short, so that the scale-in to zero is proven within the test's time.
  scaleInIdlePeriod: Duration.minutes(3),
  maxTasks: 3,
  // The assertions below delete every object version they create, so the bucket is empty at teardown.
  removalPolicy: RemovalPolicy.DESTROY,
});
cluster.accessLogsBucket.applyRemovalPolicy(RemovalPolicy.RETAIN);

// The operator's inbox for the worker's alarms: a queue subscribed to the alarm topic (SQS-managed
// encryption, so the topic needs no key grant; the subscription adds a queue policy for this topic
// only; raw delivery, so the body is CloudWatch's alarm message itself).
const alarmInbox = new sqs.Queue(stack, 'AlarmInbox', {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  retentionPeriod: Duration.hours(1),
  removalPolicy: RemovalPolicy.DESTROY,
});
worker.alarmTopic.addSubscription(new subscriptions.SqsSubscription(alarmInbox, { rawMessageDelivery: true }));

// Queue-only mode: another producer fills the queue. (sqs.Queue is deleted with the stack by default.)
const deadLetters = new sqs.Queue(stack, 'JobsDeadLetters', { enforceSSL: true, retentionPeriod: Duration.days(14) });
const jobs = new sqs.Queue(stack, 'Jobs', {
  enforceSSL: true,
  visibilityTimeout: Duration.minutes(10),
  deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
});
const queueWorker = new BatchQueueWorker(stack, 'QueueWorker', {
  cluster,
  image,
  command: ['sh', '-c', 'echo "polling $QUEUE_URL"; sleep 3600'],
  queue: jobs,
  jobTimeout: Duration.minutes(5),
  maxTasks: 2,
  removalPolicy: RemovalPolicy.DESTROY,
});
// The producer announces each job on the default event bus; the announcement wakes the worker.
const jobsPublished = new events.Rule(stack, 'JobsPublished', { eventPattern: { source: ['integ.jobs'] } });
queueWorker.wakeOn(jobsPublished);

const integ = new IntegTest(app, 'BatchQueueWorkerTest', { testCases: [stack] });
const assertions = integ.assertions;
const bucket = worker.inputBucket!;
const keyArn = cluster.encryptionKey.keyArn;
const serviceId = `service/${cluster.cluster.clusterName}/${worker.service.serviceName}`;

/** Grants a call's Lambda (and its waiter's) what the API name alone does not tell integ-tests. */
function allow(call: AwsApiCall, actions: string[], resources: string[]): void {
  const statement = { Effect: 'Allow', Action: actions, Resource: resources };
  call.provider.addToRolePolicy(statement);
  call.waiterProvider?.addToRolePolicy(statement);
}

// How a wake-up is told apart from the alarm path: the alarms change the desired count only through
// Application Auto Scaling, which records each change as a scaling activity; the wake-up's
// ecs:UpdateService is none. So each check starts from an idle service (the latest activity is a
// scale-in to 0 and no task is left; CloudFormation creates the service with one task), makes a job
// known, expects a task within 2 minutes (the SQS metrics and 60-second alarms take longer), and then
// expects the same latest activity: Application Auto Scaling neither started the task nor undid the
// wake-up. The state machine's WakeUps metric is looked up with ListMetrics: metric statistics need
// absolute start and end times, which assertions synthesized once cannot give, and the metric exists
// for this deployment's service only once the state machine raised its desired count from 0.

/** The latest scaling activity of `service` (one, so the answer stays within the 4 KB limit). */
function latestScalingActivity(service: ecs.BaseService): AwsApiCall {
  return assertions.awsApiCall('ApplicationAutoScaling', 'describeScalingActivities', {
    ServiceNamespace: 'ecs',
    ResourceId: `service/${cluster.cluster.clusterName}/${service.serviceName}`,
    ScalableDimension: 'ecs:service:DesiredCount',
    MaxResults: 1,
  }) as AwsApiCall;
}

/** Tasks of `service` that run or start (desired status RUNNING), expected to match `taskArns`. */
function tasks(service: ecs.BaseService, taskArns: unknown, totalTimeout: Duration): IApiCall {
  return assertions.awsApiCall('ECS', 'listTasks', {
    cluster: cluster.cluster.clusterName,
    serviceName: service.serviceName,
    desiredStatus: 'RUNNING',
  }).expect(ExpectedResult.objectLike({ taskArns })).waitForAssertions({ totalTimeout, interval: Duration.seconds(10), backoffRate: 1 });
}

/** Waits until `service` has scaled in to 0 and has no task left; gives the id of that scale-in. */
function whenIdle(service: ecs.BaseService, after?: IApiCall): { idle: IApiCall; scaleInId: string } {
  const scaledInToZero = latestScalingActivity(service)
    .assertAtPath('ScalingActivities.0.Description', ExpectedResult.stringLikeRegexp('^Setting desired count to 0\\.'))
    .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(1), backoffRate: 1 });
  const scaleInId = scaledInToZero.getAttString('ScalingActivities.0.ActivityId');
  const idle = (after ? after.next(scaledInToZero) : scaledInToZero).next(tasks(service, [], Duration.minutes(5)));
  return { idle, scaleInId };
}

/** After `announced`, a task of `service` within 2 minutes, and still no scaling activity after `scaleInId`. */
function wokenBy(announced: IApiCall, service: ecs.BaseService, scaleInId: string): IApiCall {
  return announced
    .next(tasks(service, Match.arrayWith([Match.stringLikeRegexp('^arn:')]), Duration.minutes(2)))
    .next(latestScalingActivity(service).expect(ExpectedResult.objectLike({
      ScalingActivities: [Match.objectLike({ ActivityId: scaleInId })],
    })));
}

/** Waits for the WakeUps metric of `target` to be listed (ListMetrics lists a new metric within 15 minutes). */
function wakeUpRecorded(after: IApiCall, target: BatchQueueWorker): IApiCall {
  const metric = target.metricWakeUps();
  return after.next(assertions.awsApiCall('CloudWatch', 'listMetrics', {
    Namespace: metric.namespace,
    MetricName: metric.metricName,
    Dimensions: Object.entries(metric.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
    RecentlyActive: 'PT3H',
  }).expect(ExpectedResult.objectLike({
    Metrics: [Match.objectLike({ Namespace: metric.namespace, MetricName: metric.metricName })],
  })).waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.minutes(1), backoffRate: 1 }));
}

// 0. Alerts reach the operator: put the dead-letter queue alarm into ALARM (its next evaluation puts it
//    back) and expect CloudWatch's notification on the alarm topic, delivered to the inbox.
const alarmName = worker.deadLetterQueueAlarm!.alarmName;
assertions.awsApiCall('CloudWatch', 'setAlarmState', {
  AlarmName: alarmName,
  StateValue: 'ALARM',
  StateReason: 'Integration test: the alarm must reach the alarm topic',
}).next(assertions.awsApiCall('SQS', 'receiveMessage', {
  QueueUrl: alarmInbox.queueUrl,
  MaxNumberOfMessages: 1,
  WaitTimeSeconds: 20,
}).expect(ExpectedResult.objectLike({
  Messages: [Match.objectLike({ Body: Match.stringLikeRegexp(`(?=.*"AlarmName" *: *"${alarmName}")(?=.*"NewStateValue" *: *"ALARM")`) })],
})).waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(20), backoffRate: 1 }));

// 1. Once the worker is idle, a job arrives: an object under input/, encrypted with the cluster key as
//    the bucket requires.
const firstIdle = whenIdle(worker.service);
const upload = firstIdle.idle.next(assertions.awsApiCall('S3', 'putObject', {
  Bucket: bucket.bucketName,
  Key: JOB_KEY,
  Body: JSON.stringify({ job: 'integ', size: 42 }),
  ContentType: 'application/json',
  ServerSideEncryption: 'aws:kms',
  SSEKMSKeyId: keyArn,
  BucketKeyEnabled: true,
}));
allow(upload as AwsApiCall, ['s3:PutObject'], [bucket.arnForObjects(JOB_KEY)]);
allow(upload as AwsApiCall, ['kms:GenerateDataKey', 'kms:Decrypt'], [keyArn]);

// 1a. The upload wakes the service (a task within 2 minutes, not started by the alarms), and the
//     state machine recorded the wake-up.
const firstWakeUp = wokenBy(upload, worker.service, firstIdle.scaleInId);
wakeUpRecorded(firstWakeUp, worker);

// 2. The task processes the message and writes the result (encrypted with the cluster key by the
//    bucket default).
const result = firstWakeUp.next(assertions.awsApiCall('S3', 'getObject', {
  Bucket: bucket.bucketName,
  Key: RESULT_KEY,
}).expect(ExpectedResult.objectLike({
  Body: Match.stringLikeRegexp(`"input":"${JOB_KEY}"`),
  ServerSideEncryption: 'aws:kms',
  SSEKMSKeyId: keyArn,
})).waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30), backoffRate: 1 }));
allow(result as AwsApiCall, ['s3:GetObject'], [bucket.arnForObjects(RESULT_KEY)]);
allow(result as AwsApiCall, ['kms:Decrypt'], [keyArn]);

// Clean up as soon as the result exists (not at the end, so that a later failing check still leaves
// a bucket CloudFormation can delete): delete the object versions the test created for good (the
// bucket is versioned). The input object is read by then; deleting it starts no job.
const resultVersion = result.next(assertions.awsApiCall('S3', 'headObject', { Bucket: bucket.bucketName, Key: RESULT_KEY }));
allow(resultVersion as AwsApiCall, ['s3:GetObject'], [bucket.arnForObjects(RESULT_KEY)]);
for (const [key, versioned] of [[JOB_KEY, upload], [RESULT_KEY, resultVersion]] as const) {
  const remove = resultVersion.next(assertions.awsApiCall('S3', 'deleteObject', {
    Bucket: bucket.bucketName,
    Key: key,
    VersionId: versioned.getAttString('VersionId'),
  }));
  allow(remove as AwsApiCall, ['s3:DeleteObject', 's3:DeleteObjectVersion'], [bucket.arnForObjects(key)]);
}

// 3. The queue drains (the task deleted the message) and nothing went to the dead-letter queue.
const queueCounts = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'];
const drained = result.next(assertions.awsApiCall('SQS', 'getQueueAttributes', {
  QueueUrl: worker.queue.queueUrl,
  AttributeNames: queueCounts,
}).expect(ExpectedResult.objectLike({
  Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
})).waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(30), backoffRate: 1 }));
const noDeadLetters = drained.next(assertions.awsApiCall('SQS', 'getQueueAttributes', {
  QueueUrl: worker.deadLetterQueue!.queueUrl,
  AttributeNames: queueCounts,
}).expect(ExpectedResult.objectLike({
  Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
})));

// 4. The idle scale-in sets the desired count back to 0 (the latest scaling activity says so, and it
//    is not the scale-in before the upload: the wake-up records no activity) ...
//    (ECS DescribeServices is not used: its events list makes the answer longer than the 4 KB a
//    custom resource may return.)
const scaledIn = noDeadLetters.next(assertions.awsApiCall('ApplicationAutoScaling', 'describeScalingActivities', {
  ServiceNamespace: 'ecs',
  ResourceId: serviceId,
  ScalableDimension: 'ecs:service:DesiredCount',
  MaxResults: 1,
}).expect(ExpectedResult.objectLike({
  ScalingActivities: [Match.objectLike({
    ActivityId: Match.stringLikeRegexp(`^(?!${firstIdle.scaleInId}$)`),
    Description: Match.stringLikeRegexp('Setting desired count to 0\\.'),
    StatusCode: 'Successful',
  })],
})).waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(1), backoffRate: 1 }));

// 5. ... and no task of the service is left running or starting.
const stopped = scaledIn.next(assertions.awsApiCall('ECS', 'listTasks', {
  cluster: cluster.cluster.clusterName,
  serviceName: worker.service.serviceName,
  desiredStatus: 'RUNNING',
}).expect(ExpectedResult.objectLike({
  taskArns: [],
})).waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(30), backoffRate: 1 }));

// 6. The idle worker wakes: a second upload once the service is back at 0 starts a task within 2
//    minutes, and the latest scaling activity is still that scale-in (so the idle scale-in did not undo
//    the wake-up before the check either).
const secondIdle = whenIdle(worker.service, stopped);
const secondUpload = secondIdle.idle.next(assertions.awsApiCall('S3', 'putObject', {
  Bucket: bucket.bucketName,
  Key: WAKE_KEY,
  Body: JSON.stringify({ job: 'integ-wake', size: 7 }),
  ContentType: 'application/json',
  ServerSideEncryption: 'aws:kms',
  SSEKMSKeyId: keyArn,
  BucketKeyEnabled: true,
}));
allow(secondUpload as AwsApiCall, ['s3:PutObject'], [bucket.arnForObjects(WAKE_KEY)]);
allow(secondUpload as AwsApiCall, ['kms:GenerateDataKey', 'kms:Decrypt'], [keyArn]);
const secondWakeUp = wokenBy(secondUpload, worker.service, secondIdle.scaleInId);

// The second job completes too; then its object versions are deleted like the first job's.
const secondResult = secondWakeUp.next(assertions.awsApiCall('S3', 'getObject', {
  Bucket: bucket.bucketName,
  Key: WAKE_RESULT_KEY,
}).expect(ExpectedResult.objectLike({
  Body: Match.stringLikeRegexp(`"input":"${WAKE_KEY}"`),
})).waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30), backoffRate: 1 }));
allow(secondResult as AwsApiCall, ['s3:GetObject'], [bucket.arnForObjects(WAKE_RESULT_KEY)]);
allow(secondResult as AwsApiCall, ['kms:Decrypt'], [keyArn]);
const secondResultVersion = secondResult.next(assertions.awsApiCall('S3', 'headObject', { Bucket: bucket.bucketName, Key: WAKE_RESULT_KEY }));
allow(secondResultVersion as AwsApiCall, ['s3:GetObject'], [bucket.arnForObjects(WAKE_RESULT_KEY)]);
for (const [key, versioned] of [[WAKE_KEY, secondUpload], [WAKE_RESULT_KEY, secondResultVersion]] as const) {
  const remove = secondResultVersion.next(assertions.awsApiCall('S3', 'deleteObject', {
    Bucket: bucket.bucketName,
    Key: key,
    VersionId: versioned.getAttString('VersionId'),
  }));
  allow(remove as AwsApiCall, ['s3:DeleteObject', 's3:DeleteObjectVersion'], [bucket.arnForObjects(key)]);
}

// 7. Queue-only mode: once the worker is idle, the producer sends a job to its queue and announces it
//    on the default bus; the rule given to wakeOn() wakes the worker the same way (its command only
//    sleeps, so the task stays and the message waits).
const queueIdle = whenIdle(queueWorker.service);
const sent = queueIdle.idle.next(assertions.awsApiCall('SQS', 'sendMessage', {
  QueueUrl: jobs.queueUrl,
  MessageBody: JSON.stringify({ job: 'integ-queue' }),
}));
allow(sent as AwsApiCall, ['sqs:SendMessage'], [jobs.queueArn]);
const announced = sent.next(assertions.awsApiCall('EventBridge', 'putEvents', {
  Entries: [{
    Source: 'integ.jobs',
    DetailType: 'Job published',
    Detail: JSON.stringify({ queue: 'jobs' }),
  }],
}).expect(ExpectedResult.objectLike({ FailedEntryCount: 0 })));
allow(announced as AwsApiCall, ['events:PutEvents'], [Stack.of(jobsPublished).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })]);
wakeUpRecorded(wokenBy(announced, queueWorker.service, queueIdle.scaleInId), queueWorker);
