import { CfnElement, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Capacity, WorkloadCluster, WorkloadVolume } from '../../src';
import { ScheduledTask, ScheduledTaskProps } from '../../src/scheduled-task/scheduled-task';
import { expectCompliant, newStack, stableTemplate, statefulPolicies } from '../compliance';
import { expectDeployable } from '../deploy-proof';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
const nightly = scheduler.ScheduleExpression.cron({ hour: '2', minute: '30', timeZone: TimeZone.EUROPE_BERLIN });

interface Fixture {
  readonly stack: Stack;
  readonly cluster: WorkloadCluster;
  readonly job: ScheduledTask;
  readonly template: Template;
}

function build(props: Partial<ScheduledTaskProps> = {}, setup?: (stack: Stack, cluster: WorkloadCluster) => Partial<ScheduledTaskProps>): Fixture {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const extra = setup?.(stack, cluster) ?? {};
  const job = new ScheduledTask(stack, 'Job', { cluster, image, schedule: nightly, ...props, ...extra });
  return { stack, cluster, job, template: Template.fromStack(stack) };
}

function armProvider(cluster: WorkloadCluster): ecs.AsgCapacityProvider {
  return cluster.addAsgCapacity('Arm', {
    instanceType: new ec2.InstanceType('m7g.large'),
    additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
    maxCapacity: 2,
  });
}

/** The state machine definition string with its tokens joined (references rendered as ${...}). */
function definition(template: Template): any {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.values(machines);
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as any[];
  return JSON.parse(parts.map(p => typeof p === 'string' ? p : `\${${JSON.stringify(p).replace(/"/g, '')}}`).join(''));
}

describe('defaults', () => {
  const { job, template, stack } = build();

  test('one EventBridge Scheduler schedule: cron in its time zone, enabled, on time, encrypted with the cluster key', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] },
      Description: 'Starts the runs of Test/Job',
      GroupName: Match.absent(),
      Name: Match.absent(),
      StartDate: Match.absent(),
      EndDate: Match.absent(),
    });
  });

  test('the schedule starts the task directly on on-demand Fargate in the private subnets', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobDeadLetterQueue'), 'Arn'] } },
        EcsParameters: {
          TaskDefinitionArn: { Ref: Match.stringLikeRegexp('^JobTaskDefinition') },
          CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
          LaunchType: Match.absent(),
          PropagateTags: Match.absent(),
          NetworkConfiguration: {
            AwsvpcConfiguration: {
              AssignPublicIp: 'DISABLED',
              Subnets: [{ Ref: Match.stringLikeRegexp('^ClusterVpcPrivateSubnet1') }, { Ref: Match.stringLikeRegexp('^ClusterVpcPrivateSubnet2') }],
              SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^JobSecurityGroup'), 'GroupId'] }],
            },
          },
        },
      },
    });
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    expect(job.stateMachine).toBeUndefined();
  });

  test('a Fargate ARM64 task definition with 256 CPU units and 512 MiB', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '256',
      Memory: '512',
      NetworkMode: 'awsvpc',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [Match.objectLike({ Name: 'main', Essential: true, ReadonlyRootFilesystem: true, User: '1000' })],
    });
  });

  test('the scheduler role: only EventBridge Scheduler of this account and default group, least privilege in a managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'EventBridge Scheduler starts the runs of Test/Job',
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': '123456789012',
              'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:us-east-1:123456789012:schedule-group/default']] },
            },
          },
        }],
      },
    });
    const statements = [
      Match.objectLike({ Action: 'iam:PassRole', Resource: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^JobTaskRole'), 'Arn'] }, { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobExecutionRole'), 'Arn'] }] }),
      { Action: 'ecs:RunTask', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^JobTaskDefinition') } },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobDeadLetterQueue'), 'Arn'] } },
      // the dead-letter queue's key, then the schedule's key
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] } },
    ];
    for (const statement of statements) {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        Description: 'Permissions of Test/Job/SchedulerRole',
        PolicyDocument: { Statement: Match.arrayWith([statement]) },
      });
    }
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: 'Permissions of Test/Job/SchedulerRole' } }))[0];
    expect(policy.Properties.PolicyDocument.Statement).toHaveLength(statements.length);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    expect(job.schedulerRole.roleArn).toBeDefined();
  });

  test('a dead-letter queue encrypted with the cluster key, kept 14 days, with an alarm that notifies the failure topic', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] },
      MessageRetentionPeriod: 1209600,
    });
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('could not start landed in the dead-letter queue of Test/Job'),
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^JobFailureTopic') }],
    });
    expect(job.deadLetterQueueAlarm.alarmArn).toBeDefined();
  });

  test('a failure topic encrypted with the cluster key, which EventBridge and CloudWatch may use', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] },
      DisplayName: 'Failed runs of Test/Job',
    });
    for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([{
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
            Principal: { Service: service },
            Resource: '*',
          }]),
        },
      });
    }
  });

  test('the failure rule matches stopped tasks of this family and cluster that failed to start or exited non-zero', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        'detail': {
          clusterArn: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] }],
          taskDefinitionArn: [{
            prefix: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecs:us-east-1:123456789012:task-definition/${job.taskDefinition.family}:`]] },
          }],
          lastStatus: ['STOPPED'],
          $or: [
            { stopCode: ['TaskFailedToStart'] },
            { containers: { exitCode: [{ 'anything-but': 0 }] } },
          ],
        },
      },
      Targets: [{
        Arn: { Ref: Match.stringLikeRegexp('^JobFailureTopic') },
        Id: 'Target0',
        InputTransformer: {
          InputPathsMap: {
            'time': '$.time',
            'detail-taskArn': '$.detail.taskArn',
            'detail-stopCode': '$.detail.stopCode',
            'detail-stoppedReason': '$.detail.stoppedReason',
          },
          InputTemplate: { 'Fn::Join': ['', [Match.stringLikeRegexp('^"Scheduled task Test/Job failed at <time>: task <detail-taskArn> stopped \\(stop code <detail-stopCode>: <detail-stoppedReason>\\)'), { Ref: Match.stringLikeRegexp('^JobLogGroup') }, Match.anyValue()]] },
        },
      }],
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } })]) },
    });
  });

  test('public members', () => {
    expect(job.grantPrincipal).toBe(job.taskDefinition.taskRole);
    expect(job.connections.securityGroups).toHaveLength(1);
    expect(job.container.containerName).toBe('main');
    expect(job.capacity.isFargate).toBe(true);
    expect(stack.resolve(job.schedule.scheduleName)).toEqual({ Ref: expect.stringMatching(/^JobSchedule/) });
    expect(stack.resolve(job.failureRule.ruleName)).toEqual({ Ref: expect.stringMatching(/^JobFailureRule/) });
    expect(stack.resolve(job.logGroup.logGroupName)).toEqual({ Ref: expect.stringMatching(/^JobLogGroup/) });
  });

  test('metric helpers', () => {
    const failed = job.metricFailedRuns();
    expect(failed.namespace).toBe('AWS/Events');
    expect(failed.metricName).toBe('TriggeredRules');
    expect(failed.statistic).toBe('Sum');
    expect(stack.resolve(failed.dimensions)).toEqual({ RuleName: { Ref: expect.stringMatching(/^JobFailureRule/) } });
    const dlq = job.metricDeadLetterMessages({ period: Duration.minutes(1) });
    expect(dlq.metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(dlq.statistic).toBe('Maximum');
    expect(dlq.period.toMinutes()).toBe(1);
  });

  test('no warning', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('compliant (cdk-nag AwsSolutions, NIST 800-53 r5, HIPAA; cfn-guard Control Tower)', async () => {
    expectCompliant(stack);
    await expectDeployable(stack);
  });

  test('snapshot', () => {
    expect(stableTemplate(stack)).toMatchSnapshot();
  });
});

describe('schedule overrides', () => {
  test('disabled', () => {
    build({ enabled: false }).template.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'DISABLED' });
  });

  test('flexible time window', () => {
    build({ flexibleTimeWindow: Duration.minutes(15) }).template.hasResourceProperties('AWS::Scheduler::Schedule', {
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
    });
  });

  test('retry policy', () => {
    build({ maxRetryAttempts: 0, maxEventAge: Duration.hours(24) }).template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: { RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 0 } },
    });
  });

  test('rate and one-time expressions', () => {
    build({ schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)) }).template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
    });
    build({ schedule: scheduler.ScheduleExpression.at(new Date(Date.UTC(2099, 0, 1, 6, 0, 0)), TimeZone.ASIA_TOKYO) })
      .template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'at(2099-01-01T06:00:00)',
        ScheduleExpressionTimezone: 'Asia/Tokyo',
      });
  });

  test('name, group, start and end', () => {
    const { template } = build({
      scheduleName: 'nightly-report',
      start: new Date(Date.UTC(2030, 0, 1)),
      end: new Date(Date.UTC(2031, 0, 1)),
    }, stack => ({ scheduleGroup: new scheduler.ScheduleGroup(stack, 'Group', { scheduleGroupName: 'reports' }) }));
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'nightly-report',
      GroupName: 'reports',
      StartDate: '2030-01-01T00:00:00.000Z',
      EndDate: '2031-01-01T00:00:00.000Z',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^Group'), 'Arn'] } } },
        })],
      },
    });
  });
});

describe('dead-letter queue and failure topic overrides', () => {
  test('a given dead-letter queue (and its key) replaces the created one', () => {
    const { template, job } = build({}, stack => ({
      deadLetterQueue: new sqs.Queue(stack, 'MyDlq', {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: new kms.Key(stack, 'MyKey', { enableKeyRotation: true }),
      }),
    }));
    template.resourceCountIs('AWS::SQS::Queue', 1);
    expect(job.deadLetterQueue.node.id).toBe('MyDlq');
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: { DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyDlq'), 'Arn'] } } },
    });
    for (const statement of [
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyDlq'), 'Arn'] } },
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] } },
    ]) {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        Description: 'Permissions of Test/Job/SchedulerRole',
        PolicyDocument: { Statement: Match.arrayWith([statement]) },
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({
        Id: 'visible',
        MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyDlq'), 'QueueName'] } }] }) }),
      })]),
    });
  });

  test('a given failure topic receives the rule and the alarm; no topic or key statement is added', () => {
    const { template, job } = build({}, stack => ({ failureTopic: new sns.Topic(stack, 'OnCall') }));
    template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(job.failureTopic.node.id).toBe('OnCall');
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^OnCall') } })] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('^OnCall') }] });
    const keys = template.findResources('AWS::KMS::Key');
    expect(JSON.stringify(keys)).not.toContain('events.amazonaws.com');
  });
});

describe('capacity', () => {
  test('Fargate Spot with an on-demand share', () => {
    build({ capacity: Capacity.fargateSpot({ onDemandBase: 0, onDemandWeight: 1, spotWeight: 3 }) }).template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        EcsParameters: {
          CapacityProviderStrategy: [
            { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
            { CapacityProvider: 'FARGATE', Base: 0, Weight: 1 },
          ],
        },
      },
    });
  });

  test('EC2 capacity provider with placement', () => {
    const { template, job } = build({
      placementStrategies: [ecs.PlacementStrategy.packedByMemory()],
      placementConstraints: [ecs.PlacementConstraint.memberOf('attribute:ecs.instance-type =~ m7g.*')],
    }, (_s, cluster) => ({ capacity: Capacity.ec2(armProvider(cluster)) }));
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        EcsParameters: {
          CapacityProviderStrategy: [{ CapacityProvider: { Ref: Match.stringLikeRegexp('^ClusterArmCapacityProvider') }, Weight: 1 }],
          PlacementStrategy: [{ Type: 'binpack', Field: 'MEMORY' }],
          PlacementConstraints: [{ Type: 'memberOf', Expression: 'attribute:ecs.instance-type =~ m7g.*' }],
          LaunchType: Match.absent(),
          NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: Match.absent() }) },
        },
      },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RequiresCompatibilities: ['EC2'] });
    expect(job.capacity.isFargate).toBe(false);
  });

  test('given subnets and security groups', () => {
    const { template, job } = build({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } },
      (stack, cluster) => ({ securityGroups: [new ec2.SecurityGroup(stack, 'Mine', { vpc: cluster.vpc })] }));
    template.resourceCountIs('AWS::EC2::SecurityGroup', 2); // the cluster's instance group + the given one
    expect(job.connections.securityGroups[0].node.id).toBe('Mine');
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        EcsParameters: {
          NetworkConfiguration: {
            AwsvpcConfiguration: {
              AssignPublicIp: 'DISABLED',
              Subnets: [{ Ref: Match.stringLikeRegexp('^ClusterVpcPublicSubnet1') }, { Ref: Match.stringLikeRegexp('^ClusterVpcPublicSubnet2') }],
              SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Mine'), 'GroupId'] }],
            },
          },
        },
      },
    });
  });
});

describe('task', () => {
  test('with sidecars, the failure rule ignores 137/143 (how ECS stops sidecars) and matches out-of-memory kills', () => {
    const { template } = build({ sidecars: [{ name: 'proxy', image }] });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        detail: Match.objectLike({
          $or: [
            { stopCode: ['TaskFailedToStart'] },
            { containers: { exitCode: [{ 'anything-but': [0, 137, 143] }] } },
            { containers: { reason: [{ prefix: 'OutOfMemoryError' }] } },
          ],
        }),
      },
    });
  });

  test('EFS volumes open NFS from the task', () => {
    const { template } = build({}, (stack, cluster) => ({
      volumes: [WorkloadVolume.efs({
        fileSystem: new efs.FileSystem(stack, 'Fs', { vpc: cluster.vpc }),
        containerPath: '/data',
      })],
    }));
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 2049,
      ToPort: 2049,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobSecurityGroup'), 'GroupId'] },
    });
  });

  test('grants land on the task role', () => {
    const stack = newStack();
    const job = new ScheduledTask(stack, 'Job', { cluster: new WorkloadCluster(stack, 'Cluster'), image, schedule: nightly });
    new s3.Bucket(stack, 'Reports').grantWrite(job);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Test/Job/TaskRole',
      Roles: [{ Ref: Match.stringLikeRegexp('^JobTaskRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:PutObject']) })]) },
    });
  });

  test('container settings pass through', () => {
    build({ cpu: 1024, memoryLimitMiB: 2048, command: ['report'], environment: { MODE: 'nightly' } })
      .template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Cpu: '1024',
        Memory: '2048',
        ContainerDefinitions: [Match.objectLike({ Command: ['report'], Environment: [{ Name: 'MODE', Value: 'nightly' }] })],
      });
  });
});

describe('run to completion (timeout)', () => {
  const { template, job } = build({ timeout: Duration.hours(2) });

  test('the schedule starts a standard state machine', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(job.stateMachine).toBeDefined();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        Arn: { Ref: Match.stringLikeRegexp('^JobStateMachine') },
        EcsParameters: Match.absent(),
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 185 },
        DeadLetterConfig: Match.anyValue(),
      },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Test/Job/SchedulerRole',
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^JobStateMachine') } }]) },
    });
  });

  test('which runs the task synchronously, stops waiting at the timeout, and does not retry by default', () => {
    const def = definition(template);
    const run = def.States.RunTask;
    expect(def.StartAt).toBe('RunTask');
    expect(run.Resource).toMatch(/:states:::ecs:runTask\.sync$/);
    expect(run.TimeoutSeconds).toBe(7200);
    expect(run.Retry).toBeUndefined();
    expect(run.Parameters.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    expect(run.Parameters.TaskDefinition).toBe(job.taskDefinition.family);
    expect(run.Parameters.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups).toHaveLength(1);
  });

  test('logs every event to an encrypted log group and traces with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobStateMachineLogs'), 'Arn'] } } }],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  test('the state machine role runs only this task definition revision, in a managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        }],
      },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Test/Job/StateMachineRole',
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'ecs:RunTask', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^JobTaskDefinition') } },
          { Action: ['ecs:StopTask', 'ecs:DescribeTasks'], Effect: 'Allow', Resource: '*' },
        ]),
      },
    });
  });

  test('the failure rule matches failed, timed-out and aborted executions', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        'detail': { stateMachineArn: [{ Ref: Match.stringLikeRegexp('^JobStateMachine') }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^JobFailureTopic') },
        InputTransformer: Match.objectLike({
          InputPathsMap: { 'time': '$.time', 'detail-executionArn': '$.detail.executionArn', 'detail-status': '$.detail.status', 'detail-error': '$.detail.error' },
        }),
      })],
    });
  });

  test('retries failed runs (not timeouts) with exponential backoff', () => {
    const run = definition(build({ timeout: Duration.minutes(30), taskRetryAttempts: 3 }).template).States.RunTask;
    expect(run.Retry).toEqual([{
      ErrorEquals: ['States.TaskFailed'],
      MaxAttempts: 3,
      IntervalSeconds: 60,
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    }]);
  });

  test('on EC2 capacity with placement', () => {
    const run = definition(build({
      timeout: Duration.minutes(30),
      placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()],
    }, (_s, cluster) => ({ capacity: Capacity.ec2(armProvider(cluster)) })).template).States.RunTask;
    expect(run.Parameters.CapacityProviderStrategy).toEqual([{ CapacityProvider: expect.stringMatching(/ClusterArmCapacityProvider/), Weight: 1 }]);
    expect(run.Parameters.PlacementStrategy).toEqual([{ Type: 'spread', Field: 'instanceId' }]);
    expect(run.Parameters.LaunchType).toBeUndefined();
  });

  test('on Fargate Spot', () => {
    const run = definition(build({ timeout: Duration.minutes(30), capacity: Capacity.fargateSpot() }).template).States.RunTask;
    expect(run.Parameters.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
  });
});

describe('warnings', () => {
  test('a timeout longer than a rate interval may overlap runs', () => {
    const { stack } = build({ schedule: scheduler.ScheduleExpression.rate(Duration.minutes(30)), timeout: Duration.hours(1) });
    Annotations.fromStack(stack).hasWarning('/Test/Job', Match.stringLikeRegexp('timeout \\(1 hour\\) is longer than the schedule interval \\(rate\\(30 minutes\\)\\)'));
  });

  test('no overlap warning when the timeout fits the interval', () => {
    const { stack } = build({ schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)), timeout: Duration.minutes(45) });
    Annotations.fromStack(stack).hasNoWarning('/Test/Job', Match.anyValue());
  });

  test('a one-time schedule in the past never runs', () => {
    const { stack } = build({ schedule: scheduler.ScheduleExpression.at(new Date(Date.UTC(2020, 0, 1))) });
    Annotations.fromStack(stack).hasWarning('/Test/Job', Match.stringLikeRegexp('schedule at\\(2020-01-01T00:00:00\\) is in the past'));
  });
});

describe('fully customised', () => {
  test('compliant', async () => {
    const { stack } = build({
      capacity: Capacity.fargateSpot({ onDemandWeight: 1 }),
      cpu: 512,
      memoryLimitMiB: 1024,
      sidecars: [{ name: 'otel', image }],
      flexibleTimeWindow: Duration.minutes(10),
      maxRetryAttempts: 5,
      maxEventAge: Duration.hours(2),
      timeout: Duration.hours(3),
      taskRetryAttempts: 2,
      scheduleName: 'nightly-report',
      enabled: false,
    });
    expectCompliant(stack);
    await expectDeployable(stack);
  });

  test('compliant on EC2 capacity, run directly', async () => {
    const { stack } = build({
      placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()],
      maxRetryAttempts: 10,
    }, (_s, cluster) => ({ capacity: Capacity.ec2(armProvider(cluster)) }));
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('rejects', () => {
  test.each<[string, Partial<ScheduledTaskProps>, RegExp]>([
    ['maxRetryAttempts below 0', { maxRetryAttempts: -1 }, /maxRetryAttempts must be a whole number between 0 and 185, got -1\. EventBridge Scheduler retries/],
    ['maxRetryAttempts above 185', { maxRetryAttempts: 186 }, /maxRetryAttempts must be a whole number between 0 and 185, got 186/],
    ['fractional maxRetryAttempts', { maxRetryAttempts: 1.5 }, /maxRetryAttempts must be a whole number between 0 and 185, got 1\.5/],
    ['maxEventAge under a minute', { maxEventAge: Duration.seconds(30) }, /maxEventAge must be a whole number between 60 and 86400 seconds, got 30\. .*Duration\.minutes\(1\) to Duration\.hours\(24\)/],
    ['maxEventAge over a day', { maxEventAge: Duration.hours(25) }, /maxEventAge must be a whole number between 60 and 86400 seconds, got 90000/],
    ['flexibleTimeWindow of 0', { flexibleTimeWindow: Duration.minutes(0) }, /flexibleTimeWindow must be a whole number between 1 and 1440 minutes, got 0\. .*leave it unset to start on time/],
    ['flexibleTimeWindow over a day', { flexibleTimeWindow: Duration.minutes(1441) }, /flexibleTimeWindow must be a whole number between 1 and 1440 minutes, got 1441/],
    ['flexibleTimeWindow of part minutes', { flexibleTimeWindow: Duration.seconds(90) }, /flexibleTimeWindow must be a whole number between 1 and 1440 minutes, got 1\.5/],
    ['timeout under a minute', { timeout: Duration.seconds(30) }, /timeout must be a whole number between 60 and 31536000 seconds, got 30\. Give the longest a run may take/],
    ['taskRetryAttempts above 10', { timeout: Duration.hours(1), taskRetryAttempts: 11 }, /taskRetryAttempts must be a whole number between 0 and 10, got 11/],
    ['taskRetryAttempts without timeout', { taskRetryAttempts: 2 }, /taskRetryAttempts \(2\) needs timeout: .*Set timeout/],
    ['placement strategies on Fargate Spot', { capacity: Capacity.fargateSpot(), placementStrategies: [ecs.PlacementStrategy.randomly()] },
      /placementStrategies \(1 given\) apply to EC2 capacity only.*Capacity\.ec2\(provider\)/],
    ['placement constraints on Fargate', { placementConstraints: [ecs.PlacementConstraint.distinctInstances()] },
      /placementConstraints \(1 given\) apply to EC2 capacity only/],
    ['start after end', { start: new Date(Date.UTC(2031, 0, 1)), end: new Date(Date.UTC(2030, 0, 1)) },
      /start \(2031-01-01T00:00:00\.000Z\) must be before end \(2030-01-01T00:00:00\.000Z\)/],
    ['GPUs on Fargate', { gpuCount: 1 }, /gpuCount is 1, but Fargate has no GPUs/],
    ['a scheduleName over 64 characters', { scheduleName: 'n'.repeat(65) }, /Test\/Job: scheduleName is 65 characters long, but it must have 1 to 64\. Shorten it\./],
    ['an empty scheduleName', { scheduleName: '' }, /scheduleName is 0 characters long, but it must have 1 to 64\. Give a non-empty name\./],
    ['a scheduleName with a slash', { scheduleName: 'reports/nightly' },
      /scheduleName 'reports\/nightly' contains '\/', but it may only contain letters, digits, '\.', '_' and '-'\. Rename it\./],
    ['removalPolicy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT }, /Test\/Job: removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only/],
    ['cron hour 25', { schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '25' }) },
      /Test\/Job: schedule 'cron\(0 25 \* \* \? \*\)' has 25 in its hours field, but EventBridge Scheduler accepts 0-23 there, so it rejects the schedule at deploy\. Fix the hours field\./],
    ['cron minute 60', { schedule: scheduler.ScheduleExpression.cron({ minute: '60', hour: '2' }) },
      /schedule 'cron\(60 2 \* \* \? \*\)' has 60 in its minutes field, but EventBridge Scheduler accepts 0-59 there/],
    ['cron day-of-month 32', { schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '2', day: '32' }) },
      /schedule 'cron\(0 2 32 \* \? \*\)' has 32 in its day-of-month field, but EventBridge Scheduler accepts 1-31 there/],
    ['cron month 13', { schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '2', day: '1', month: '13' }) },
      /schedule 'cron\(0 2 1 13 \? \*\)' has 13 in its month field, but EventBridge Scheduler accepts 1-12 or JAN-DEC there/],
    ['cron day-of-week 8 in a range', { schedule: scheduler.ScheduleExpression.expression('cron(0 2 ? * 2-8 *)') },
      /has 8 in its day-of-week field, but EventBridge Scheduler accepts 1-7 or SUN-SAT there/],
    ['cron year 2200', { schedule: scheduler.ScheduleExpression.expression('cron(0 2 1 1 ? 2200)') },
      /has 2200 in its year field, but EventBridge Scheduler accepts 1970-2199 there/],
    ['cron hour 24 in a list', { schedule: scheduler.ScheduleExpression.expression('cron(0 8,24 * * ? *)') }, /has 24 in its hours field/],
    ['cron with both day-of-month and day-of-week', { schedule: scheduler.ScheduleExpression.expression('cron(0 2 1 * MON *)') },
      /schedule 'cron\(0 2 1 \* MON \*\)' sets both day-of-month \('1'\) and day-of-week \('MON'\), but EventBridge Scheduler requires \? in one of the two and rejects the schedule at deploy\. Put \? in the field you do not mean \(e\.g\. cron\(0 2 1 \* \? \*\) for day-of-month 1\)\./],
    ['cron with * in both day fields', { schedule: scheduler.ScheduleExpression.expression('cron(0 2 * * * *)') }, /sets both day-of-month \('\*'\) and day-of-week \('\*'\)/],
    ['cron with five fields', { schedule: scheduler.ScheduleExpression.expression('cron(0 2 * * ?)') },
      /schedule 'cron\(0 2 \* \* \?\)' has 5 fields, but an EventBridge Scheduler cron expression has 6 \(minutes hours day-of-month month day-of-week year\)/],
    ['a log retention CloudWatch Logs does not accept', { logRetention: 10 as any }, /logRetention 10 is not a retention CloudWatch Logs accepts/],
  ])('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('a FIFO dead-letter queue', () => {
    expect(() => build({}, stack => ({ deadLetterQueue: new sqs.Queue(stack, 'Fifo', { fifo: true }) })))
      .toThrow(/deadLetterQueue 'Test\/Fifo' is a FIFO queue, but EventBridge Scheduler sends failed runs to standard queues only/);
  });

  test('a capacity provider of another cluster', () => {
    expect(() => build({}, stack => ({ capacity: Capacity.ec2(armProvider(new WorkloadCluster(stack, 'Other'))) })))
      .toThrow(/capacity uses capacity provider 'Test\/Other\/Arm\/CapacityProvider', which was not added to cluster 'Test\/Cluster'/);
  });
});


describe('cron expressions EventBridge Scheduler accepts', () => {
  test.each([
    'cron(0 2 * * ? *)', 'cron(*/15 8-18 ? * MON-FRI *)', 'cron(0 0 L * ? *)', 'cron(0 9 ? * 6L *)', 'cron(0 9 ? * 3#2 *)',
    'cron(0 9 15W * ? *)', 'cron(30 23 31 DEC ? 2199)', 'cron(0 0 1 JAN,JUL ? 1970)', 'cron(59 23 ? * SUN-SAT *)',
  ])('%s', expression => {
    expect(() => build({ schedule: scheduler.ScheduleExpression.expression(expression) })).not.toThrow();
  });
});

describe('scheduleName', () => {
  test('a 64-character name of letters, digits, dots, underscores and hyphens is accepted', () => {
    const name = `Nightly.report_v2-${'x'.repeat(46)}`;
    build({ scheduleName: name }).template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: name });
  });
});

describe('removalPolicy', () => {
  test('by default the dead-letter queue and the log groups are retained', () => {
    expect(statefulPolicies(build({ timeout: Duration.hours(1) }).job)).toEqual([
      'Test/Job/DeadLetterQueue/Resource: Retain/Retain',
      'Test/Job/LogGroup/Resource: Retain/Retain',
      'Test/Job/StateMachineLogs/Resource: Retain/Retain',
    ]);
  });

  test('DESTROY deletes them with the stack', () => {
    expect(statefulPolicies(build({ timeout: Duration.hours(1), removalPolicy: RemovalPolicy.DESTROY }).job)).toEqual([
      'Test/Job/DeadLetterQueue/Resource: Delete/Delete',
      'Test/Job/LogGroup/Resource: Delete/Delete',
      'Test/Job/StateMachineLogs/Resource: Delete/Delete',
    ]);
  });

  test('a given dead-letter queue is never touched', () => {
    const { job, stack } = build({ removalPolicy: RemovalPolicy.DESTROY },
      s => ({ deadLetterQueue: new sqs.Queue(s, 'Dlq', { removalPolicy: RemovalPolicy.RETAIN }) }));
    expect(statefulPolicies(job)).toEqual(['Test/Job/LogGroup/Resource: Delete/Delete']);
    expect(statefulPolicies(stack.node.findChild('Dlq'))).toEqual(['Test/Dlq/Resource: Retain/Retain']);
  });
});

describe('what AWS does with the scheduled task (deploy-proof)', () => {
  /** Statements of the only topic policy of the template. */
  function topicStatements(template: Template): any[] {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as any[];
    expect(policies).toHaveLength(1);
    return policies[0].Properties.PolicyDocument.Statement;
  }

  test('CloudWatch alarms of this account may publish to the failure topic, whose policy replaces the default one', () => {
    const { template } = build();
    expect(topicStatements(template)).toEqual(expect.arrayContaining([expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:123456789012:alarm:*']] } },
      },
    })]));
  });

  test('only the failure rule may publish to the failure topic through EventBridge', () => {
    const { template, job } = build();
    const ruleId = Stack.of(job).getLogicalId(job.failureRule.node.defaultChild as CfnElement);
    expect(topicStatements(template)).toEqual(expect.arrayContaining([expect.objectContaining({
      Effect: 'Deny',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: { ArnNotEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
    })]));
  });

  test('a given topic gets the CloudWatch allow but no deny: other rules may publish to it', () => {
    const { template } = build({}, stack => ({ failureTopic: new sns.Topic(stack, 'OnCall') }));
    const statements = topicStatements(template);
    expect(statements.filter(s => s.Effect === 'Deny')).toEqual([]);
    expect(statements.map(s => s.Principal?.Service).sort()).toEqual(['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
  });

  test('the state machine logs to a vended-log group, outside the account\'s 5,120-character logs resource policy', () => {
    const { template } = build({ timeout: Duration.hours(1) });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/Test-Job-[A-Za-z0-9]+$'),
    });
  });

  test('the schedule is created after the mount targets of the file systems its task mounts', () => {
    const { template } = build({}, (stack, cluster) => ({
      volumes: [WorkloadVolume.efs({ fileSystem: new efs.FileSystem(stack, 'Fs', { vpc: cluster.vpc, encrypted: true }), containerPath: '/data' })],
    }));
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule')) as any[];
    const mountTargets = Object.keys(template.findResources('AWS::EFS::MountTarget'));
    expect(mountTargets).toHaveLength(2);
    expect(schedule.DependsOn).toEqual(expect.arrayContaining(mountTargets));
  });
});
