import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Capacity, WorkloadCluster } from '../src';
import { ScheduledTask } from '../src/scheduled-task/scheduled-task';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'ScheduledTaskInteg');
const cluster = new WorkloadCluster(stack, 'Cluster');
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
});

new IntegTest(app, 'ScheduledTaskTest', { testCases: [stack] });
