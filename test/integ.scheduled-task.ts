import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Capacity, WorkloadCluster } from '../src';
import { ScheduledTask } from '../src/scheduled-task/scheduled-task';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'ScheduledTaskInteg');
// Teardown: DESTROY deletes the flow log group and schedules the cluster key for deletion; the
// cluster creates no access log bucket here, so nothing is left behind.
const cluster = new WorkloadCluster(stack, 'Cluster', { removalPolicy: RemovalPolicy.DESTROY });
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');

// Started directly every hour on Fargate Spot; a non-zero exit publishes to the failure topic.
new ScheduledTask(stack, 'Hourly', {
  cluster,
  image,
  command: ['sh', '-c', 'echo hourly run; exit 0'],
  schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
  capacity: Capacity.fargateSpot({ onDemandWeight: 1 }),
  maxRetryAttempts: 10,
  maxEventAge: Duration.minutes(30),
  removalPolicy: RemovalPolicy.DESTROY,
});

// Nightly, run to completion by Step Functions: stopped after 15 minutes, failed runs retried twice.
new ScheduledTask(stack, 'Nightly', {
  cluster,
  image,
  command: ['sh', '-c', 'echo nightly run'],
  schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '30', timeZone: TimeZone.EUROPE_BERLIN }),
  flexibleTimeWindow: Duration.minutes(10),
  timeout: Duration.minutes(15),
  taskRetryAttempts: 2,
  removalPolicy: RemovalPolicy.DESTROY,
});

// A run that always fails, started by the schedule every minute (direct mode): the failure topic
// must tell whoever subscribed.
const alwaysFails = new ScheduledTask(stack, 'AlwaysFails', {
  cluster,
  image,
  command: ['sh', '-c', 'echo failing on purpose; exit 3'],
  schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
  removalPolicy: RemovalPolicy.DESTROY,
});

// The same in run-to-completion mode; its schedule is disabled and the test starts the state machine.
const failsToCompletion = new ScheduledTask(stack, 'FailsToCompletion', {
  cluster,
  image,
  command: ['sh', '-c', 'echo failing on purpose; exit 3'],
  schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
  enabled: false,
  timeout: Duration.minutes(5),
  removalPolicy: RemovalPolicy.DESTROY,
});

/**
 * A queue subscribed to a failure topic, standing in for the operator's inbox: encrypted (SQS-managed
 * keys, so the topic needs no key grant), its policy lets only this topic send (added by the
 * subscription), raw delivery so the body is the alert text itself (EventBridge delivers a text
 * input in double quotes, so the patterns below are not anchored).
 */
function inbox(id: string, topic: sns.ITopic): sqs.Queue {
  const queue = new sqs.Queue(stack, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.hours(1),
    removalPolicy: RemovalPolicy.DESTROY,
  });
  topic.addSubscription(new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true }));
  return queue;
}
const directInbox = inbox('DirectFailures', alwaysFails.failureTopic);
const executionInbox = inbox('ExecutionFailures', failsToCompletion.failureTopic);

const integ = new IntegTest(app, 'ScheduledTaskTest', { testCases: [stack] });
const assertions = integ.assertions;
const wait = { totalTimeout: Duration.minutes(15), interval: Duration.seconds(30), backoffRate: 1 };

// Direct mode: within minutes of deploy the schedule has started a run, the run exited with 3 (so it
// did start: not TaskFailedToStart), and the alert names the stopped task.
assertions.awsApiCall('SQS', 'receiveMessage', {
  QueueUrl: directInbox.queueUrl,
  MaxNumberOfMessages: 1,
  WaitTimeSeconds: 20,
}).expect(ExpectedResult.objectLike({
  Messages: [Match.objectLike({
    Body: Match.stringLikeRegexp('Scheduled task ScheduledTaskInteg/AlwaysFails failed at .+: task arn:aws[a-z-]*:ecs:[^ ]+:task/[^ ]+ stopped \\(stop code EssentialContainerExited'),
  })],
})).waitForAssertions(wait);

// Run-to-completion mode: start an execution; the task fails, the execution fails, and the alert
// names that very execution.
const start = assertions.awsApiCall('StepFunctions', 'startExecution', {
  stateMachineArn: failsToCompletion.stateMachine!.stateMachineArn,
});
const executionAlert = start.next(assertions.awsApiCall('SQS', 'receiveMessage', {
  QueueUrl: executionInbox.queueUrl,
  MaxNumberOfMessages: 1,
  WaitTimeSeconds: 20,
}).expect(ExpectedResult.objectLike({
  Messages: [Match.objectLike({
    Body: Match.stringLikeRegexp(`Scheduled task ScheduledTaskInteg/FailsToCompletion failed at .+: execution ${start.getAttString('executionArn')} ended FAILED `),
  })],
})).waitForAssertions(wait));

// The dead-letter queue alarm reaches the failure topic too: put it into ALARM (its next evaluation
// puts it back) and expect CloudWatch's notification in the same inbox.
const alarmName = failsToCompletion.deadLetterQueueAlarm.alarmName;
executionAlert.next(assertions.awsApiCall('CloudWatch', 'setAlarmState', {
  AlarmName: alarmName,
  StateValue: 'ALARM',
  StateReason: 'Integration test: the alarm must reach the failure topic',
})).next(assertions.awsApiCall('SQS', 'receiveMessage', {
  QueueUrl: executionInbox.queueUrl,
  MaxNumberOfMessages: 1,
  WaitTimeSeconds: 20,
}).expect(ExpectedResult.objectLike({
  Messages: [Match.objectLike({ Body: Match.stringLikeRegexp(`(?=.*"AlarmName" *: *"${alarmName}")(?=.*"NewStateValue" *: *"ALARM")`) })],
})).waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(20), backoffRate: 1 }));
