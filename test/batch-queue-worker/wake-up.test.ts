import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import jsonata from 'jsonata';
import { WorkloadCluster } from '../../src';
import { BatchQueueWorker, BatchQueueWorkerProps } from '../../src/batch-queue-worker/batch-queue-worker';
import { WakeUpPath } from '../../src/batch-queue-worker/wake-up';
import { ValidationError } from '../../src/core/errors';
import { buildQueue, suppressGuardRule } from '../../src/core/resources';
import { expectCompliant, newStack, statefulPolicies } from '../compliance';
import { expectDeployable } from '../deploy-proof';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');
const env = { account: '123456789012', region: 'us-east-1' };

interface Built {
  readonly stack: Stack;
  readonly cluster: WorkloadCluster;
  readonly worker: BatchQueueWorker;
  readonly template: Template;
}

/** A worker in a new stack beside a new cluster; `extra` may use the stack and cluster. */
function build(extra: (stack: Stack, cluster: WorkloadCluster) => Partial<BatchQueueWorkerProps> = () => ({})): Built {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image, maxTasks: 10, ...extra(stack, cluster) });
  return { stack, cluster, worker, template: Template.fromStack(stack) };
}

/** A queue-only worker (its queue built with the library's secure defaults); no wake-up source yet. */
function buildQueueOnly(stack: Stack, extra: Partial<BatchQueueWorkerProps> = {}): { cluster: WorkloadCluster; worker: BatchQueueWorker } {
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const deadLetterQueue = buildQueue(stack, 'JobsDlq', { encryptionKey: cluster.encryptionKey, retentionPeriod: Duration.days(14) });
  suppressGuardRule(deadLetterQueue, 'sqs_dlq_check', 'This is the dead-letter queue of the jobs queue, watched by the worker\'s alarm.');
  const queue = buildQueue(stack, 'Jobs', {
    encryptionKey: cluster.encryptionKey,
    visibilityTimeout: Duration.minutes(20),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 3 },
  });
  const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image, maxTasks: 10, queue, ...extra });
  return { cluster, worker };
}

function ordersRule(scope: Stack, id: string = 'Orders'): events.Rule {
  return new events.Rule(scope, id, { eventPattern: { source: ['my.orders'], detailType: ['Order Placed'] } });
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as any);
}

function pathOf(worker: BatchQueueWorker): WakeUpPath {
  return worker.node.findChild('WakeUp') as WakeUpPath;
}

/** `arn:${Partition}:<service>:us-east-1:123456789012:<resource>` as the template writes it. */
function arnJoin(rest: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] };
}

/** Every statement of every policy attached to the role with this logical id. */
function roleStatements(template: Template, roleId: string): any[] {
  const managed = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleId }] } });
  const inline = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return [...Object.values(managed), ...Object.values(inline)].flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** A CloudFormation token of the definition, written as a placeholder that JSON strings can hold. */
function placeholder(token: any): string {
  if (typeof token.Ref === 'string') return `<Ref:${token.Ref}>`;
  if (Array.isArray(token['Fn::GetAtt'])) return `<GetAtt:${token['Fn::GetAtt'].join('.')}>`;
  throw new Error(`unexpected token in the definition: ${JSON.stringify(token)}`);
}

/** The state machine's definition, parsed, with each token replaced by its placeholder. */
function definitionOf(template: Template, stateMachineId: string): any {
  const definition = template.toJSON().Resources[stateMachineId].Properties.DefinitionString;
  const text = typeof definition === 'string'
    ? definition
    : definition['Fn::Join'][1].map((part: unknown) => typeof part === 'string' ? part : placeholder(part)).join('');
  expect(typeof definition === 'string' || definition['Fn::Join'][0] === '').toBe(true);
  return JSON.parse(text);
}

/** The alarm that invokes the scaling policy with this construct id. */
function alarmFor(b: Built, policyConstructId: string): any {
  const policyId = logicalId(b.stack, b.worker.node.findChild(policyConstructId) as any);
  const alarms = b.template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmActions: [{ Ref: policyId }] } });
  const found = Object.values(alarms);
  expect(found).toHaveLength(1);
  return (found[0] as any).Properties;
}

const TLS_ONLY = {
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'sqs:*',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};

const RULES_OF_THIS_ACCOUNT = {
  StringEquals: { 'aws:SourceAccount': '123456789012' },
  ArnLike: { 'aws:SourceArn': arnJoin(':events:us-east-1:123456789012:rule/*') },
};

const TASK_RETRY = [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }];

describe('default configuration (minTasks 0)', () => {
  let b: Built;
  let path: WakeUpPath;
  let ids: { gate: string; dlq: string; eventDlq: string; key: string; stateMachine: string; service: string; cluster: string };
  beforeAll(() => {
    b = build();
    path = pathOf(b.worker);
    ids = {
      gate: logicalId(b.stack, path.queue),
      dlq: logicalId(b.stack, path.deadLetterQueue),
      eventDlq: logicalId(b.stack, path.eventDeadLetterQueue),
      key: logicalId(b.stack, b.cluster.encryptionKey as kms.Key),
      stateMachine: logicalId(b.stack, path.stateMachine),
      service: logicalId(b.stack, b.worker.service),
      cluster: logicalId(b.stack, b.cluster.cluster),
    };
  });

  test('the ObjectCreatedRule\'s second target is the gate: event time as the body, one message group, retries, a DLQ', () => {
    const rules = b.template.findResources('AWS::Events::Rule');
    expect(Object.keys(rules)).toEqual([logicalId(b.stack, b.worker.rule!)]);
    const targets = (Object.values(rules)[0] as any).Properties.Targets;
    expect(targets).toHaveLength(2);
    expect(targets[1]).toEqual({
      Id: 'Target1',
      Arn: { 'Fn::GetAtt': [ids.gate, 'Arn'] },
      InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '{"wakeUpAt":<time>}' },
      SqsParameters: { MessageGroupId: 'wake-up' },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ids.eventDlq, 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
    });
  });

  test('the gate: FIFO, content-based deduplication, cluster key, 14-day retention, 2 min visibility, FIFO DLQ after 5, retained', () => {
    b.template.templateMatches({
      Resources: {
        [ids.gate]: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            FifoQueue: true,
            ContentBasedDeduplication: true,
            KmsMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
            KmsDataKeyReusePeriodSeconds: 3600,
            MessageRetentionPeriod: 1209600,
            VisibilityTimeout: 120,
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq, 'Arn'] }, maxReceiveCount: 5 },
          },
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
        },
      },
    });
  });

  test('the dead-letter queues: the gate\'s is FIFO, the rule targets\' is standard; 14 days, cluster key, retained', () => {
    const resources = b.template.toJSON().Resources;
    for (const [id, fifo] of [[ids.dlq, true], [ids.eventDlq, undefined]] as const) {
      expect(resources[id]).toMatchObject({
        Type: 'AWS::SQS::Queue',
        Properties: { MessageRetentionPeriod: 1209600, KmsMasterKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] } },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      expect(resources[id].Properties.FifoQueue).toBe(fifo);
      expect(resources[id].Properties.RedrivePolicy).toBeUndefined();
    }
    // EventBridge dead-letter queues must be standard queues.
    expect(path.eventDeadLetterQueue.fifo).toBe(false);
    expect(path.deadLetterQueue.fifo).toBe(true);
  });

  test('queue policies: only this account\'s rules may send to the gate and to the event DLQ; all three TLS only', () => {
    const policyOf = (queueId: string): any[] => {
      const found = Object.values(b.template.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: queueId }] } }));
      expect(found).toHaveLength(1);
      return (found[0] as any).Properties.PolicyDocument.Statement;
    };
    for (const queueId of [ids.gate, ids.eventDlq]) {
      expect(policyOf(queueId)).toEqual([
        { ...TLS_ONLY, Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          Condition: RULES_OF_THIS_ACCOUNT,
        },
      ]);
    }
    // Nothing but the pipe reads the gate's dead letters: no service may send to it.
    expect(policyOf(ids.dlq)).toEqual([{ ...TLS_ONLY, Resource: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } }]);
  });

  test('EventBridge may encrypt with the cluster key', () => {
    b.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
        }]),
      },
    });
  });

  test('the pipe: reads the gate 10 at a time without waiting, starts the state machine synchronously, after its permissions', () => {
    const pipes = b.template.findResources('AWS::Pipes::Pipe');
    expect(Object.keys(pipes)).toEqual([b.stack.getLogicalId(path.pipe)]);
    const pipe = Object.values(pipes)[0] as any;
    const roleId = pipe.Properties.RoleArn['Fn::GetAtt'][0];
    expect(pipe.Properties).toEqual({
      Description: 'Wake-up requests of Test/Worker',
      RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
      Source: { 'Fn::GetAtt': [ids.gate, 'Arn'] },
      SourceParameters: { SqsQueueParameters: { BatchSize: 10, MaximumBatchingWindowInSeconds: 0 } },
      Target: { Ref: ids.stateMachine },
      TargetParameters: { StepFunctionStateMachineParameters: { InvocationType: 'REQUEST_RESPONSE' } },
    });
    const permissions = Object.keys(b.template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleId }] } }));
    expect(permissions).toHaveLength(1);
    expect(pipe.DependsOn).toEqual(expect.arrayContaining([roleId, permissions[0]]));
  });

  test('pipe role: trusted by this account\'s pipes only; consumes the gate, decrypts with the key, starts the state machine, nothing else', () => {
    const pipe = Object.values(b.template.findResources('AWS::Pipes::Pipe'))[0] as any;
    const roleId: string = pipe.Properties.RoleArn['Fn::GetAtt'][0];
    const role = b.template.toJSON().Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 'pipes.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': arnJoin(':pipes:us-east-1:123456789012:pipe/*') },
      },
    }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(roleStatements(b.template, roleId)).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: { 'Fn::GetAtt': [ids.gate, 'Arn'] },
      },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [ids.key, 'Arn'] } },
      { Effect: 'Allow', Action: 'states:StartSyncExecution', Resource: { Ref: ids.stateMachine } },
    ]);
  });

  test('the state machine: EXPRESS, JSONata, 60 s timeout, logs ALL without execution data to a vended log group, traced', () => {
    const resources = b.template.toJSON().Resources;
    const stateMachine = resources[ids.stateMachine];
    expect(stateMachine.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(stateMachine.Properties).toMatchObject({
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } }] },
    });
    const logGroupId: string = stateMachine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    expect(logGroupId).toBe(logicalId(b.stack, path.node.findChild('StateMachineLogs') as any));
    expect(resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
    expect(resources[logGroupId].Properties).toEqual({
      LogGroupName: expect.stringMatching(/^\/aws\/vendedlogs\/states\/Test-Worker-WakeUp-[0-9A-F]{8}$/),
      KmsKeyId: { 'Fn::GetAtt': [ids.key, 'Arn'] },
      RetentionInDays: 365,
    });
    const definition = definitionOf(b.template, ids.stateMachine);
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(definition.TimeoutSeconds).toBe(60);
    expect(definition.StartAt).toBe('DescribeService');
  });

  test('the definition: DescribeService → WantsNoTask → StartFirstTask (1) → RecordWakeUp, else AlreadyAwake', () => {
    const { States: states } = definitionOf(b.template, ids.stateMachine);
    expect(Object.keys(states).sort()).toEqual(['AlreadyAwake', 'DescribeService', 'RecordWakeUp', 'StartFirstTask', 'WantsNoTask']);
    const clusterArn = `<GetAtt:${ids.cluster}.Arn>`;
    const serviceArn = `<Ref:${ids.service}>`;

    expect(states.DescribeService).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<Ref:AWS::Partition>:states:::aws-sdk:ecs:describeServices',
      Arguments: { Cluster: clusterArn, Services: [serviceArn] },
      Next: 'WantsNoTask',
      Retry: TASK_RETRY,
    });
    expect(states.DescribeService.Arguments).toEqual({ Cluster: clusterArn, Services: [serviceArn] });
    expect(states.DescribeService.Output).toBe("{% { 'desired': $states.result.Services[0].DesiredCount, 'status': $states.result.Services[0].Status } %}");

    expect(states.WantsNoTask).toMatchObject({
      Type: 'Choice',
      Choices: [{ Condition: "{% $states.input.status = 'ACTIVE' and $states.input.desired = 0 %}", Next: 'StartFirstTask' }],
      Default: 'AlreadyAwake',
    });
    expect(states.WantsNoTask.Choices).toHaveLength(1);

    expect(states.StartFirstTask).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<Ref:AWS::Partition>:states:::aws-sdk:ecs:updateService',
      Next: 'RecordWakeUp',
      Retry: TASK_RETRY,
    });
    expect(states.StartFirstTask.Arguments).toEqual({ Cluster: clusterArn, Service: serviceArn, DesiredCount: 1 });

    expect(states.RecordWakeUp).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<Ref:AWS::Partition>:states:::aws-sdk:cloudwatch:putMetricData',
      End: true,
      Retry: TASK_RETRY,
    });
    expect(states.RecordWakeUp.Arguments.Namespace).toBe('cdk-ecs-workloads');
    expect(states.RecordWakeUp.Arguments.MetricData).toMatch(/^\{%.*%\}$/s);

    expect(states.AlreadyAwake.Type).toBe('Succeed');
    expect(states.AlreadyAwake.Next).toBeUndefined();
  });

  test('RecordWakeUp, evaluated as Step Functions does: WakeUps 1 now, WakeUpHold 1 for this minute and each of the next 15', async () => {
    const { States: states } = definitionOf(b.template, ids.stateMachine);
    const text: string = states.RecordWakeUp.Arguments.MetricData;
    const expression = jsonata(text.replace(/^\{%/, '').replace(/%\}$/, ''));
    const now = Date.UTC(2026, 11, 3, 12, 0, 30);
    expression.registerFunction('millis', () => now, '<:n>');
    const data = await expression.evaluate({});
    const dimensions = [
      { Name: 'ClusterName', Value: `<Ref:${ids.cluster}>` },
      { Name: 'ServiceName', Value: `<GetAtt:${ids.service}.Name>` },
    ];
    expect(data[0]).toEqual({ MetricName: 'WakeUps', Dimensions: dimensions, Value: 1, Unit: 'Count' });
    const hold = data.slice(1);
    expect(hold).toHaveLength(16);
    hold.forEach((d: any, i: number) => expect(d).toEqual({
      MetricName: 'WakeUpHold', Dimensions: dimensions, Value: 1, Unit: 'Count', Timestamp: new Date(now + i * 60_000).toISOString(),
    }));
    // CloudWatch accepts timestamps up to two hours ahead; the last one is 15 minutes ahead.
    expect(Date.parse(hold[15].Timestamp) - now).toBe(15 * 60_000);
  });

  test('the metrics the state machine writes are the ones metricWakeUps(), metricWakeUpHold() and the scaling alarms read', async () => {
    const { States: states } = definitionOf(b.template, ids.stateMachine);
    const text: string = states.RecordWakeUp.Arguments.MetricData;
    const data = await jsonata(text.replace(/^\{%/, '').replace(/%\}$/, '')).evaluate({});
    const written = (name: string) => Object.fromEntries(data.find((d: any) => d.MetricName === name).Dimensions.map((d: any) => [d.Name, d.Value]));
    for (const [name, metric] of [['WakeUps', b.worker.metricWakeUps()], ['WakeUpHold', b.worker.metricWakeUpHold()]] as const) {
      expect(metric.metricName).toBe(name);
      const read = b.stack.resolve(metric.dimensions);
      expect(Object.keys(read).sort()).toEqual(Object.keys(written(name)).sort());
      for (const [dimension, token] of Object.entries<any>(read)) expect(placeholder(token)).toBe(written(name)[dimension]);
    }
    const dims = [{ Name: 'ClusterName', Value: { Ref: ids.cluster } }, { Name: 'ServiceName', Value: { 'Fn::GetAtt': [ids.service, 'Name'] } }];
    // The scale-in alarms read the hold (and only while SQS publishes nothing); the fast path reads the wake-up.
    for (const policy of ['ScaleInWhenIdle', 'ScaleInSurplus']) {
      const hold = alarmFor(b, policy).Metrics.find((m: any) => m.Id === 'hold');
      expect(hold).toEqual({ Id: 'hold', ReturnData: false, MetricStat: { Metric: { Namespace: 'cdk-ecs-workloads', MetricName: 'WakeUpHold', Dimensions: dims }, Period: 60, Stat: 'Maximum' } });
      expect(alarmFor(b, policy).Metrics[0].Expression).toContain('FILL(IF(FILL(visible, -1) < 0, hold, 0), 0)');
    }
    const fastPath = alarmFor(b, 'ScaleOutFromZero');
    expect(fastPath.Metrics.find((m: any) => m.Id === 'wakeUps')).toEqual({
      Id: 'wakeUps', ReturnData: false, MetricStat: { Metric: { Namespace: 'cdk-ecs-workloads', MetricName: 'WakeUps', Dimensions: dims }, Period: 60, Stat: 'Sum' },
    });
    expect(fastPath.Metrics[0].Expression).toBe('IF(FILL(desired, 0) + FILL(inFlight, 0) + FILL(wakeUps, 0) < 1, visible, 0)');
  });

  test('state machine role: trusted by this account\'s state machines; ECS calls on the service only, PutMetricData in one namespace', () => {
    const roleId: string = b.template.toJSON().Resources[ids.stateMachine].Properties.RoleArn['Fn::GetAtt'][0];
    const role = b.template.toJSON().Resources[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 'states.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': arnJoin(':states:us-east-1:123456789012:stateMachine:*') },
      },
    }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = roleStatements(b.template, roleId);
    expect(statements.filter(s => [s.Action].flat().some((a: string) => a.startsWith('ecs:') || a.startsWith('cloudwatch:')))).toEqual([
      {
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'cdk-ecs-workloads' } },
      },
      { Effect: 'Allow', Action: 'ecs:describeServices', Resource: { Ref: ids.service } },
      { Effect: 'Allow', Action: 'ecs:updateService', Resource: { Ref: ids.service } },
    ]);
    // The rest is what Step Functions needs for its log delivery and X-Ray tracing, none of which takes a resource.
    const rest = statements.filter(s => ![s.Action].flat().some((a: string) => a.startsWith('ecs:') || a.startsWith('cloudwatch:')));
    expect(rest.every(s => s.Resource === '*' && s.Effect === 'Allow' && s.Condition === undefined)).toBe(true);
    expect(rest.flatMap(s => [s.Action].flat()).sort()).toEqual([
      'logs:CreateLogDelivery', 'logs:DeleteLogDelivery', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:UpdateLogDelivery',
      'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
  });

  test('failure alarm: either dead-letter queue holding a message, missing data is fine, notifies the alarm topic', () => {
    const alarmId = logicalId(b.stack, path.failureAlarm);
    const alarm = b.template.toJSON().Resources[alarmId].Properties;
    const visible = (queueId: string) => ({
      Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }] },
      Period: 60,
      Stat: 'Maximum',
    });
    expect(alarm).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(b.stack, b.worker.alarmTopic as sns.Topic) }],
    });
    expect(alarm.Metrics).toEqual([
      { Id: 'expr_1', Expression: 'FILL(requests, 0) + FILL(undelivered, 0)', Label: 'Wake-up requests and events that failed', ReturnData: true },
      { Id: 'requests', MetricStat: visible(ids.dlq), ReturnData: false },
      { Id: 'undelivered', MetricStat: visible(ids.eventDlq), ReturnData: false },
    ]);
    expect(b.stack.resolve(b.worker.wakeUpFailureAlarm!.alarmArn)).toEqual({ 'Fn::GetAtt': [alarmId, 'Arn'] });
  });

  test('wakeUpStateMachine is the state machine; one pipe, one state machine, three wake-up queues, no Lambda', () => {
    expect(b.stack.resolve(b.worker.wakeUpStateMachine!.stateMachineArn)).toEqual({ Ref: ids.stateMachine });
    b.template.resourceCountIs('AWS::Pipes::Pipe', 1);
    b.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    b.template.resourceCountIs('AWS::Lambda::Function', 0);
    b.template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 2);
    expect(b.stack.resolve([path.queue.queueArn, path.deadLetterQueue.queueArn, path.eventDeadLetterQueue.queueArn]))
      .toEqual([ids.gate, ids.dlq, ids.eventDlq].map(id => ({ 'Fn::GetAtt': [id, 'Arn'] })));
  });
});

describe('alarm topic', () => {
  test('the failure alarm notifies a given alarmTopic', () => {
    const b = build(stack => ({ alarmTopic: new sns.Topic(stack, 'Mine', { enforceSSL: true }) }));
    const alarm = b.template.toJSON().Resources[logicalId(b.stack, pathOf(b.worker).failureAlarm)].Properties;
    expect(alarm.AlarmActions).toEqual([{ Ref: logicalId(b.stack, b.stack.node.findChild('Mine') as sns.Topic) }]);
  });
});

describe('wakeUp: false', () => {
  let b: Built;
  beforeAll(() => {
    b = build(() => ({ wakeUp: false }));
  });

  test('no pipe, no state machine, no FIFO queue, no wake-up construct', () => {
    b.template.resourceCountIs('AWS::Pipes::Pipe', 0);
    b.template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    b.template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 0);
    b.template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(b.worker.node.tryFindChild('WakeUp')).toBeUndefined();
    expect(b.worker.wakeUpStateMachine).toBeUndefined();
    expect(b.worker.wakeUpFailureAlarm).toBeUndefined();
  });

  test('the rule has one target, the job queue', () => {
    const rule = b.template.toJSON().Resources[logicalId(b.stack, b.worker.rule!)];
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(b.stack, b.worker.queue as sqs.Queue), 'Arn'] });
  });

  test('the scaling expressions read neither wake-ups nor the hold', () => {
    const idle = alarmFor(b, 'ScaleInWhenIdle');
    expect(idle.Metrics[0].Expression).toBe('FILL(visible, 0) + FILL(inFlight, 0)');
    expect(idle.Metrics.map((m: any) => m.Id).sort()).toEqual(['expr_1', 'inFlight', 'visible']);
    const surplus = alarmFor(b, 'ScaleInSurplus');
    expect(surplus.Metrics[0].Expression).toBe('IF(FILL(visible, 0) < 1, running - FILL(inFlight, 0), 0)');
    expect(surplus.Metrics.map((m: any) => m.Id).sort()).toEqual(['expr_1', 'inFlight', 'running', 'visible']);
    const fastPath = alarmFor(b, 'ScaleOutFromZero');
    expect(fastPath.Metrics[0].Expression).toBe('IF(FILL(desired, 0) + FILL(inFlight, 0) < 1, visible, 0)');
  });

  test('wakeOn is refused, naming wakeOn, the rule and the fix', () => {
    const rule = ordersRule(b.stack, 'LateOrders');
    let error: unknown;
    try {
      b.worker.wakeOn(rule);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(
      /^Test\/Worker: wakeOn\(Test\/LateOrders\) was called, but wakeUp is off .*Set wakeUp: true with minTasks: 0, or scale out through the alarms only and remove the wakeOn call\.$/);
  });
});

describe('minTasks > 0', () => {
  test('minTasks: 2 has no wake-up path by default, and no wake-ups in the scale-in expressions', () => {
    const b = build(() => ({ minTasks: 2 }));
    b.template.resourceCountIs('AWS::Pipes::Pipe', 0);
    b.template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    b.template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 0);
    expect(b.worker.wakeUpStateMachine).toBeUndefined();
    const rule = b.template.toJSON().Resources[logicalId(b.stack, b.worker.rule!)];
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(alarmFor(b, 'ScaleInWhenIdle').Metrics[0].Expression).toBe('FILL(visible, 0) + FILL(inFlight, 0)');
  });

  test('wakeUp: true with minTasks: 2 is refused, naming both props, the value and the fix', () => {
    const attempt = () => build(() => ({ wakeUp: true, minTasks: 2 }));
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(
      /^Test\/Worker: wakeUp is true, but minTasks is 2, so the service always runs at least 2 task\(s\) and there is nothing to wake\. Remove wakeUp, or set minTasks: 0\.$/);
  });

  test('wakeUp: true with minTasks: 0 is the default path', () => {
    const b = build(() => ({ wakeUp: true, minTasks: 0 }));
    b.template.resourceCountIs('AWS::Pipes::Pipe', 1);
    const { States: states } = definitionOf(b.template, logicalId(b.stack, pathOf(b.worker).stateMachine));
    expect(states.StartFirstTask.Arguments.DesiredCount).toBe(1);
  });
});

describe('queue-only mode', () => {
  test('no wake-up path until wakeOn(rule)', () => {
    const stack = newStack();
    const { worker } = buildQueueOnly(stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Pipes::Pipe', 0);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(worker.wakeUpStateMachine).toBeUndefined();
    expect(worker.wakeUpFailureAlarm).toBeUndefined();
  });

  test('wakeOn(rule) in the same stack: the rule\'s only target is the gate', () => {
    const stack = newStack();
    const { worker } = buildQueueOnly(stack);
    const rule = ordersRule(stack);
    worker.wakeOn(rule);
    const template = Template.fromStack(stack);
    const path = pathOf(worker);
    expect(template.toJSON().Resources[logicalId(stack, rule)].Properties.Targets).toEqual([{
      Id: 'Target0',
      Arn: { 'Fn::GetAtt': [logicalId(stack, path.queue), 'Arn'] },
      InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '{"wakeUpAt":<time>}' },
      SqsParameters: { MessageGroupId: 'wake-up' },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, path.eventDeadLetterQueue), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
    }]);
    template.resourceCountIs('AWS::Pipes::Pipe', 1);
    expect(stack.resolve(worker.wakeUpStateMachine!.stateMachineArn)).toEqual({ Ref: logicalId(stack, path.stateMachine) });
  });

  test('wakeOn(rule) of another stack: cross-stack reference one way only, no cycle; a second wakeOn adds a source to the same path', () => {
    const app = new App();
    const workerStack = new Stack(app, 'Workers', { env });
    const producerStack = new Stack(app, 'Producer', { env });
    const { worker } = buildQueueOnly(workerStack);
    const remote = ordersRule(producerStack, 'RemoteOrders');
    const local = ordersRule(workerStack, 'LocalOrders');
    worker.wakeOn(remote);
    worker.wakeOn(local);

    // A dependency cycle would throw here.
    const assembly = app.synth();
    expect(assembly.stacks.map(s => s.stackName).sort()).toEqual(['Producer', 'Workers']);
    expect(producerStack.dependencies).toEqual([workerStack]);
    expect(workerStack.dependencies).toEqual([]);

    const workerTemplate = Template.fromStack(workerStack);
    const producerTemplate = Template.fromStack(producerStack);
    workerTemplate.resourceCountIs('AWS::Pipes::Pipe', 1);
    workerTemplate.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    workerTemplate.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 2);
    producerTemplate.resourceCountIs('AWS::Pipes::Pipe', 0);
    producerTemplate.resourceCountIs('AWS::SQS::Queue', 0);

    const remoteTargets = producerTemplate.toJSON().Resources[logicalId(producerStack, remote)].Properties.Targets;
    expect(remoteTargets).toEqual([{
      Id: 'Target0',
      Arn: { 'Fn::ImportValue': expect.stringMatching(/^Workers:ExportsOutputFnGetAttWorkerWakeUpQueue[0-9A-F]{8}Arn[0-9A-F]{8}$/) },
      InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '{"wakeUpAt":<time>}' },
      SqsParameters: { MessageGroupId: 'wake-up' },
      DeadLetterConfig: { Arn: { 'Fn::ImportValue': expect.stringMatching(/^Workers:ExportsOutputFnGetAttWorkerWakeUpEventDeadLetterQueue[0-9A-F]{8}Arn[0-9A-F]{8}$/) } },
      RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
    }]);
    const localTargets = workerTemplate.toJSON().Resources[logicalId(workerStack, local)].Properties.Targets;
    expect(localTargets).toHaveLength(1);
    expect(localTargets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(workerStack, pathOf(worker).queue), 'Arn'] });
    // The worker's stack names no rule of the producer's.
    expect(JSON.stringify(workerTemplate.toJSON())).not.toContain('RemoteOrders');
  });

  test('wakeOn on a queue-only worker with wakeUp: false is refused', () => {
    const stack = newStack();
    const { worker } = buildQueueOnly(stack, { wakeUp: false });
    expect(() => worker.wakeOn(ordersRule(stack))).toThrow(
      /Test\/Worker: wakeOn\(Test\/Orders\) was called, but wakeUp is off \(it is only on by default with minTasks 0\)\. Set wakeUp: true with minTasks: 0/);
  });
});

describe('metricWakeUps()', () => {
  let b: Built;
  beforeAll(() => {
    b = build();
  });

  test('defaults: the WakeUps sum per minute of this service', () => {
    const metric = b.worker.metricWakeUps();
    expect(metric.namespace).toBe('cdk-ecs-workloads');
    expect(metric.metricName).toBe('WakeUps');
    expect(metric.statistic).toBe('Sum');
    expect(metric.period.toSeconds()).toBe(60);
    expect(b.stack.resolve(metric.dimensions)).toEqual({
      ClusterName: { Ref: logicalId(b.stack, b.cluster.cluster) },
      ServiceName: { 'Fn::GetAtt': [logicalId(b.stack, b.worker.service), 'Name'] },
    });
  });

  test('overrides', () => {
    const metric = b.worker.metricWakeUps({ period: Duration.minutes(5), statistic: 'Maximum', label: 'wake-ups' });
    expect(metric.period.toSeconds()).toBe(300);
    expect(metric.statistic).toBe('Maximum');
    expect(metric.label).toBe('wake-ups');
    expect(metric.metricName).toBe('WakeUps');
  });
});

describe('removalPolicy', () => {
  test('the wake-up queues and the state machine log group follow removalPolicy', () => {
    const wakeUpPolicies = (b: Built) => statefulPolicies(pathOf(b.worker));
    expect(wakeUpPolicies(build())).toEqual([
      'Test/Worker/WakeUp/DeadLetterQueue/Resource: Retain/Retain',
      'Test/Worker/WakeUp/EventDeadLetterQueue/Resource: Retain/Retain',
      'Test/Worker/WakeUp/Queue/Resource: Retain/Retain',
      'Test/Worker/WakeUp/StateMachineLogs/Resource: Retain/Retain',
    ]);
    const destroyed = build(() => ({ removalPolicy: RemovalPolicy.DESTROY }));
    expect(wakeUpPolicies(destroyed)).toEqual([
      'Test/Worker/WakeUp/DeadLetterQueue/Resource: Delete/Delete',
      'Test/Worker/WakeUp/EventDeadLetterQueue/Resource: Delete/Delete',
      'Test/Worker/WakeUp/Queue/Resource: Delete/Delete',
      'Test/Worker/WakeUp/StateMachineLogs/Resource: Delete/Delete',
    ]);
    destroyed.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/') },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });
});

describe('compliance', () => {
  test('default worker has no unacknowledged finding and deploys', async () => {
    const b = build();
    expectCompliant(b.stack);
    await expectDeployable(b.stack);
  });

  test('queue-only worker woken by a rule of another stack has no unacknowledged finding and deploys', async () => {
    const app = new App();
    const workerStack = new Stack(app, 'Workers', { env });
    const producerStack = new Stack(app, 'Producer', { env });
    const { worker } = buildQueueOnly(workerStack);
    worker.wakeOn(ordersRule(producerStack));
    expectCompliant(workerStack);
    expectCompliant(producerStack);
    await expectDeployable(workerStack);
  });
});
