import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Capacity, WorkloadCluster, WorkloadVolume } from '../../src';
import { BatchQueueWorker, BatchQueueWorkerProps } from '../../src/batch-queue-worker/batch-queue-worker';
import { buildBucket } from '../../src/core/resources';
import { expectCompliant, newStack, stableTemplate, statefulPolicies } from '../compliance';
import { expectDeployable } from '../deploy-proof';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');

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

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as any);
}

/** Every statement of every managed policy attached to the worker's task role. */
function taskRoleStatements(b: Built): any[] {
  const roleId = logicalId(b.stack, b.worker.taskDefinition.taskRole as any);
  const policies = b.template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function actionsOf(statements: any[]): string[] {
  return statements.flatMap(s => [s.Action].flat());
}

/** The alarm that invokes the scaling policy with this construct id. */
function alarmFor(b: Built, policyConstructId: string): any {
  const policyId = logicalId(b.stack, b.worker.node.findChild(policyConstructId) as any);
  const alarms = b.template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmActions: [{ Ref: policyId }] } });
  const found = Object.values(alarms);
  expect(found).toHaveLength(1);
  return (found[0] as any).Properties;
}

function warnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map(w => String(w.entry.data));
}

describe('default configuration', () => {
  let b: Built;
  beforeAll(() => {
    b = build();
  });

  test('synthesizes no Lambda function and no custom resource', () => {
    b.template.resourceCountIs('AWS::Lambda::Function', 0);
    b.template.resourceCountIs('AWS::CloudFormation::CustomResource', 0);
    const types = Object.values(b.template.toJSON().Resources).map((r: any) => r.Type as string);
    expect(types.filter(t => t.startsWith('Custom::'))).toEqual([]);
  });

  test('queue: encrypted with the cluster key, visibility = jobTimeout + 2 min, DLQ after 3 receives, retained', () => {
    const dlqId = logicalId(b.stack, b.worker.deadLetterQueue as sqs.Queue);
    b.template.hasResource('AWS::SQS::Queue', {
      Properties: {
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(b.stack, b.cluster.encryptionKey as kms.Key), 'Arn'] },
        VisibilityTimeout: 1020,
        MessageRetentionPeriod: 1209600,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('dead-letter queue: 14-day retention, encrypted, retained', () => {
    b.template.hasResource('AWS::SQS::Queue', {
      Properties: { MessageRetentionPeriod: 1209600, KmsMasterKeyId: Match.anyValue(), RedrivePolicy: Match.absent() },
      DeletionPolicy: 'Retain',
    });
    // The job queue and its dead-letter queue, and the wake-up path's three (checked in wake-up.test.ts).
    b.template.resourceCountIs('AWS::SQS::Queue', 5);
  });

  test('queues accept TLS only', () => {
    b.template.resourcePropertiesCountIs('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    }, 5);
    b.template.resourceCountIs('AWS::SQS::QueuePolicy', 5);
  });

  test('input bucket: KMS, versioned, TLS only, EventBridge on natively, access logs, retained', () => {
    b.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
        LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: Match.stringLikeRegexp('^TestWorker[0-9A-F]{8}/$') },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(b.worker.inputBucket).toBeInstanceOf(s3.Bucket);
    b.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(b.stack, b.worker.inputBucket as s3.Bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  test('rule: every Object Created event of the input bucket goes to the queue, with retries and a DLQ', () => {
    const w = b.worker;
    b.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: logicalId(b.stack, w.inputBucket as s3.Bucket) }] }, object: Match.absent() },
      },
      // The second target is the wake-up path (wake-up.test.ts).
      Targets: [{
        Arn: { 'Fn::GetAtt': [logicalId(b.stack, w.queue as sqs.Queue), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(b.stack, w.deadLetterQueue as sqs.Queue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        Id: 'Target0',
      }, Match.objectLike({ Id: 'Target1' })],
    });
  });

  test('only this rule may send to the queue; EventBridge may use the cluster key', () => {
    b.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Deny',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: Match.anyValue(),
          Condition: { ArnNotEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(b.stack, b.worker.rule!), 'Arn'] } } },
        }]),
      },
    });
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

  test('service: Fargate Spot, private, rolling with circuit breaker, desired count left to scaling', () => {
    b.template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
      DesiredCount: Match.absent(),
      LaunchType: Match.absent(),
      EnableECSManagedTags: true,
      PropagateTags: 'SERVICE',
    });
    expect(b.worker.service).toBeInstanceOf(ecs.FargateService);
  });

  test('container: 120 s stop timeout and the documented environment', () => {
    b.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        StopTimeout: 120,
        Environment: [
          { Name: 'QUEUE_URL', Value: { Ref: logicalId(b.stack, b.worker.queue as sqs.Queue) } },
          { Name: 'JOB_TIMEOUT_SECONDS', Value: '900' },
          { Name: 'INPUT_BUCKET', Value: { Ref: logicalId(b.stack, b.worker.inputBucket as s3.Bucket) } },
          { Name: 'INPUT_PREFIX', Value: '' },
        ],
      })],
    });
  });

  test('task role: consumes its queue, reads the input objects, manages its own protection; no wildcard action', () => {
    const statements = taskRoleStatements(b);
    expect(actionsOf(statements).filter(a => a.includes('*'))).toEqual([]);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: { 'Fn::GetAtt': [logicalId(b.stack, b.worker.queue as sqs.Queue), 'Arn'] },
      }),
      expect.objectContaining({ Action: 'kms:Decrypt' }),
      expect.objectContaining({
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(b.stack, b.worker.inputBucket as s3.Bucket), 'Arn'] }, '/*']] },
      }),
      expect.objectContaining({
        Action: ['ecs:GetTaskProtection', 'ecs:UpdateTaskProtection'],
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-east-1:123456789012:task/', { Ref: logicalId(b.stack, b.cluster.cluster as ecs.Cluster) }, '/*']],
        },
      }),
    ]));
    expect(actionsOf(statements)).not.toContain('s3:PutObject');
    expect(statements).toHaveLength(4);
  });

  test('scaling target: 0 to maxTasks through the ECS service-linked role', () => {
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
      RoleARN: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService']] },
    });
    b.template.resourceCountIs('AWS::IAM::Role', 5 /* task, execution, cluster flow logs, wake-up pipe and state machine */);
  });

  test('target tracking on backlog per task computed with metric math, scale-out only', () => {
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 1,
        DisableScaleIn: true,
        ScaleOutCooldown: 60,
        PredefinedMetricSpecification: Match.absent(),
        CustomizedMetricSpecification: {
          Metrics: [
            Match.objectLike({ Id: 'visible', ReturnData: false, MetricStat: { Metric: Match.objectLike({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' }), Stat: 'Maximum' } }),
            Match.objectLike({
              Id: 'running',
              ReturnData: false,
              MetricStat: {
                Metric: {
                  Namespace: 'ECS/ContainerInsights',
                  MetricName: 'RunningTaskCount',
                  Dimensions: [
                    { Name: 'ClusterName', Value: { Ref: logicalId(b.stack, b.cluster.cluster as ecs.Cluster) } },
                    { Name: 'ServiceName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkerService'), 'Name'] } },
                  ],
                },
                Stat: 'Average',
              },
            }),
            // A missing running-task datapoint gives no value: FILL(running, 0) would read it as "no task" and scale to the whole backlog.
            { Id: 'backlogPerTask', Expression: 'visible / IF(running < 1, 1, running)', Label: Match.anyValue(), ReturnData: true },
          ],
        },
      },
    });
  });

  test('no CPU or memory policy: four policies, none predefined', () => {
    b.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 4);
    const policies = Object.values(b.template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'));
    expect(policies.filter((p: any) => p.Properties.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification)).toEqual([]);
  });

  test('fast path from zero: one 60-second period with a message waiting and no task wanted adds a task', () => {
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      },
    });
    const alarm = alarmFor(b, 'ScaleOutFromZero');
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    // A late desired-count datapoint reads as 0, so the fast path also waits for no job in flight, and
    // for no wake-up in the same minute (which has started a task already).
    expect(alarm.Metrics[0].Expression).toBe('IF(FILL(desired, 0) + FILL(inFlight, 0) + FILL(wakeUps, 0) < 1, visible, 0)');
    expect(alarm.Metrics.find((m: any) => m.Id === 'desired').MetricStat.Metric.MetricName).toBe('DesiredTaskCount');
    expect(alarm.Metrics.find((m: any) => m.Id === 'inFlight').MetricStat.Metric.MetricName).toBe('ApproximateNumberOfMessagesNotVisible');
  });

  test('worst-case delay from the first message to the first scale-out, read from the template, is 60 seconds', () => {
    const alarm = alarmFor(b, 'ScaleOutFromZero');
    const periods = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Period);
    const delay = Math.max(...periods) * alarm.EvaluationPeriods;
    expect(delay).toBe(60);
    expect(b.worker.scaleOutFromZeroSeconds).toBe(delay);
  });

  test('scale-in to zero only after 5 minutes with no message visible or in flight', () => {
    const alarm = alarmFor(b, 'ScaleInWhenIdle');
    expect(alarm).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      EvaluationPeriods: 5,
      // SQS publishes nothing for a queue idle for hours: no data means an empty queue here.
      TreatMissingData: 'breaching',
    });
    // A wake-up holds the scale-in off while SQS has not yet published the metrics of a queue that was idle.
    expect(alarm.Metrics[0].Expression).toBe('FILL(visible, 0) + FILL(inFlight, 0) + FILL(IF(FILL(visible, -1) < 0, hold, 0), 0)');
    expect(alarm.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName).filter(Boolean))
      .toEqual(['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible', 'WakeUpHold']);
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: { AdjustmentType: 'ExactCapacity', StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 0 }] },
    });
  });

  test('surplus tasks (running beyond in flight, none waiting) are removed, never more than the surplus', () => {
    const alarm = alarmFor(b, 'ScaleInSurplus');
    expect(alarm).toMatchObject({ Threshold: 1, EvaluationPeriods: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(alarm.Metrics[0].Expression).toBe('IF(FILL(visible, 0) + FILL(IF(FILL(visible, -1) < 0, hold, 0), 0) < 1, running - FILL(inFlight, 0), 0)');
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 4, ScalingAdjustment: -1 },
          { MetricIntervalLowerBound: 4, MetricIntervalUpperBound: 19, ScalingAdjustment: -5 },
          { MetricIntervalLowerBound: 19, ScalingAdjustment: -20 },
        ],
      },
    });
  });

  test('operator alarms: DLQ non-empty and oldest message older than jobTimeout + 1 h notify an encrypted topic', () => {
    const topicId = logicalId(b.stack, b.worker.alarmTopic as sns.Topic);
    b.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    b.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: topicId }],
      // Nothing consumes the dead-letter queue, so its in-flight metric is never published.
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'visible + FILL(inFlight, 0)' })]),
      Threshold: 1,
    });
    b.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: topicId }],
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 4500,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(b.worker.deadLetterQueueAlarm).toBeDefined();
    b.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
    });
  });

  test('the alarm topic lets this account\'s CloudWatch alarms publish (its topic policy replaces the default one)', () => {
    const topicId = logicalId(b.stack, b.worker.alarmTopic as sns.Topic);
    b.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: { Ref: topicId },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:123456789012:alarm:*']] } },
          },
        })]),
      },
    });
  });

  test('the service starts after the cluster\'s capacity provider association and is deleted before it', () => {
    const services = b.template.findResources('AWS::ECS::Service');
    const association = Object.keys(b.template.findResources('AWS::ECS::ClusterCapacityProviderAssociations'));
    expect(association).toHaveLength(1);
    expect(Object.values(services).map((r: any) => r.DependsOn)).toEqual([expect.arrayContaining(association)]);
  });

  test('metric helpers', () => {
    const w = b.worker;
    const backlog = w.metricBacklogPerTask();
    expect(backlog.expression).toBe('visible / IF(running < 1, 1, running)');
    expect(Object.keys(backlog.usingMetrics)).toEqual(['visible', 'running']);
    expect(w.metricVisibleMessages().metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(w.metricVisibleMessages().statistic).toBe('Maximum');
    expect(w.metricInFlightMessages().metricName).toBe('ApproximateNumberOfMessagesNotVisible');
    expect(w.metricRunningTasks({ statistic: 'Maximum' })).toMatchObject({ namespace: 'ECS/ContainerInsights', metricName: 'RunningTaskCount', statistic: 'Maximum' });
    expect(w.grantPrincipal).toBe(w.taskDefinition.taskRole);
    expect(w.connections.securityGroups).toHaveLength(1);
    expect(w.outputBucket).toBeUndefined();
    expect(w.rule).toBeDefined();
  });

  test('snapshot', () => {
    expect(stableTemplate(b.stack)).toMatchSnapshot();
  });
});

describe('overrides', () => {
  test('minTasks > 0: no fast path, idle scale-in goes to minTasks', () => {
    const b = build(() => ({ minTasks: 2 }));
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    b.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 3);
    expect(b.worker.node.tryFindChild('ScaleOutFromZero')).toBeUndefined();
    expect(b.worker.scaleOutFromZeroSeconds).toBe(0);
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: { AdjustmentType: 'ExactCapacity', StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 2 }] },
    });
  });

  test('backlogPerTaskTarget and scaleInIdlePeriod', () => {
    const b = build(() => ({ backlogPerTaskTarget: 2.5, scaleInIdlePeriod: Duration.minutes(10) }));
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 2.5 }),
    });
    expect(alarmFor(b, 'ScaleInWhenIdle').EvaluationPeriods).toBe(10);
    expect(alarmFor(b, 'ScaleInSurplus').EvaluationPeriods).toBe(10);
  });

  test('jobTimeout sets visibility, environment and the age alarm', () => {
    const b = build(() => ({ jobTimeout: Duration.hours(1) }));
    b.template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 3720 });
    b.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'JOB_TIMEOUT_SECONDS', Value: '3600' }]) })],
    });
    b.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 7200 });
  });

  test('a 12-hour jobTimeout caps the visibility timeout at the SQS limit', () => {
    const b = build(() => ({ jobTimeout: Duration.hours(12) }));
    b.template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 43200 });
  });

  test('visibilityTimeout, maxReceiveCount and maxMessageAge', () => {
    const b = build(() => ({ visibilityTimeout: Duration.minutes(30), maxReceiveCount: 5, maxMessageAge: Duration.minutes(20) }));
    b.template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 1800,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    b.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 1200 });
  });

  test.each([
    ['inputPrefix only', { inputPrefix: 'in/' }, [{ prefix: 'in/' }]],
    ['inputSuffix only', { inputSuffix: '.csv' }, [{ suffix: '.csv' }]],
    ['both, as a wildcard with * escaped', { inputPrefix: 'in/a*b/', inputSuffix: '.csv' }, [{ wildcard: 'in/a\\*b/*.csv' }]],
  ])('key filter: %s', (_name, props, key) => {
    const b = build(() => props);
    b.template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { object: { key } } } });
  });

  test('inputPrefix scopes the read grant and the environment', () => {
    const b = build(() => ({ inputPrefix: 'in/', inputSuffix: '.csv' }));
    const read = taskRoleStatements(b).find(s => [s.Action].flat().includes('s3:GetObject'));
    expect(read.Resource['Fn::Join'][1][1]).toBe('/in/*');
    b.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        Environment: Match.arrayWith([{ Name: 'INPUT_PREFIX', Value: 'in/' }, { Name: 'INPUT_SUFFIX', Value: '.csv' }]),
      })],
    });
  });

  test('outputPrefix alone writes under that prefix of the input bucket', () => {
    const b = build(() => ({ inputPrefix: 'input/', outputPrefix: 'output/' }));
    expect(b.worker.outputBucket).toBe(b.worker.inputBucket);
    const write = taskRoleStatements(b).find(s => [s.Action].flat().includes('s3:PutObject'));
    expect(write.Action).toEqual(['s3:PutObject', 's3:AbortMultipartUpload']);
    expect(write.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(b.stack, b.worker.inputBucket as s3.Bucket), 'Arn'] }, '/output/*']] });
    b.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        Environment: Match.arrayWith([
          { Name: 'OUTPUT_BUCKET', Value: { Ref: logicalId(b.stack, b.worker.inputBucket as s3.Bucket) } },
          { Name: 'OUTPUT_PREFIX', Value: 'output/' },
        ]),
      })],
    });
  });

  test('outputBucket with its own key: write and encrypt there only', () => {
    let out!: s3.Bucket;
    let key!: kms.Key;
    const b = build(stack => {
      key = new kms.Key(stack, 'OutKey', { enableKeyRotation: true });
      out = new s3.Bucket(stack, 'Out', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
      return { outputBucket: out };
    });
    expect(b.worker.outputBucket).toBe(out);
    const statements = taskRoleStatements(b);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(b.stack, out), 'Arn'] }, '/*']] },
      }),
      expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [logicalId(b.stack, key), 'Arn'] } }),
    ]));
    expect(actionsOf(statements).filter(a => a.includes('*'))).toEqual([]);
  });

  test('imported inputBucket: no bucket created, rule on its name, warning about EventBridge', () => {
    const b = build(stack => ({ inputBucket: s3.Bucket.fromBucketName(stack, 'Imported', 'my-uploads') }));
    b.template.resourceCountIs('AWS::S3::Bucket', 0);
    b.template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { bucket: { name: ['my-uploads'] } } } });
    const read = taskRoleStatements(b).find(s => [s.Action].flat().includes('s3:GetObject'));
    expect(read.Resource['Fn::Join'][1]).toEqual(['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-uploads/*']);
    expect(warnings(b.stack).join('\n')).toMatch(/Send notifications to Amazon EventBridge/);
  });

  test('queue-only mode: no bucket, no rule, no S3 access, the queue\'s DLQ is alarmed', () => {
    let queue!: sqs.Queue;
    let dlq!: sqs.Queue;
    const b = build(stack => {
      dlq = new sqs.Queue(stack, 'MyDlq', { enforceSSL: true });
      queue = new sqs.Queue(stack, 'MyQueue', { visibilityTimeout: Duration.minutes(20), deadLetterQueue: { queue: dlq, maxReceiveCount: 2 } });
      return { queue };
    });
    expect(b.worker.queue).toBe(queue);
    expect(b.worker.deadLetterQueue).toBe(dlq);
    expect(b.worker.inputBucket).toBeUndefined();
    expect(b.worker.rule).toBeUndefined();
    b.template.resourceCountIs('AWS::S3::Bucket', 0);
    b.template.resourceCountIs('AWS::Events::Rule', 0);
    b.template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(actionsOf(taskRoleStatements(b)).filter(a => a.startsWith('s3:'))).toEqual([]);
    const env = b.template.findResources('AWS::ECS::TaskDefinition');
    const names = (Object.values(env)[0] as any).Properties.ContainerDefinitions[0].Environment.map((e: any) => e.Name);
    expect(names).toEqual(['QUEUE_URL', 'JOB_TIMEOUT_SECONDS']);
    b.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Id: 'visible', MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(b.stack, dlq), 'QueueName'] } }] }) }) })]),
    });
    expect(warnings(b.stack)).toEqual([]);
  });

  test('queue-only mode with outputBucket', () => {
    const b = build(stack => ({
      queue: new sqs.Queue(stack, 'Q', { visibilityTimeout: Duration.minutes(20) }),
      outputBucket: new s3.Bucket(stack, 'Out'),
      outputPrefix: 'results/',
    }));
    const write = taskRoleStatements(b).find(s => [s.Action].flat().includes('s3:PutObject'));
    expect(write.Resource['Fn::Join'][1][1]).toBe('/results/*');
    expect(warnings(b.stack).join('\n')).toMatch(/has no dead-letter queue/);
    expect(b.worker.deadLetterQueueAlarm).toBeUndefined();
  });

  test('an imported queue gets a warning about its visibility timeout and dead-letter queue', () => {
    const b = build(stack => ({ queue: sqs.Queue.fromQueueArn(stack, 'Q', 'arn:aws:sqs:us-east-1:123456789012:jobs') }));
    expect(warnings(b.stack).join('\n')).toMatch(/visibility timeout is at least jobTimeout \(15 minutes\)/);
    expect(b.worker.deadLetterQueue).toBeUndefined();
  });

  test('taskProtection false grants no task protection call', () => {
    const b = build(() => ({ taskProtection: false }));
    expect(actionsOf(taskRoleStatements(b)).filter(a => a.startsWith('ecs:'))).toEqual([]);
  });

  test('alarmTopic: the operator alarms notify the given topic and no topic is created', () => {
    let topic!: sns.Topic;
    const b = build(stack => {
      topic = new sns.Topic(stack, 'Ops', { enforceSSL: true });
      return { alarmTopic: topic };
    });
    b.template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(b.worker.alarmTopic).toBe(topic);
    // Dead letters, oldest message age, failed wake-ups.
    b.template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: logicalId(b.stack, topic) }] }, 3);
  });

  test('capacity: on-demand Fargate', () => {
    const b = build(() => ({ capacity: Capacity.fargate() }));
    b.template.hasResourceProperties('AWS::ECS::Service', { CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }] });
  });

  test('capacity: EC2 capacity provider with placement', () => {
    const b = build((_stack, cluster) => {
      const provider = cluster.addAsgCapacity('Arm', {
        instanceType: new ec2.InstanceType('m7g.large'),
        additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
        maxCapacity: 2,
      });
      return { capacity: Capacity.ec2(provider), placementStrategies: [ecs.PlacementStrategy.packedByCpu()] };
    });
    expect(b.worker.service).toBeInstanceOf(ecs.Ec2Service);
    b.template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [Match.objectLike({ CapacityProvider: { Ref: Match.stringLikeRegexp('ClusterArmCapacityProvider') } })],
      PlacementStrategies: [{ Type: 'binpack', Field: 'CPU' }],
    });
  });

  test('container options: stopTimeout, environment, EFS volume opens NFS from the tasks', () => {
    const b = build((stack, cluster) => {
      const fileSystem = new efs.FileSystem(stack, 'Fs', { vpc: cluster.vpc, encrypted: true });
      return {
        stopTimeout: Duration.seconds(60),
        environment: { LOG_LEVEL: 'debug' },
        volumes: [WorkloadVolume.efs({ fileSystem, containerPath: '/models' })],
      };
    });
    b.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ StopTimeout: 60, Environment: Match.arrayWith([{ Name: 'LOG_LEVEL', Value: 'debug' }]) })],
    });
    b.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 2049,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkerSecurityGroup'), 'GroupId'] },
    });
  });
});

describe('rejects invalid input', () => {
  const queue = (stack: Stack, visibility = Duration.hours(1)) => new sqs.Queue(stack, 'Q', { visibilityTimeout: visibility });
  test.each<[string, (stack: Stack) => Partial<BatchQueueWorkerProps>, RegExp]>([
    ['jobTimeout above the 12-hour SQS limit', () => ({ jobTimeout: Duration.hours(13) }), /jobTimeout must be a whole number between 1 and 43200 seconds, got 46800\. SQS hides/],
    ['jobTimeout of 0', () => ({ jobTimeout: Duration.seconds(0) }), /jobTimeout must be .* got 0/],
    ['minTasks above maxTasks', () => ({ minTasks: 5, maxTasks: 2 }), /minTasks \(5\) must not exceed maxTasks \(2\)\. Lower minTasks or raise maxTasks/],
    ['maxTasks below 1', () => ({ maxTasks: 0 }), /maxTasks must be a whole number between 1 and 5000, got 0/],
    ['negative minTasks', () => ({ minTasks: -1 }), /minTasks must be .* got -1/],
    ['maxReceiveCount below 1', () => ({ maxReceiveCount: 0 }), /maxReceiveCount must be a whole number between 1 and 1000, got 0\. SQS moves/],
    ['maxReceiveCount above 1000', () => ({ maxReceiveCount: 1001 }), /maxReceiveCount .* got 1001/],
    ['both queue and inputBucket', s => ({ queue: queue(s), inputBucket: s3.Bucket.fromBucketName(s, 'B', 'input-bucket') }), /queue and inputBucket were both given.*remove inputBucket, or remove queue/],
    ['inputPrefix with queue', s => ({ queue: queue(s), inputPrefix: 'in/' }), /inputPrefix \('in\/'\) filters objects of the input bucket, but queue was given.*remove inputPrefix/],
    ['inputSuffix with queue', s => ({ queue: queue(s), inputSuffix: '.csv' }), /inputSuffix \('\.csv'\) filters .*remove inputSuffix/],
    ['visibilityTimeout with queue', s => ({ queue: queue(s), visibilityTimeout: Duration.hours(1) }), /visibilityTimeout \(1 hour\) configures the queue this construct creates, but queue was given/],
    ['maxReceiveCount with queue', s => ({ queue: queue(s), maxReceiveCount: 2 }), /maxReceiveCount \(2\) configures the queue this construct creates/],
    ['outputPrefix without outputBucket in queue-only mode', s => ({ queue: queue(s), outputPrefix: 'out/' }), /outputPrefix \('out\/'\) was given without outputBucket, and queue-only mode has no input bucket.*Give outputBucket too, or remove outputPrefix/],
    ['a queue whose visibility timeout is shorter than jobTimeout', s => ({ queue: queue(s, Duration.seconds(30)) }), /queue has a visibility timeout of 30 seconds, shorter than jobTimeout \(900 seconds\).*lower jobTimeout/],
    ['inputPrefix with a leading slash', () => ({ inputPrefix: '/in/' }), /inputPrefix '\/in\/' starts with '\/'.*Remove the leading '\/' \(e\.g\. 'in\/'\)/],
    ['outputPrefix with a leading slash', () => ({ inputPrefix: 'in/', outputPrefix: '/out/' }), /outputPrefix '\/out\/' starts with '\/'/],
    ['outputPrefix inside inputPrefix', () => ({ inputPrefix: 'data/', outputPrefix: 'data/out/' }), /outputPrefix 'data\/out\/' overlaps inputPrefix 'data\/' in the same bucket.*give an outputBucket/],
    ['outputPrefix with the default (whole-bucket) inputPrefix', () => ({ outputPrefix: 'out/' }), /outputPrefix 'out\/' overlaps inputPrefix ''/],
    ['outputBucket = inputBucket with overlapping prefixes', s => {
      const bucket = s3.Bucket.fromBucketName(s, 'B', 'input-bucket');
      return { inputBucket: bucket, outputBucket: bucket, inputPrefix: 'in/' };
    }, /outputPrefix '' overlaps inputPrefix 'in\/'/],
    ['an empty inputSuffix', () => ({ inputSuffix: '' }), /inputSuffix is '', which matches every key/],
    ['backlogPerTaskTarget of 0', () => ({ backlogPerTaskTarget: 0 }), /backlogPerTaskTarget must be a finite number greater than 0, got 0\. Give the messages waiting per task/],
    ['infinite backlogPerTaskTarget', () => ({ backlogPerTaskTarget: Infinity }), /backlogPerTaskTarget must be a finite number greater than 0, got Infinity/],
    ['jobTimeout of fractional seconds', () => ({ jobTimeout: Duration.millis(1500) }), /jobTimeout must be a whole number between 1 and 43200 seconds, got 1\.5/],
    ['negative backlogPerTaskTarget', () => ({ backlogPerTaskTarget: -2 }), /backlogPerTaskTarget must be a finite number greater than 0, got -2/],
    ['visibilityTimeout shorter than jobTimeout', () => ({ visibilityTimeout: Duration.minutes(5), jobTimeout: Duration.minutes(10) }), /visibilityTimeout \(300 seconds\) is shorter than jobTimeout \(600 seconds\).*Raise visibilityTimeout/],
    ['visibilityTimeout above 12 hours', () => ({ visibilityTimeout: Duration.hours(13) }), /visibilityTimeout must be .* got 46800\. SQS allows at most 12 hours/],
    ['scaleInIdlePeriod that is not whole minutes', () => ({ scaleInIdlePeriod: Duration.seconds(90) }), /scaleInIdlePeriod must be a whole number between 1 and 1440 minutes, got 1\.5/],
    ['scaleInIdlePeriod above a day', () => ({ scaleInIdlePeriod: Duration.days(2) }), /scaleInIdlePeriod .* got 2880/],
    ['maxMessageAge below a minute', () => ({ maxMessageAge: Duration.seconds(30) }), /maxMessageAge must be .* got 30/],
    ['stopTimeout above 120 seconds', () => ({ stopTimeout: Duration.seconds(121) }), /stopTimeout must be .* between 2 and 120 seconds, got 121/],
    ['placement on Fargate', () => ({ placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()] }), /placementStrategies \(1 given\) apply to EC2 capacity only/],
    ['removalPolicy SNAPSHOT', () => ({ removalPolicy: RemovalPolicy.SNAPSHOT }),
      /Test\/Worker: removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only.*Use RemovalPolicy\.RETAIN/],
  ])('rejects %s', (_name, extra, message) => {
    expect(() => build(extra)).toThrow(message);
  });

  test('rejects a cluster without Container Insights, whose task counts the scaling reads', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster', { containerInsights: ecs.ContainerInsights.DISABLED });
    expect(() => new BatchQueueWorker(stack, 'Worker', { cluster, image, maxTasks: 2 })).toThrow(
      /Test\/Worker: cluster 'Test\/Cluster' has containerInsights 'disabled', but the worker scales on the running and desired task counts .* set it to ENABLED/);
  });

  test.each([ecs.ContainerInsights.ENABLED, ecs.ContainerInsights.ENHANCED])('accepts a cluster with Container Insights %s', (containerInsights) => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster', { containerInsights });
    expect(() => new BatchQueueWorker(stack, 'Worker', { cluster, image, maxTasks: 2 })).not.toThrow();
  });
});

describe('given alarm topics', () => {
  test('an sns.Topic with a topic policy gets the CloudWatch allow; one without keeps its default policy', () => {
    const b = build(stack => ({ alarmTopic: new sns.Topic(stack, 'Mine', { enforceSSL: true }) }));
    b.template.resourceCountIs('AWS::SNS::TopicPolicy', 1);
    b.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
    const plain = build(stack => ({ alarmTopic: new sns.Topic(stack, 'Plain') }));
    // A TopicPolicy would replace the default policy, which already lets this account's alarms publish.
    plain.template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
  });
});

describe('compliance', () => {
  test('default configuration has no unacknowledged finding', async () => {
    expectCompliant(build().stack);
    await expectDeployable(build().stack);
  });

  test('fully customised configuration has no unacknowledged finding', async () => {
    const b = build((stack, cluster) => {
      const provider = cluster.addAsgCapacity('Arm', {
        instanceType: new ec2.InstanceType('m7g.large'),
        additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
        maxCapacity: 2,
      });
      const outputs = buildBucket(stack, 'Results', {
        encryptionKey: cluster.encryptionKey,
        serverAccessLogsBucket: cluster.accessLogsBucket,
        eventBridgeEnabled: true,
      });
      return {
        capacity: Capacity.ec2(provider),
        placementStrategies: [ecs.PlacementStrategy.packedByCpu()],
        cpu: 1024,
        memoryLimitMiB: 2048,
        minTasks: 1,
        maxTasks: 4,
        backlogPerTaskTarget: 3,
        scaleInIdlePeriod: Duration.minutes(15),
        jobTimeout: Duration.hours(2),
        maxReceiveCount: 5,
        maxMessageAge: Duration.hours(4),
        inputPrefix: 'incoming/',
        inputSuffix: '.pdf',
        outputBucket: outputs,
        outputPrefix: 'text/',
        environment: { LOG_LEVEL: 'info' },
      };
    });
    // The user's own plain variable is the user's call, as with any task definition.
    Validations.of(b.worker.taskDefinition).acknowledge({ id: 'AwsSolutions-ECS2', reason: 'LOG_LEVEL is not a secret.' });
    expectCompliant(b.stack);
    await expectDeployable(b.stack);
  });
});


describe('removalPolicy', () => {
  test('by default the input bucket, the queue, the dead-letter queue and the log group are retained', () => {
    expect(statefulPolicies(build().worker)).toEqual([
      'Test/Worker/DeadLetterQueue/Resource: Retain/Retain',
      'Test/Worker/InputBucket/Resource: Retain/Retain',
      'Test/Worker/LogGroup/Resource: Retain/Retain',
      'Test/Worker/Queue/Resource: Retain/Retain',
      'Test/Worker/WakeUp/DeadLetterQueue/Resource: Retain/Retain',
      'Test/Worker/WakeUp/EventDeadLetterQueue/Resource: Retain/Retain',
      'Test/Worker/WakeUp/Queue/Resource: Retain/Retain',
      'Test/Worker/WakeUp/StateMachineLogs/Resource: Retain/Retain',
    ]);
  });

  test('DESTROY deletes them with the stack, and leaves the cluster\'s resources retained', () => {
    const b = build(() => ({ removalPolicy: RemovalPolicy.DESTROY }));
    expect(statefulPolicies(b.worker)).toEqual([
      'Test/Worker/DeadLetterQueue/Resource: Delete/Delete',
      'Test/Worker/InputBucket/Resource: Delete/Delete',
      'Test/Worker/LogGroup/Resource: Delete/Delete',
      'Test/Worker/Queue/Resource: Delete/Delete',
      'Test/Worker/WakeUp/DeadLetterQueue/Resource: Delete/Delete',
      'Test/Worker/WakeUp/EventDeadLetterQueue/Resource: Delete/Delete',
      'Test/Worker/WakeUp/Queue/Resource: Delete/Delete',
      'Test/Worker/WakeUp/StateMachineLogs/Resource: Delete/Delete',
    ]);
    expect(statefulPolicies(b.cluster).every(p => p.endsWith('Retain/Retain'))).toBe(true);
  });

  test('a given queue and bucket are never touched', () => {
    const b = build(stack => ({
      queue: new sqs.Queue(stack, 'Jobs', { visibilityTimeout: Duration.hours(1), removalPolicy: RemovalPolicy.RETAIN }),
      removalPolicy: RemovalPolicy.DESTROY,
    }));
    expect(statefulPolicies(b.worker)).toEqual(['Test/Worker/LogGroup/Resource: Delete/Delete']);
    expect(statefulPolicies(b.stack.node.findChild('Jobs'))).toEqual(['Test/Jobs/Resource: Retain/Retain']);
  });
});

describe('alarm topic display name', () => {
  test('is cut to the 100 characters SNS allows when the construct path is long', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const id = 'W'.repeat(120);
    new BatchQueueWorker(stack, id, { cluster, image, maxTasks: 1 });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Topic', { DisplayName: `Alarms of Test/${id}`.slice(0, 100) });
  });
});

describe('cluster in another stack', () => {
  test('the input bucket logs into the cluster stack\'s access log bucket without a dependency cycle', () => {
    const clusterStack = newStack('ClusterStack');
    const cluster = new WorkloadCluster(clusterStack, 'Cluster');
    const workerStack = new Stack(clusterStack.node.root, 'WorkerStack', { env: { account: '123456789012', region: 'us-east-1' } });
    new BatchQueueWorker(workerStack, 'Worker', { cluster, image, maxTasks: 2 });
    // A cycle would throw here.
    const clusterTemplate = Template.fromStack(clusterStack);
    Template.fromStack(workerStack).hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: Match.stringLikeRegexp('^WorkerStackWorker[0-9A-F]+/$') },
    });
    // Across stacks, delivery is bound to the account and the worker's prefix, not to the bucket's ARN.
    clusterTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::*']] } },
            StringEquals: { 'aws:SourceAccount': '123456789012' },
          },
        })]),
      },
    });
  });
});
