/**
 * Every hop of each construct's runtime path is allowed, and each abuse is denied, as AWS would
 * evaluate the deployed policies: over a default stack of each construct and over the example app.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { BatchQueueWorker, DaemonAgent, InferenceService, ScheduledTask, WorkloadCluster } from '../../src';
import { buildBucket } from '../../src/core/resources';
import { newStack } from '../compliance';
import { AUTOSCALING_SERVICE_LINKED_ROLE, Caller, Context, Hop, assumeRoleHop, derivedHops, evaluateHop, kmsHop, otherAccountRole, policyProblems } from './policy';
import { exampleApp, IMAGE, NIGHTLY, workloadStack } from './scenarios';
import { ACCOUNT, AppTemplates, OTHER_ACCOUNT, PARTITION, REGION, appTemplates, logicalIdOf } from './template';

/** One row of a hop table. */
interface Row {
  readonly name: string;
  readonly expected: 'ALLOW' | 'DENY';
  readonly hop: Hop;
  /** Other callers, any of which satisfies an ALLOW row (documented alternatives of one AWS service). */
  readonly alternatives?: Caller[];
}

const allow = (name: string, hop: Hop): Row => ({ name, expected: 'ALLOW', hop });
const deny = (name: string, hop: Hop): Row => ({ name, expected: 'DENY', hop });
const role = (r: IConstruct): Caller => ({ role: r });
const service = (s: string): Caller => ({ service: s });
const own = (sourceArn: string): Context => ({ 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT });
const arn = (svc: string, resource: string, account = ACCOUNT) => `arn:${PARTITION}:${svc}:${REGION}:${account}:${resource}`;
/** A log stream of a log group, from the group's `Arn` attribute (`...:log-group:<name>:*`). */
const logStream = (logGroupArn: string, stream = 'main/main/0123') => logGroupArn.replace(/:\*$/, `:log-stream:${stream}`);
const logGroupArn = (logGroupAttrArn: string) => logGroupAttrArn.replace(/:\*$/, '');
const notHttps = { 'aws:SecureTransport': 'false' };
/** The account that delivers Application Load Balancer access logs in us-east-1 (Regions opened before August 2022). */
const ELB_LOG_ACCOUNT_US_EAST_1 = '127311923021';

/** The documented delivery principals of ALB access logs in us-east-1. */
function albLogDelivery(): Caller[] {
  return [
    { ...otherAccountRole(ELB_LOG_ACCOUNT_US_EAST_1), arn: `arn:${PARTITION}:iam::${ELB_LOG_ACCOUNT_US_EAST_1}:root`, name: `ELB account ${ELB_LOG_ACCOUNT_US_EAST_1}` },
    service('logdelivery.elasticloadbalancing.amazonaws.com'),
  ];
}

function callerName(caller: Caller): string {
  return 'service' in caller ? caller.service : 'arn' in caller ? caller.name ?? caller.arn : String(caller.role);
}

/** Hops of the task role trust (ECS tasks of this account only). */
function ecsTasksTrust(t: AppTemplates, r: IConstruct, what: string): Row[] {
  const roleArn = t.arnOf(r);
  return [
    allow(`ecs-tasks assumes the ${what} for a task of this account`,
      assumeRoleHop(roleArn, service('ecs-tasks.amazonaws.com'), own(arn('ecs', 'task/cluster/0123')))),
    deny(`ecs-tasks assumes the ${what} for a task of another account`,
      assumeRoleHop(roleArn, service('ecs-tasks.amazonaws.com'), { 'aws:SourceArn': arn('ecs', 'task/cluster/0123', OTHER_ACCOUNT), 'aws:SourceAccount': OTHER_ACCOUNT })),
  ];
}

/** CloudWatch Logs encrypts a log group's events with the cluster key. */
function logsKmsHop(t: AppTemplates, key: IConstruct, logGroup: IConstruct): Row {
  return allow('CloudWatch Logs encrypts the log group with the cluster key', kmsHop(service(`logs.${REGION}.amazonaws.com`), 'kms:GenerateDataKey', t.arnOf(key),
    { service: 'logs', resourceArn: logGroupArn(t.arnOf(logGroup)), viaService: false }));
}

function workerHops(t: AppTemplates, worker: BatchQueueWorker, cluster: WorkloadCluster, inputPrefix: string, outputPrefix: string): Row[] {
  const queue = t.arnOf(worker.queue);
  const rule = t.arnOf(worker.rule!);
  const key = t.arnOf(cluster.encryptionKey);
  const topic = t.arnOf(worker.alarmTopic);
  const alarm = t.arnOf(worker.deadLetterQueueAlarm!);
  const bucket = t.arnOf(worker.inputBucket!);
  const taskRole = role(worker.taskDefinition.taskRole);
  const inputBucket = t.of(Stack.of(worker)).properties(logicalIdOf(worker.inputBucket!));
  const accessLogs = `arn:${PARTITION}:s3:::${inputBucket.LoggingConfiguration.DestinationBucketName}`;
  const logPrefix: string = inputBucket.LoggingConfiguration.LogFilePrefix;
  const viaSqs = { service: 'sqs', resourceArn: queue } as const;
  return [
    allow('events sends an object-created event to the queue from its rule', { caller: service('events.amazonaws.com'), action: 'sqs:SendMessage', resource: queue, context: own(rule) }),
    deny('events sends to the queue from another rule', { caller: service('events.amazonaws.com'), action: 'sqs:SendMessage', resource: queue, context: own(arn('events', 'rule/SomeoneElsesRule')) }),
    allow('events encrypts for the queue (GenerateDataKey)', kmsHop(service('events.amazonaws.com'), 'kms:GenerateDataKey', key, { ...viaSqs, viaService: false }, own(rule))),
    allow('events encrypts for the queue (Decrypt)', kmsHop(service('events.amazonaws.com'), 'kms:Decrypt', key, { ...viaSqs, viaService: false }, own(rule))),
    allow('cloudwatch publishes an alarm to the alarm topic [defect 1]', { caller: service('cloudwatch.amazonaws.com'), action: 'sns:Publish', resource: topic, context: own(alarm) }),
    allow('cloudwatch encrypts for the alarm topic', kmsHop(service('cloudwatch.amazonaws.com'), 'kms:GenerateDataKey', key, { service: 'sns', resourceArn: topic, viaService: false }, own(alarm))),
    allow('the task reads an input object', { caller: taskRole, action: 's3:GetObject', resource: `${bucket}/${inputPrefix}x.pdf` }),
    deny('the task reads an object outside the input prefix', { caller: taskRole, action: 's3:GetObject', resource: `${bucket}/private/x.pdf` }),
    allow('the task writes a result under the output prefix', { caller: taskRole, action: 's3:PutObject', resource: `${bucket}/${outputPrefix}x.txt` }),
    deny('the task writes under the input prefix', { caller: taskRole, action: 's3:PutObject', resource: `${bucket}/${inputPrefix}x.txt` }),
    allow('the task decrypts objects with the cluster key', kmsHop(taskRole, 'kms:Decrypt', key, { service: 's3', resourceArn: bucket })),
    allow('the task receives a job', { caller: taskRole, action: 'sqs:ReceiveMessage', resource: queue }),
    allow('the task deletes a finished job', { caller: taskRole, action: 'sqs:DeleteMessage', resource: queue }),
    allow('the task decrypts a job', kmsHop(taskRole, 'kms:Decrypt', key, viaSqs)),
    deny('the task receives a job over plain HTTP', { caller: taskRole, action: 'sqs:ReceiveMessage', resource: queue, context: notHttps }),
    deny('the task reads an input object over plain HTTP', { caller: taskRole, action: 's3:GetObject', resource: `${bucket}/${inputPrefix}x.pdf`, context: notHttps }),
    deny('a role of another account sends a job', { caller: otherAccountRole(), action: 'sqs:SendMessage', resource: queue }),
    deny('a role of another account reads an input object', { caller: otherAccountRole(), action: 's3:GetObject', resource: `${bucket}/${inputPrefix}x.pdf` }),
    ...ecsTasksTrust(t, worker.taskDefinition.taskRole, 'task role'),
    allow('S3 delivers server access logs of the input bucket under its prefix',
      { caller: service('logging.s3.amazonaws.com'), action: 's3:PutObject', resource: `${accessLogs}/${logPrefix}2026-01-01-00-00-00-0123`, context: own(bucket) }),
    deny('S3 delivers access logs of the input bucket under another prefix',
      { caller: service('logging.s3.amazonaws.com'), action: 's3:PutObject', resource: `${accessLogs}/SomeoneElse/2026-01-01-00-00-00-0123`, context: own(bucket) }),
    deny('S3 delivers access logs of another account\'s bucket under the worker\'s prefix',
      { caller: service('logging.s3.amazonaws.com'), action: 's3:PutObject', resource: `${accessLogs}/${logPrefix}x`, context: { 'aws:SourceArn': 'arn:aws:s3:::someone-elses-bucket', 'aws:SourceAccount': OTHER_ACCOUNT } }),
    ...wakeUpHops(t, worker, cluster),
  ];
}

/**
 * The wake-up path of a worker: rule → FIFO gate queue → EventBridge Pipe → Step Functions Express →
 * ECS DescribeServices / UpdateService and CloudWatch PutMetricData; its failure alarm → alarm topic.
 */
function wakeUpHops(t: AppTemplates, worker: BatchQueueWorker, cluster: WorkloadCluster): Row[] {
  const path = worker.node.tryFindChild('WakeUp');
  if (!path || !worker.wakeUpStateMachine || !worker.wakeUpFailureAlarm) {
    throw new Error(`${worker.node.path} has no wake-up path, which a worker with minTasks 0 and an input bucket has by default`);
  }
  const key = t.arnOf(cluster.encryptionKey);
  const rule = t.arnOf(worker.rule!);
  const topic = t.arnOf(worker.alarmTopic);
  const gate = t.arnOf(path.node.findChild('Queue'));
  const eventDlq = t.arnOf(path.node.findChild('EventDeadLetterQueue'));
  const pipeRoleConstruct = path.node.findChild('PipeRole');
  const pipeRoleArn = t.arnOf(pipeRoleConstruct);
  const pipeRole = role(pipeRoleConstruct);
  const pipeId = logicalIdOf(path.node.findChild('Pipe'));
  const pipe = arn('pipes', `pipe/${t.of(Stack.of(worker)).physicalName(pipeId)}`);
  const machine = t.arnOf(worker.wakeUpStateMachine);
  const machineRoleConstruct = path.node.findChild('StateMachineRole');
  const machineRoleArn = t.arnOf(machineRoleConstruct);
  const machineRole = role(machineRoleConstruct);
  const ecsService = t.arnOf(worker.service);
  const clusterArn = t.arnOf(cluster.cluster);
  const otherService = ecsService.replace(/\/[^/]+$/, '/SomeoneElsesService');
  const failureAlarm = t.arnOf(worker.wakeUpFailureAlarm);
  const viaGate = { service: 'sqs', resourceArn: gate } as const;
  const otherAccount = (resource: string) => ({ 'aws:SourceArn': resource, 'aws:SourceAccount': OTHER_ACCOUNT });
  const inCluster = { 'ecs:cluster': clusterArn };
  const events = service('events.amazonaws.com');
  return [
    // The rule (and any rule of this account given to wakeOn) → the gate, and its undeliverable events → the event dead-letter queue.
    allow('events sends a wake-up request to the gate from the worker\'s rule', { caller: events, action: 'sqs:SendMessage', resource: gate, context: own(rule) }),
    allow('events sends a wake-up request to the gate from a producer\'s rule of this account (wakeOn)',
      { caller: events, action: 'sqs:SendMessage', resource: gate, context: own(arn('events', 'rule/ProducerOrders')) }),
    allow('events encrypts for the gate (GenerateDataKey)', kmsHop(events, 'kms:GenerateDataKey', key, { ...viaGate, viaService: false }, own(rule))),
    allow('events encrypts for the gate (Decrypt)', kmsHop(events, 'kms:Decrypt', key, { ...viaGate, viaService: false }, own(rule))),
    allow('events sends an undeliverable event to the wake-up event dead-letter queue', { caller: events, action: 'sqs:SendMessage', resource: eventDlq, context: own(rule) }),
    allow('events encrypts for the wake-up event dead-letter queue',
      kmsHop(events, 'kms:GenerateDataKey', key, { service: 'sqs', resourceArn: eventDlq, viaService: false }, own(rule))),
    deny('events sends to the gate on behalf of another account\'s rule',
      { caller: events, action: 'sqs:SendMessage', resource: gate, context: otherAccount(arn('events', 'rule/SomeoneElsesRule', OTHER_ACCOUNT)) }),
    deny('events sends to the wake-up event dead-letter queue on behalf of another account\'s rule',
      { caller: events, action: 'sqs:SendMessage', resource: eventDlq, context: otherAccount(arn('events', 'rule/SomeoneElsesRule', OTHER_ACCOUNT)) }),
    deny('a role of another account sends to the gate', { caller: otherAccountRole(), action: 'sqs:SendMessage', resource: gate }),
    deny('events sends to the gate over plain HTTP', { caller: events, action: 'sqs:SendMessage', resource: gate, context: { ...own(rule), ...notHttps } }),
    // The pipe: polls the gate and starts the state machine synchronously.
    allow('pipes assumes the pipe role for a pipe of this account', assumeRoleHop(pipeRoleArn, service('pipes.amazonaws.com'), own(pipe))),
    deny('pipes assumes the pipe role for another account\'s pipe',
      assumeRoleHop(pipeRoleArn, service('pipes.amazonaws.com'), otherAccount(arn('pipes', 'pipe/SomeoneElsesPipe', OTHER_ACCOUNT)))),
    allow('the pipe role receives wake-up requests from the gate', { caller: pipeRole, action: 'sqs:ReceiveMessage', resource: gate }),
    allow('the pipe role deletes a handled wake-up request', { caller: pipeRole, action: 'sqs:DeleteMessage', resource: gate }),
    allow('the pipe role reads the gate\'s attributes', { caller: pipeRole, action: 'sqs:GetQueueAttributes', resource: gate }),
    allow('the pipe role decrypts wake-up requests', kmsHop(pipeRole, 'kms:Decrypt', key, viaGate)),
    allow('the pipe role starts a synchronous execution of the state machine', { caller: pipeRole, action: 'states:StartSyncExecution', resource: machine }),
    deny('the pipe role starts an execution of another state machine', { caller: pipeRole, action: 'states:StartSyncExecution', resource: arn('states', 'stateMachine:SomeoneElsesMachine') }),
    deny('the pipe role receives from the worker\'s job queue', { caller: pipeRole, action: 'sqs:ReceiveMessage', resource: t.arnOf(worker.queue) }),
    deny('the pipe role updates the service itself', { caller: pipeRole, action: 'ecs:UpdateService', resource: ecsService, context: inCluster }),
    // The state machine: reads the service, raises its desired count from 0, records the wake-up.
    allow('states assumes the wake-up state machine role for a state machine of this account', assumeRoleHop(machineRoleArn, service('states.amazonaws.com'), own(machine))),
    deny('states assumes the wake-up state machine role for another account',
      assumeRoleHop(machineRoleArn, service('states.amazonaws.com'), otherAccount(arn('states', 'stateMachine:x', OTHER_ACCOUNT)))),
    allow('the state machine role describes the service', { caller: machineRole, action: 'ecs:DescribeServices', resource: ecsService, context: inCluster }),
    allow('the state machine role updates the service\'s desired count', { caller: machineRole, action: 'ecs:UpdateService', resource: ecsService, context: inCluster }),
    deny('the state machine role updates another service of the cluster', { caller: machineRole, action: 'ecs:UpdateService', resource: otherService, context: inCluster }),
    deny('the state machine role deletes the service', { caller: machineRole, action: 'ecs:DeleteService', resource: ecsService, context: inCluster }),
    allow('the state machine role records a wake-up in its namespace',
      { caller: machineRole, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'cdk-ecs-workloads' } }),
    deny('the state machine role puts metric data in another namespace',
      { caller: machineRole, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'AWS/ECS' } }),
    deny('the state machine role starts its own state machine', { caller: machineRole, action: 'states:StartSyncExecution', resource: machine }),
    // The failure alarm.
    allow('cloudwatch publishes the wake-up failure alarm to the alarm topic', { caller: service('cloudwatch.amazonaws.com'), action: 'sns:Publish', resource: topic, context: own(failureAlarm) }),
    allow('cloudwatch encrypts the wake-up failure alarm for the alarm topic',
      kmsHop(service('cloudwatch.amazonaws.com'), 'kms:GenerateDataKey', key, { service: 'sns', resourceArn: topic, viaService: false }, own(failureAlarm))),
  ];
}

function scheduledTaskHops(t: AppTemplates, job: ScheduledTask, cluster: WorkloadCluster): Row[] {
  const schedulerRoleArn = t.arnOf(job.schedulerRole);
  const schedulerRole = role(job.schedulerRole);
  const group = arn('scheduler', 'schedule-group/default');
  const taskDefinition = t.arnOf(job.taskDefinition);
  const taskRole = t.arnOf(job.taskDefinition.taskRole);
  const executionRole = t.arnOf(job.taskDefinition.executionRole!);
  const key = t.arnOf(cluster.encryptionKey);
  const dlq = t.arnOf(job.deadLetterQueue);
  const topic = t.arnOf(job.failureTopic);
  const failureRule = t.arnOf(job.failureRule);
  const alarm = t.arnOf(job.deadLetterQueueAlarm);
  const unrelatedRole = `arn:${PARTITION}:iam::${ACCOUNT}:role/Admin`;
  const rows: Row[] = [
    allow('scheduler assumes the scheduler role for the schedule group of this account',
      assumeRoleHop(schedulerRoleArn, service('scheduler.amazonaws.com'), own(group))),
    deny('scheduler assumes the scheduler role for another account',
      assumeRoleHop(schedulerRoleArn, service('scheduler.amazonaws.com'), { 'aws:SourceArn': arn('scheduler', 'schedule-group/default', OTHER_ACCOUNT), 'aws:SourceAccount': OTHER_ACCOUNT })),
    allow('the scheduler role sends an undeliverable run to the dead-letter queue', { caller: schedulerRole, action: 'sqs:SendMessage', resource: dlq }),
    allow('the scheduler role encrypts for the dead-letter queue', kmsHop(schedulerRole, 'kms:GenerateDataKey', key, { service: 'sqs', resourceArn: dlq })),
    deny('the scheduler role passes an unrelated role', { caller: schedulerRole, action: 'iam:PassRole', resource: unrelatedRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    allow('events publishes a failed run to the failure topic from the failure rule', { caller: service('events.amazonaws.com'), action: 'sns:Publish', resource: topic, context: own(failureRule) }),
    deny('events publishes to the failure topic from another rule [defect 11]', { caller: service('events.amazonaws.com'), action: 'sns:Publish', resource: topic, context: own(arn('events', 'rule/SomeoneElsesRule')) }),
    allow('events encrypts for the failure topic', kmsHop(service('events.amazonaws.com'), 'kms:GenerateDataKey', key, { service: 'sns', resourceArn: topic, viaService: false }, own(failureRule))),
    allow('cloudwatch publishes the dead-letter alarm to the failure topic [defect 1]', { caller: service('cloudwatch.amazonaws.com'), action: 'sns:Publish', resource: topic, context: own(alarm) }),
    allow('cloudwatch encrypts for the failure topic', kmsHop(service('cloudwatch.amazonaws.com'), 'kms:GenerateDataKey', key, { service: 'sns', resourceArn: topic, viaService: false }, own(alarm))),
    ...ecsTasksTrust(t, job.taskDefinition.taskRole, 'task role'),
    ...ecsTasksTrust(t, job.taskDefinition.executionRole!, 'execution role'),
  ];
  const runner = job.stateMachine;
  if (!runner) {
    rows.push(
      allow('the scheduler role runs the task in the cluster', { caller: schedulerRole, action: 'ecs:RunTask', resource: taskDefinition, context: { 'ecs:cluster': t.arnOf(cluster.cluster) } }),
      allow('the scheduler role passes the task role to ECS', { caller: schedulerRole, action: 'iam:PassRole', resource: taskRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
      allow('the scheduler role passes the execution role to ECS', { caller: schedulerRole, action: 'iam:PassRole', resource: executionRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    );
    return rows;
  }
  // Run-to-completion mode: the schedule starts a state machine, which runs the task.
  const machine = t.arnOf(runner);
  const machineRoleArn = t.arnOf(runner.role);
  const machineRole = role(runner.role);
  const machineLogs = job.node.tryFindChild('StateMachineLogs');
  rows.push(
    allow('the scheduler role starts the state machine', { caller: schedulerRole, action: 'states:StartExecution', resource: machine }),
    allow('states assumes the state machine role for this account', assumeRoleHop(machineRoleArn, service('states.amazonaws.com'), own(machine))),
    deny('states assumes the state machine role for another account',
      assumeRoleHop(machineRoleArn, service('states.amazonaws.com'), { 'aws:SourceArn': arn('states', 'stateMachine:x', OTHER_ACCOUNT), 'aws:SourceAccount': OTHER_ACCOUNT })),
    allow('the state machine role runs the task', { caller: machineRole, action: 'ecs:RunTask', resource: taskDefinition, context: { 'ecs:cluster': t.arnOf(cluster.cluster) } }),
    allow('the state machine role passes the task role', { caller: machineRole, action: 'iam:PassRole', resource: taskRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    allow('the state machine role passes the execution role', { caller: machineRole, action: 'iam:PassRole', resource: executionRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    deny('the state machine role passes an unrelated role', { caller: machineRole, action: 'iam:PassRole', resource: unrelatedRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    allow('the state machine role sets up its log delivery', { caller: machineRole, action: 'logs:CreateLogDelivery', resource: '*' }),
    allow('the state machine role lets log delivery write (resource policy)', { caller: machineRole, action: 'logs:PutResourcePolicy', resource: '*' }),
  );
  if (machineLogs) rows.push(logsKmsHop(t, cluster.encryptionKey, machineLogs));
  return rows;
}

function inferenceHops(t: AppTemplates, svc: InferenceService, cluster: WorkloadCluster): Row[] {
  const rows: Row[] = [...ecsTasksTrust(t, svc.taskDefinition.taskRole, 'task role'), ...ecsTasksTrust(t, svc.taskDefinition.executionRole!, 'execution role')];
  if (svc.fileSystem && svc.accessPoint) {
    const fs = t.arnOf(svc.fileSystem);
    const mount = { 'elasticfilesystem:AccessPointArn': t.arnOf(svc.accessPoint), 'elasticfilesystem:AccessedViaMountTarget': 'true' };
    const taskRole = role(svc.taskDefinition.taskRole);
    rows.push(
      allow('the task mounts the model store through its access point', { caller: taskRole, action: 'elasticfilesystem:ClientMount', resource: fs, context: mount }),
      deny('the task writes to the read-only model store', { caller: taskRole, action: 'elasticfilesystem:ClientWrite', resource: fs, context: mount }),
      deny('the task mounts the model store without TLS', { caller: taskRole, action: 'elasticfilesystem:ClientMount', resource: fs, context: { ...mount, ...notHttps } }),
      deny('the task mounts the model store without its access point', { caller: taskRole, action: 'elasticfilesystem:ClientMount', resource: fs, context: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } }),
    );
  }
  const lb = t.of(Stack.of(svc)).properties(logicalIdOf(svc.loadBalancer));
  const attributes = Object.fromEntries((lb.LoadBalancerAttributes ?? []).map((a: { Key: string; Value: string }) => [a.Key, a.Value]));
  if (attributes['access_logs.s3.enabled'] === 'true') {
    const objects = `arn:${PARTITION}:s3:::${attributes['access_logs.s3.bucket']}/${attributes['access_logs.s3.prefix'] ? `${attributes['access_logs.s3.prefix']}/` : ''}AWSLogs`;
    const ownLog = `${objects}/${ACCOUNT}/elasticloadbalancing/${REGION}/2026/01/01/x.log.gz`;
    const otherLog = `${objects}/${OTHER_ACCOUNT}/elasticloadbalancing/${REGION}/2026/01/01/x.log.gz`;
    if (lb.Type === 'network') {
      // NLB access logs are vended logs: delivery.logs.amazonaws.com writes them with the bucket-owner-full-control ACL.
      const acl = { 's3:x-amz-acl': 'bucket-owner-full-control' };
      rows.push(
        allow('log delivery writes NLB access logs under the load balancer\'s prefix', { caller: service('delivery.logs.amazonaws.com'), action: 's3:PutObject', resource: ownLog, context: acl }),
        allow('log delivery reads the bucket ACL', { caller: service('delivery.logs.amazonaws.com'), action: 's3:GetBucketAcl', resource: `arn:${PARTITION}:s3:::${attributes['access_logs.s3.bucket']}` }),
        deny('log delivery writes NLB access logs under another account\'s path', { caller: service('delivery.logs.amazonaws.com'), action: 's3:PutObject', resource: otherLog, context: acl }),
      );
    } else {
      // ALB access logs: AWS documents two delivery principals, the Region's ELB account (Regions opened
      // before August 2022, us-east-1 among them) and logdelivery.elasticloadbalancing.amazonaws.com.
      for (const caller of albLogDelivery()) {
        rows.push(deny(`${callerName(caller)} writes ALB access logs under another account's path`, { caller, action: 's3:PutObject', resource: otherLog }));
      }
      rows.push({ name: 'ALB access log delivery (either documented principal) writes under the load balancer\'s prefix', expected: 'ALLOW', hop: { caller: albLogDelivery()[0], action: 's3:PutObject', resource: ownLog }, alternatives: albLogDelivery().slice(1) });
    }
  }
  rows.push(logsKmsHop(t, cluster.encryptionKey, findLogGroup(svc)));
  return rows;
}

function findLogGroup(scope: IConstruct): IConstruct {
  const group = scope.node.findAll().find(c => c.node.id === 'LogGroup' && c.node.defaultChild);
  if (!group) throw new Error(`${scope.node.path} has no LogGroup`);
  return group;
}

function daemonHops(t: AppTemplates, agent: DaemonAgent, cluster: WorkloadCluster): Row[] {
  const executionRole = role(agent.taskDefinition.executionRole!);
  const logGroup = t.arnOf(agent.logGroup);
  return [
    ...ecsTasksTrust(t, agent.taskRole, 'task role'),
    ...ecsTasksTrust(t, agent.taskDefinition.executionRole!, 'execution role'),
    allow('the execution role creates a log stream in the agent\'s log group', { caller: executionRole, action: 'logs:CreateLogStream', resource: logStream(logGroup) }),
    allow('the execution role writes log events to the agent\'s log group', { caller: executionRole, action: 'logs:PutLogEvents', resource: logStream(logGroup) }),
    deny('the execution role writes to another log group', { caller: executionRole, action: 'logs:PutLogEvents', resource: arn('logs', 'log-group:/someone/else:log-stream:x') }),
    logsKmsHop(t, cluster.encryptionKey, agent.logGroup),
  ];
}

function clusterHops(t: AppTemplates, cluster: WorkloadCluster): Row[] {
  const key = t.arnOf(cluster.encryptionKey);
  const flowLogsRole = t.arnOf(cluster.node.findChild('FlowLogsRole'));
  const flowLog = (account: string) => ({ 'aws:SourceArn': arn('ec2', 'vpc-flow-log/fl-0123456789abcdef0', account), 'aws:SourceAccount': account });
  const logsService = service(`logs.${REGION}.amazonaws.com`);
  const rows: Row[] = [
    allow('VPC flow logs assume the flow-log role for this account', assumeRoleHop(flowLogsRole, service('vpc-flow-logs.amazonaws.com'), flowLog(ACCOUNT))),
    deny('VPC flow logs assume the flow-log role for another account [defect 11]', assumeRoleHop(flowLogsRole, service('vpc-flow-logs.amazonaws.com'), flowLog(OTHER_ACCOUNT))),
    allow('the flow-log role writes to the flow-log group', { caller: role(cluster.node.findChild('FlowLogsRole')), action: 'logs:PutLogEvents', resource: logStream(t.arnOf(cluster.node.findChild('FlowLogs')), 'eni-0123-all') }),
    allow('CloudWatch Logs encrypts a log group of this account', kmsHop(logsService, 'kms:GenerateDataKey', key, { service: 'logs', resourceArn: arn('logs', 'log-group:any'), viaService: false })),
    deny('CloudWatch Logs encrypts a log group of another account', kmsHop(logsService, 'kms:GenerateDataKey', key, { service: 'logs', resourceArn: arn('logs', 'log-group:any', OTHER_ACCOUNT), viaService: false })),
    deny('a role of another account decrypts with the cluster key', kmsHop(otherAccountRole(), 'kms:Decrypt', key, { service: 'sqs', resourceArn: arn('sqs', 'q', OTHER_ACCOUNT), callerAccount: OTHER_ACCOUNT })),
  ];
  for (const capacity of cluster.asgCapacity) {
    const instanceRole = t.arnOf(capacity.autoScalingGroup.role);
    const name = capacity.capacityProvider.node.scope?.node.id ?? capacity.capacityProvider.node.id;
    rows.push(
      allow(`EC2 assumes the instance role of ${name}`, assumeRoleHop(instanceRole, service('ec2.amazonaws.com'))),
      allow(`the instance role of ${name} registers with the cluster`, { caller: role(capacity.autoScalingGroup.role), action: 'ecs:RegisterContainerInstance', resource: t.arnOf(cluster.cluster) }),
    );
  }
  if (cluster.capacityEvents) {
    const topic = t.arnOf(cluster.capacityEvents);
    rows.push(
      allow('the Auto Scaling service-linked role publishes a capacity event', { caller: AUTOSCALING_SERVICE_LINKED_ROLE, action: 'sns:Publish', resource: topic }),
      allow('the Auto Scaling service-linked role encrypts for the capacity topic (GenerateDataKey)', kmsHop(AUTOSCALING_SERVICE_LINKED_ROLE, 'kms:GenerateDataKey', key, { service: 'sns', resourceArn: topic })),
      allow('the Auto Scaling service-linked role encrypts for the capacity topic (Decrypt)', kmsHop(AUTOSCALING_SERVICE_LINKED_ROLE, 'kms:Decrypt', key, { service: 'sns', resourceArn: topic })),
      deny('a role of another account publishes a capacity event', { caller: otherAccountRole(), action: 'sns:Publish', resource: topic }),
    );
  }
  return rows;
}

/**
 * ECS Exec: the task roles of workloads with `enableExec` open the session channels, write the session
 * log to the cluster's exec log group (and under ecs-exec/ of the session log bucket) with the cluster
 * key; nothing else, and a workload without `enableExec` opens no session.
 */
function execHops(t: AppTemplates, cluster: WorkloadCluster, withExec: { [what: string]: IConstruct }, withoutExec: IConstruct): Row[] {
  if (!cluster.execLogGroup || !cluster.execSessionLogBucket) throw new Error(`${cluster.node.path} has no exec log group or session log bucket`);
  const key = t.arnOf(cluster.encryptionKey);
  const execLogs = t.arnOf(cluster.execLogGroup);
  const session = logStream(execLogs, 'ecs-execute-command-0123');
  const bucket = t.arnOf(cluster.execSessionLogBucket);
  const bucketKey = t.arnOf(cluster.execSessionLogBucket.encryptionKey!);
  const rows: Row[] = [];
  for (const [what, r] of Object.entries(withExec)) {
    const taskRole = role(r);
    rows.push(
      allow(`the ${what} task role creates the ECS Exec control channel`, { caller: taskRole, action: 'ssmmessages:CreateControlChannel', resource: '*' }),
      allow(`the ${what} task role opens the ECS Exec data channel`, { caller: taskRole, action: 'ssmmessages:OpenDataChannel', resource: '*' }),
      allow(`the ${what} task role creates a session log stream in the exec log group`, { caller: taskRole, action: 'logs:CreateLogStream', resource: session }),
      allow(`the ${what} task role writes a session log to the exec log group`, { caller: taskRole, action: 'logs:PutLogEvents', resource: session }),
      deny(`the ${what} task role writes to another log group`, { caller: taskRole, action: 'logs:PutLogEvents', resource: arn('logs', 'log-group:/someone/else:log-stream:x') }),
      allow(`the ${what} task role decrypts with the cluster key (session log)`, kmsHop(taskRole, 'kms:Decrypt', key, { service: 'logs', resourceArn: logGroupArn(execLogs) })),
      allow(`the ${what} task role encrypts with the cluster key (session log)`, kmsHop(taskRole, 'kms:GenerateDataKey', key, { service: 'logs', resourceArn: logGroupArn(execLogs) })),
      allow(`the ${what} task role reads the session log bucket's encryption`, { caller: taskRole, action: 's3:GetEncryptionConfiguration', resource: bucket }),
      allow(`the ${what} task role uploads a session log under ecs-exec/`, { caller: taskRole, action: 's3:PutObject', resource: `${bucket}/ecs-exec/0123.log` }),
      deny(`the ${what} task role uploads outside ecs-exec/ of the session log bucket`, { caller: taskRole, action: 's3:PutObject', resource: `${bucket}/other/0123.log` }),
      deny(`the ${what} task role reads a session log`, { caller: taskRole, action: 's3:GetObject', resource: `${bucket}/ecs-exec/0123.log` }),
      allow(`the ${what} task role encrypts a session log with the bucket key`, kmsHop(taskRole, 'kms:GenerateDataKey', bucketKey, { service: 's3', resourceArn: bucket })),
    );
  }
  const plain = role(withoutExec);
  rows.push(
    deny('the task role of a workload without enableExec creates an ECS Exec control channel', { caller: plain, action: 'ssmmessages:CreateControlChannel', resource: '*' }),
    deny('the task role of a workload without enableExec opens an ECS Exec data channel', { caller: plain, action: 'ssmmessages:OpenDataChannel', resource: '*' }),
    deny('the task role of a workload without enableExec writes to the exec log group', { caller: plain, action: 'logs:PutLogEvents', resource: session }),
    deny('the task role of a workload without enableExec uploads a session log', { caller: plain, action: 's3:PutObject', resource: `${bucket}/ecs-exec/0123.log` }),
  );
  return rows;
}

// ~~~ (a) a default stack of each construct ~~~

const workerStack = workloadStack((s, cluster) =>
  new BatchQueueWorker(s, 'Worker', { cluster, image: IMAGE, maxTasks: 10, inputPrefix: 'input/', outputPrefix: 'output/' }));
const jobStack = workloadStack((s, cluster) => new ScheduledTask(s, 'Job', { cluster, image: IMAGE, schedule: NIGHTLY }));
const runToCompletionStack = workloadStack((s, cluster) =>
  new ScheduledTask(s, 'Job', { cluster, image: IMAGE, schedule: NIGHTLY, timeout: Duration.hours(1) }));
const inferenceStack = workloadStack((s, cluster) => new InferenceService(s, 'Inference', { cluster, image: IMAGE, modelStore: { mountPath: '/models' } }));
const agentStack = workloadStack((s, cluster) => {
  const arm = cluster.addAsgCapacity('Arm', { instanceType: new ec2.InstanceType('m7g.large'), additionalInstanceTypes: [new ec2.InstanceType('c7g.large')], maxCapacity: 2 });
  return new DaemonAgent(s, 'Agent', { cluster, image: IMAGE, memoryReservationMiB: 64, capacityProvider: arm });
});

/** A worker and a scheduled task with enableExec, and a scheduled task without, on a cluster with a session log bucket. */
const execStack = (() => {
  const stack = newStack('Exec');
  const sessionLogKey = new kms.Key(stack, 'SessionLogKey', { enableKeyRotation: true });
  const bucket = buildBucket(stack, 'SessionLogs', { encryptionKey: sessionLogKey });
  const cluster = new WorkloadCluster(stack, 'Cluster', { execSessionLogBucket: bucket });
  const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 10, enableExec: true });
  const job = new ScheduledTask(stack, 'Job', { cluster, image: IMAGE, schedule: NIGHTLY, enableExec: true });
  const plainJob = new ScheduledTask(stack, 'PlainJob', { cluster, image: IMAGE, schedule: NIGHTLY });
  return { stack, cluster, worker: worker.taskDefinition.taskRole, job: job.taskDefinition.taskRole, plainJob: plainJob.taskDefinition.taskRole };
})();

// ~~~ (b) the example app ~~~

const example = exampleApp();
const exampleCluster = example.cluster.cluster;

/** Each table of hops, with the app whose templates it is evaluated against. */
const tables: { [name: string]: { readonly scope: App | Stack; readonly rows: (t: AppTemplates) => Row[] } } = {
  'BatchQueueWorker (default stack)': { scope: workerStack.stack, rows: t => workerHops(t, workerStack.workload, workerStack.cluster, 'input/', 'output/') },
  'ScheduledTask (default stack)': { scope: jobStack.stack, rows: t => scheduledTaskHops(t, jobStack.workload, jobStack.cluster) },
  'ScheduledTask with timeout (default stack)': { scope: runToCompletionStack.stack, rows: t => scheduledTaskHops(t, runToCompletionStack.workload, runToCompletionStack.cluster) },
  'InferenceService (default stack)': { scope: inferenceStack.stack, rows: t => inferenceHops(t, inferenceStack.workload, inferenceStack.cluster) },
  'DaemonAgent (default stack)': { scope: agentStack.stack, rows: t => daemonHops(t, agentStack.workload, agentStack.cluster) },
  'WorkloadCluster (default stack with EC2 capacity)': { scope: agentStack.stack, rows: t => clusterHops(t, agentStack.cluster) },
  'ECS Exec (worker and scheduled task with enableExec, session log bucket)': {
    scope: execStack.stack,
    rows: t => execHops(t, execStack.cluster, { 'worker': execStack.worker, 'scheduled task': execStack.job }, execStack.plainJob),
  },
  'example app: BatchQueueWorker': { scope: example.app, rows: t => workerHops(t, example.worker.worker, exampleCluster, 'incoming/', 'converted/') },
  'example app: ScheduledTask': { scope: example.app, rows: t => scheduledTaskHops(t, example.job.nightlyReport, exampleCluster) },
  'example app: InferenceService Triton': { scope: example.app, rows: t => inferenceHops(t, example.inference.triton, exampleCluster) },
  'example app: InferenceService TorchServe': { scope: example.app, rows: t => inferenceHops(t, example.inference.torchServe, exampleCluster) },
  'example app: DaemonAgent': { scope: example.app, rows: t => daemonHops(t, example.agent.agent, exampleCluster) },
  'example app: WorkloadCluster': { scope: example.app, rows: t => clusterHops(t, exampleCluster) },
};

for (const [table, { scope, rows }] of Object.entries(tables)) {
  describe(table, () => {
    const templates = appTemplates(scope);
    test.each(rows(templates).map(r => [`${r.name} → ${r.expected}`, r] as const))('%s', async (_name, row) => {
      const hops = [row.hop, ...(row.alternatives ?? []).map(caller => ({ ...row.hop, caller }))];
      const results = await Promise.all(hops.map(h => evaluateHop(templates, h)));
      const result = results.find(r => r.decision === row.expected) ?? results[0];
      // The whole verdict in the failure message: which statements decided, or which condition failed.
      expect(`${result.decision}: ${results.map(r => r.summary).join(' | ')}`).toMatch(new RegExp(`^${row.expected}:`));
    });
  });
}

// ~~~ derived hops: what every template implies, for the compliance harness ~~~

describe('derivedHops', () => {
  test('finds the alarm, rule and schedule hops of the templates', () => {
    const labels = (stack: Stack) => derivedHops(appTemplates(stack).of(stack)).map(h => `${'service' in h.caller ? h.caller.service : 'role'} ${h.action} ${h.label}`);
    expect(labels(workerStack.stack)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^cloudwatch\.amazonaws\.com sns:Publish alarm WorkerDeadLetterQueueAlarm/),
      expect.stringMatching(/^cloudwatch\.amazonaws\.com kms:GenerateDataKey alarm WorkerOldestMessageAgeAlarm/),
      expect.stringMatching(/^events\.amazonaws\.com sqs:SendMessage rule WorkerObjectCreatedRule/),
      expect.stringMatching(/^events\.amazonaws\.com sqs:SendMessage rule WorkerObjectCreatedRule\S* \(dead letters\)/),
    ]));
    // Scaling alarms invoke scaling policies, not topics: no hop.
    expect(labels(workerStack.stack).filter(l => /ScaleInWhenIdleAlarm/.test(l))).toEqual([]);
    expect(labels(jobStack.stack)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^scheduler\.amazonaws\.com sts:AssumeRole/),
      expect.stringMatching(/^role ecs:RunTask schedule JobSchedule/),
      expect.stringMatching(/^role iam:PassRole schedule JobSchedule\S* passes .*TaskRole/),
      expect.stringMatching(/^role iam:PassRole schedule JobSchedule\S* passes .*ExecutionRole/),
      expect.stringMatching(/^role sqs:SendMessage schedule JobSchedule\S* sends to its dead-letter queue/),
      expect.stringMatching(/^events\.amazonaws\.com sns:Publish rule JobFailureRule/),
    ]));
    expect(labels(runToCompletionStack.stack)).toEqual(expect.arrayContaining([expect.stringMatching(/^role states:StartExecution schedule JobSchedule/)]));
  });

  test('a hop that AWS would deny is reported with its reason', async () => {
    const topic = appTemplates(workerStack.stack).arnOf(workerStack.workload.alarmTopic);
    const result = await evaluateHop(workerStack.stack, { caller: service('cloudwatch.amazonaws.com'), action: 'sns:Publish', resource: topic, context: notHttps });
    expect(result.decision).toBe('DENY');
    expect(result.summary).toMatch(/explicitly denied by topic policy .*#1/);
  });

  test('a topic without TopicPolicy has the default policy, and an AWS managed key admits no service principal', async () => {
    const stack = newStack('ManagedKey');
    const topic = new sns.Topic(stack, 'Topic', { masterKey: kms.Alias.fromAliasName(stack, 'AwsSns', 'alias/aws/sns') });
    const alarm = new cloudwatch.Alarm(stack, 'Alarm', { metric: new cloudwatch.Metric({ namespace: 'N', metricName: 'M' }), threshold: 1, evaluationPeriods: 1 });
    alarm.addAlarmAction(new cwActions.SnsAction(topic));
    const problems = await policyProblems(stack);
    expect(problems).toEqual([
      expect.stringMatching(/^ManagedKey: alarm Alarm\S+ encrypts for topic .*\(kms:GenerateDataKey\).*→ DENY .*no statement of the policy of the AWS managed key alias\/aws\/sns allows it/),
      expect.stringMatching(/^ManagedKey: alarm Alarm\S+ encrypts for topic .*\(kms:Decrypt\).*→ DENY/),
    ]);
    // The default topic policy admits the alarm of the owner account, not a role of another account.
    const topicArn = appTemplates(stack).arnOf(topic);
    expect((await evaluateHop(stack, { caller: service('cloudwatch.amazonaws.com'), action: 'sns:Publish', resource: topicArn, context: own(appTemplates(stack).arnOf(alarm)) })).decision).toBe('ALLOW');
    const intruder = await evaluateHop(stack, { caller: otherAccountRole(), action: 'sns:Publish', resource: topicArn });
    expect(intruder.summary).toMatch(/DENY .*default topic policy/);
  });

  test.each([
    ['BatchQueueWorker', () => workerStack.stack],
    ['ScheduledTask', () => jobStack.stack],
    ['ScheduledTask with timeout', () => runToCompletionStack.stack],
    ['InferenceService', () => inferenceStack.stack],
    ['DaemonAgent and WorkloadCluster with EC2 capacity', () => agentStack.stack],
    ['ECS Exec', () => execStack.stack],
  ])('policyProblems of the default %s stack is empty', async (_name, stack) => {
    expect(await policyProblems(stack())).toEqual([]);
  });

  test('policyProblems of the example app is empty', async () => {
    expect(await policyProblems(example.app)).toEqual([]);
  });
});

// ~~~ the template resolver ~~~

describe('template resolver', () => {
  const t = new AppTemplates({
    Exporter: {
      Resources: { Key: { Type: 'AWS::KMS::Key', Properties: {} }, Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alarms' } } },
      Outputs: { KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}:KeyArn' } } } },
    },
    Importer: {
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: { 'Fn::ImportValue': 'Exporter:KeyArn' } } },
        Thing: { Type: 'AWS::Some::Thing', Properties: { Bad: { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, Attr: { 'Fn::GetAtt': ['Queue', 'Nope'] } } },
      },
    },
  });
  const importer = t.of('Importer');

  test('resolves pseudo parameters, Sub, Join, Select, Split and imports', () => {
    expect(importer.resolve({ 'Fn::Sub': ['arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Name}', { Name: { 'Fn::GetAtt': ['Queue', 'QueueName'] } }] }))
      .toBe(importer.getAtt('Queue', 'Arn'));
    expect(importer.resolve({ 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::Join': ['/', ['a', { Ref: 'AWS::AccountId' }, 'c']] }] }] })).toBe(ACCOUNT);
    expect(importer.properties('Queue').KmsMasterKeyId).toBe(t.of('Exporter').getAtt('Key', 'Arn'));
    expect(importer.ref('Queue')).toBe(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/Importer-Queue`);
    expect(t.of('Exporter').ref('Topic')).toBe(arn('sns', 'alarms'));
  });

  test('throws on what it does not support, naming it', () => {
    expect(() => importer.resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, 'Thing.Bad')).toThrow(/Thing\.Bad: intrinsic Fn::Cidr is not supported/);
    expect(() => importer.getAtt('Queue', 'Nope')).toThrow(/Fn::GetAtt Queue\.Nope \(AWS::SQS::Queue\) is not supported/);
    expect(() => importer.resolve({ 'Fn::ImportValue': 'Missing' })).toThrow(/Fn::ImportValue Missing: no stack of the app exports it/);
  });

  test('the example app resolves to concrete values across stacks', () => {
    const workerTemplate = appTemplates(example.app).of(example.worker);
    const id = logicalIdOf(example.worker.worker.taskDefinition.taskRole);
    const policies = workerTemplate.logicalIds('AWS::IAM::ManagedPolicy').map(p => workerTemplate.properties(p))
      .filter(p => JSON.stringify(p.Roles) === JSON.stringify([workerTemplate.ref(id)]));
    const text = JSON.stringify(policies);
    expect(text).not.toMatch(/Fn::|"Ref"/);
    expect(text).toContain(appTemplates(example.app).arnOf(exampleCluster.encryptionKey));
  });
});
