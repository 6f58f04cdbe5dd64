import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Capacity, WorkloadCluster, WorkloadVolume } from '../../src';
import { ValidationError } from '../../src/core/errors';
import { ManagedInstancesOptions, WorkloadManagedInstances } from '../../src/core/managed-instances';
import { DaemonAgent } from '../../src/daemon-agent/daemon-agent';
import { ManagedDaemonAgent, ManagedDaemonAgentProps } from '../../src/daemon-agent/managed-daemon';
import { findingLines, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { stackTemplates } from '../deploy-proof/graph';
import { managedInstancesOrderProblems } from '../deploy-proof/managed-instances';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable');

interface Setup {
  readonly stack: Stack;
  readonly cluster: WorkloadCluster;
  readonly managed: WorkloadManagedInstances;
}

function setup(options: ManagedInstancesOptions = {}): Setup {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  return { stack, cluster, managed: cluster.addManagedInstances('Managed', options) };
}

function agent(props: Partial<ManagedDaemonAgentProps> = {}, s: Setup = setup()) {
  const a = new ManagedDaemonAgent(s.stack, 'Agent', {
    cluster: s.cluster, capacity: Capacity.managedInstances(s.managed), image, memoryReservationMiB: 64, ...props,
  });
  return { s, agent: a, template: Template.fromStack(s.stack) };
}

function taskDefinition(template: Template): any {
  return (Object.values(template.findResources('AWS::ECS::DaemonTaskDefinition'))[0] as any).Properties;
}

function warnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('/Test/Agent', Match.anyValue()).map(w => String(w.entry.data));
}

describe('defaults', () => {
  const { s, agent: a, template } = agent();
  const def = taskDefinition(template);
  const main = def.ContainerDefinitions[0];

  test('one daemon on the Managed Instances capacity provider of the cluster, with ECS managed tags', () => {
    template.resourceCountIs('AWS::ECS::Daemon', 1);
    template.resourceCountIs('AWS::ECS::Service', 0);
    const providerId = s.stack.getLogicalId(s.managed.capacityProvider.node.defaultChild as ecs.CfnCapacityProvider);
    template.hasResourceProperties('AWS::ECS::Daemon', {
      ClusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterC'), 'Arn'] },
      CapacityProviderArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-east-1:123456789012:capacity-provider/', { Ref: providerId }]] }],
      DaemonTaskDefinitionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentTaskDefinition'), 'DaemonTaskDefinitionArn'] },
      EnableECSManagedTags: true,
      DeploymentConfiguration: Match.absent(),
    });
  });

  test('the task reserves 256 CPU units and 512 MiB; the container reserves 64 MiB under a 512 MiB hard limit', () => {
    expect([def.Cpu, def.Memory]).toEqual(['256', '512']);
    expect(main).toMatchObject({ Name: 'main', Essential: true, Cpu: 256, Memory: 512, MemoryReservation: 64, Image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable' });
  });

  test('non-root user, read-only root filesystem, not privileged, 30 s stop timeout', () => {
    expect(main).toMatchObject({ User: '1000', ReadonlyRootFilesystem: true, StopTimeout: 30 });
    expect(main.Privileged).toBeUndefined();
  });

  test('logs go non-blocking to a log group encrypted with the cluster key, kept a year and retained', () => {
    expect(main.LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: {
        'awslogs-group': { Ref: s.stack.getLogicalId(a.logGroup.node.defaultChild as logs.CfnLogGroup) },
        'awslogs-stream-prefix': 'main',
        'awslogs-region': 'us-east-1',
        'mode': 'non-blocking',
        'max-buffer-size': '26214400b',
      },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
  });

  test('the execution role may only write the logs (and get the ECR token); the task role has no permission', () => {
    expect(def.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [s.stack.getLogicalId(a.executionRole.node.defaultChild as iam.CfnRole), 'Arn'] });
    expect(def.TaskRoleArn).toEqual({ 'Fn::GetAtt': [s.stack.getLogicalId(a.taskRole.node.defaultChild as iam.CfnRole), 'Arn'] });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AgentExecutionRole') }],
      PolicyDocument: { Statement: [{ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: Match.anyValue() }] },
    });
    expect(Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^AgentTaskRole') }] } }))).toEqual([]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' }, Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '123456789012' } }) })] },
    });
  });

  test('the daemon starts after the execution role policy and the capacity provider', () => {
    expect(managedInstancesOrderProblems(stackTemplates(s.stack))).toEqual([]);
  });

  test('no warning, and no unacknowledged cdk-nag or cfn-guard finding', () => {
    expect(warnings(s.stack)).toEqual([]);
    expect(findingLines(s.stack)).toEqual([]);
  });
});

describe('overrides', () => {
  test('host mounts, bind-mount volumes, sidecars, health check, privileged, deployment settings', () => {
    const { template, s } = agent({
      cpu: 512,
      memoryLimitMiB: 1024,
      memoryReservationMiB: 256,
      hostMounts: [{ hostPath: '/var/log', containerPath: '/host/var/log' }, { hostPath: '/var/lib/agent', containerPath: '/state', readOnly: false, name: 'state' }],
      volumes: [WorkloadVolume.bindMount({ name: 'scratch', containerPath: '/scratch' })],
      sidecars: [{ name: 'init', image, essential: false, mainContainerWaitsFor: ecs.ContainerDependencyCondition.SUCCESS, cpu: 128, memoryLimitMiB: 64 }],
      healthCheck: { command: ['curl -f http://localhost:2020/'], interval: Duration.seconds(10), timeout: Duration.seconds(5) },
      privileged: true,
      drainPercent: 10,
      bakeTime: Duration.minutes(5),
      environment: { LEVEL: 'info' },
      removalPolicy: RemovalPolicy.DESTROY,
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    const def = taskDefinition(template);
    expect([def.Cpu, def.Memory]).toEqual(['640', '1024']);
    expect(def.Volumes).toEqual([
      { Name: 'scratch' },
      { Name: 'host-var-log', Host: { SourcePath: '/var/log' } },
      { Name: 'state', Host: { SourcePath: '/var/lib/agent' } },
    ]);
    const [main, init] = def.ContainerDefinitions;
    expect(main).toMatchObject({
      Cpu: 512,
      Memory: 960,
      MemoryReservation: 256,
      Privileged: true,
      Environment: [{ Name: 'LEVEL', Value: 'info' }],
      MountPoints: [
        { SourceVolume: 'scratch', ContainerPath: '/scratch', ReadOnly: false },
        { SourceVolume: 'host-var-log', ContainerPath: '/host/var/log', ReadOnly: true },
        { SourceVolume: 'state', ContainerPath: '/state', ReadOnly: false },
      ],
      HealthCheck: { Command: ['CMD-SHELL', 'curl -f http://localhost:2020/'], Interval: 10, Timeout: 5, Retries: 3 },
      DependsOn: [{ ContainerName: 'init', Condition: 'SUCCESS' }],
    });
    expect(init).toMatchObject({ Name: 'init', Essential: false, Cpu: 128, Memory: 64, User: '1000', ReadonlyRootFilesystem: true });
    template.hasResourceProperties('AWS::ECS::Daemon', { DeploymentConfiguration: { DrainPercent: 10, BakeTimeInMinutes: 5 } });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Delete' });
    expect(warnings(s.stack).join('\n')).toMatch(/privileged is true/);
  });

  test('secrets are read with the execution role', () => {
    const s = setup();
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(s.stack, 'Token', { parameterName: 'agent-token' });
    const { template } = agent({ secrets: { TOKEN: ecs.Secret.fromSsmParameter(parameter) } }, s);
    expect(taskDefinition(template).ContainerDefinitions[0].Secrets).toEqual([{
      Name: 'TOKEN',
      ValueFrom: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:123456789012:parameter/agent-token']] },
    }]);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AgentExecutionRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['ssm:GetParameters']) })]) },
    });
  });

  test('reservations above the smallest instances warn', () => {
    const { s } = agent({ cpu: 4096, memoryReservationMiB: 8192, memoryLimitMiB: 16384 }, setup({ minVCpus: 2, maxVCpus: 8 }));
    const all = warnings(s.stack).join('\n');
    expect(all).toMatch(/cpu \(4096\) and the sidecars reserve 4096 CPU units on every instance, more than the 2048 of the smallest instances/);
    expect(all).toMatch(/reserve 8192 MiB on every instance, more than the 4096 MiB of the smallest instances/);
  });
});

describe('refuses', () => {
  test.each<[string, Partial<ManagedDaemonAgentProps> & { [key: string]: unknown }, RegExp]>([
    ['a Fargate capacity', { capacity: Capacity.fargate() },
      /Test\/Agent: capacity is FARGATE, but ECS Managed Daemons run on ECS Managed Instances only\. Pass capacity: Capacity\.managedInstances/],
    ['a container port', { containerPort: 2020 }, /containerPort \(2020\) is not supported by a managed daemon: daemon task definitions have no port mappings.*Remove containerPort\./],
    ['a network mode', { networkMode: ecs.NetworkMode.HOST }, /networkMode \('host'\) is not supported by a managed daemon: daemon task definitions have no network mode setting/],
    ['host PID mode', { hostPidMode: true }, /hostPidMode \(true\) is not supported by a managed daemon/],
    ['placement constraints', { placementConstraints: [ecs.PlacementConstraint.distinctInstances()] }, /placementConstraints .* is not supported by a managed daemon: a daemon runs on every instance/],
    ['ECS Exec', { enableExec: true }, /enableExec \(true\) is not supported by a managed daemon: this construct does not grant ECS Exec/],
    ['a GPU reservation', { gpuCount: 1 }, /gpuCount \(1\) cannot be reserved by a managed daemon/],
    ['another architecture', { cpuArchitecture: ecs.CpuArchitecture.X86_64 },
      /cpuArchitecture is X86_64 but Managed Instances capacity provider 'Test\/Cluster\/Managed\/CapacityProvider' launches ARM64 instances/],
    ['more CPU than the largest instance', { cpu: 20000 }, /cpu \(20000\) and the sidecars reserve 20000 CPU units on every instance, more than the 16384 .*Lower cpu to at most 16384, or raise maxVCpus\./],
    ['a soft limit above the hard limit', { memoryReservationMiB: 600, memoryLimitMiB: 512 }, /memoryReservationMiB \(600\) exceeds the agent container's hard limit of 512 MiB/],
    ['an EFS volume', { volumes: [WorkloadVolume.efs({ containerPath: '/models' } as any)] }, /volumes\[0\] 'efs' is an EFS volume, but daemon task definitions take host volumes only/],
    ['a drain percent above 100', { drainPercent: 150 }, /drainPercent must be between 0 and 100, got 150/],
    ['a bake time in seconds', { bakeTime: Duration.seconds(90) }, /bakeTime \(1 minute 30 seconds\) must be a whole number of minutes/],
    ['a health check timeout above 60 s', { healthCheck: { command: ['true'], timeout: Duration.seconds(90), interval: Duration.seconds(120) } },
      /healthCheck\.timeout must be a whole number between 2 and 60 seconds, got 90/],
    ['a host mount at a relative path', { hostMounts: [{ hostPath: 'var/log', containerPath: '/logs' }] }, /hostMounts\[0\]\.hostPath/],
    ['two mounts on one path', { hostMounts: [{ hostPath: '/a', containerPath: '/x' }, { hostPath: '/b', containerPath: '/x' }] },
      /hostMounts\[1\]\.containerPath '\/x' is already the mount point of another volume or host mount/],
  ])('%s', (_, props, message) => {
    const build = () => agent(props as Partial<ManagedDaemonAgentProps>);
    expect(build).toThrow(ValidationError);
    expect(build).toThrow(message);
  });

  test('Managed Instances of another cluster', () => {
    const s = setup();
    const other = new WorkloadCluster(s.stack, 'Other').addManagedInstances('Managed');
    expect(() => agent({ capacity: Capacity.managedInstances(other) }, s)).toThrow(
      /capacity uses Managed Instances capacity provider 'Test\/Other\/Managed\/CapacityProvider', which was not added to cluster 'Test\/Cluster'/);
  });

  test('DaemonAgent points Managed Instances users to ManagedDaemonAgent', () => {
    const s = setup();
    expect(() => new DaemonAgent(s.stack, 'Legacy', { cluster: s.cluster, image, memoryReservationMiB: 64, capacity: Capacity.managedInstances(s.managed) } as any))
      .toThrow(/capacity \(a Capacity\) is not a DaemonAgent prop: DAEMON services run on EC2 only.*use ManagedDaemonAgent with capacity: Capacity\.managedInstances/);
  });
});

test('deploys: a daemon, and compliant', async () => {
  const { s } = agent({ hostMounts: [{ hostPath: '/var/log', containerPath: '/host/var/log' }] });
  expect(findingLines(s.stack)).toEqual([]);
  await expectDeployable(s.stack);
});
