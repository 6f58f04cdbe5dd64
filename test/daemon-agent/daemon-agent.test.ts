import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Capacity, WorkloadCluster, WorkloadVolume } from '../../src';
import { instanceCpuUnits, instanceGpus, instanceMemoryMiB } from '../../src/core/instance-types';
import { DaemonAgent, DaemonAgentProps } from '../../src/daemon-agent/daemon-agent';
import { complianceFindings, expectCompliant, newStack, stableTemplate, statefulPolicies } from '../compliance';
import { expectDeployable } from '../deploy-proof';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable');

interface Setup {
  readonly stack: Stack;
  readonly cluster: WorkloadCluster;
  readonly arm: ecs.AsgCapacityProvider;
}

function setup(): Setup {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const arm = cluster.addAsgCapacity('Arm', {
    instanceType: new ec2.InstanceType('m7g.large'),
    additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
    maxCapacity: 2,
  });
  return { stack, cluster, arm };
}

/** Builds the agent without synthesizing (for tests that change the tree afterwards). */
function build(props: Partial<DaemonAgentProps> = {}, s: Setup = setup()): { s: Setup; agent: DaemonAgent } {
  return { s, agent: new DaemonAgent(s.stack, 'Agent', { cluster: s.cluster, image, memoryReservationMiB: 64, ...props }) };
}

function agent(props: Partial<DaemonAgentProps> = {}, s: Setup = setup()): { s: Setup; agent: DaemonAgent; template: Template } {
  const built = build(props, s);
  return { ...built, template: Template.fromStack(s.stack) };
}

function mainContainer(template: Template): Record<string, any> {
  const defs = template.findResources('AWS::ECS::TaskDefinition');
  const [def] = Object.values(defs);
  return (def as any).Properties.ContainerDefinitions[0];
}

function agentWarnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('/Test/Agent', Match.anyValue()).map(w => String(w.entry.data));
}

describe('defaults', () => {
  const { s, agent: a, template } = agent();

  test('DAEMON service with launch type EC2, no desired count and no capacity provider strategy', () => {
    template.resourceCountIs('AWS::ECS::Service', 1);
    template.hasResourceProperties('AWS::ECS::Service', {
      SchedulingStrategy: 'DAEMON',
      LaunchType: 'EC2',
      DesiredCount: Match.absent(),
      CapacityProviderStrategy: Match.absent(),
      PlacementStrategies: Match.absent(),
      NetworkConfiguration: Match.absent(),
      DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 0, MaximumPercent: 100 }),
      PropagateTags: 'SERVICE',
      EnableECSManagedTags: true,
    });
  });

  test('placement constraint keeps the agent on the first capacity provider\'s instance types', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      PlacementConstraints: [{ Type: 'memberOf', Expression: 'attribute:ecs.instance-type in [m7g.large, c7g.large]' }],
    });
    expect(a.capacityProvider).toBe(s.arm);
  });

  test('EC2 task in bridge mode with container-level CPU and memory; no runtime platform (EC2 tasks take the instance\'s)', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      NetworkMode: 'bridge',
      RequiresCompatibilities: ['EC2'],
      Cpu: Match.absent(),
      Memory: Match.absent(),
      PidMode: Match.absent(),
      RuntimePlatform: Match.absent(),
    });
    expect(mainContainer(template)).toMatchObject({
      Name: 'main',
      Essential: true,
      Cpu: 256,
      MemoryReservation: 64,
      Memory: 512,
      User: '1000',
      ReadonlyRootFilesystem: true,
      StopTimeout: 30,
    });
    expect(mainContainer(template).Privileged).toBeUndefined();
    expect(mainContainer(template).PortMappings).toBeUndefined();
    expect(mainContainer(template).MountPoints).toBeUndefined();
  });

  test('task role has no permission; only the execution role has a policy', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map(p => JSON.stringify(p));
    expect(policies.filter(p => p.includes('AgentExecutionRole'))).toHaveLength(1);
    expect(policies.filter(p => p.includes('AgentTaskRole'))).toHaveLength(0);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'Application permissions of Test/Agent',
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
    expect(a.grantPrincipal).toBe(a.taskRole);
    expect(a.taskRole).toBe(a.taskDefinition.taskRole);
  });

  test('logs to an encrypted log group retained for one year', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] },
    });
    expect(mainContainer(template).LogConfiguration).toMatchObject({
      LogDriver: 'awslogs',
      Options: { mode: 'non-blocking' },
    });
    expect(mainContainer(template).LogConfiguration.Options['awslogs-group'].Ref).toMatch(/^AgentLogGroup/);
  });

  test('bridge mode: connections are the instances\' security group; Control Tower awsvpc rule suppressed with a reason', () => {
    expect(a.connections.securityGroups).toEqual(s.cluster.connections.securityGroups);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1); // the cluster's instance security group; none of the agent
    template.hasResource('AWS::ECS::TaskDefinition', {
      Metadata: { guard: { SuppressedRules: ['ecs_awsvpc_networking_enabled_check'] } },
    });
  });

  test('public members', () => {
    expect(a.service).toBeInstanceOf(ecs.Ec2Service);
    expect(a.container.containerName).toBe('main');
    expect(a.logGroup).toBeDefined();
  });

  test('metrics', () => {
    const cpu = Stack.of(a).resolve(a.metricCpuUtilization());
    expect(cpu).toMatchObject({ namespace: 'AWS/ECS', metricName: 'CPUUtilization' });
    expect(Stack.of(a).resolve(a.metricMemoryUtilization())).toMatchObject({ namespace: 'AWS/ECS', metricName: 'MemoryUtilization' });
    const running = a.metricRunningTaskCount();
    expect(running.namespace).toBe('ECS/ContainerInsights');
    expect(running.metricName).toBe('RunningTaskCount');
    expect(running.statistic).toBe('Minimum');
    expect(Object.keys(running.dimensions ?? {}).sort()).toEqual(['ClusterName', 'ServiceName']);
  });

  test('no warning', () => {
    expect(agentWarnings(s.stack)).toEqual([]);
  });

  test('no warning anywhere in the stack: aws-cdk-lib\'s circuit-breaker advice, moot for a daemon, is acknowledged', () => {
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('overrides', () => {
  test('capacityProvider picks another provider: its instance types and architecture', () => {
    const s = setup();
    const x86 = s.cluster.addAsgCapacity('X86', { instanceType: new ec2.InstanceType('m7i.large'), maxCapacity: 2 });
    const { template, agent: a } = agent({ capacityProvider: x86 }, s);
    template.hasResourceProperties('AWS::ECS::Service', {
      PlacementConstraints: [{ Type: 'memberOf', Expression: 'attribute:ecs.instance-type in [m7i.large]' }],
      LaunchType: 'EC2',
      CapacityProviderStrategy: Match.absent(),
    });
    expect(a.capacityProvider).toBe(x86);
  });

  test('cpu, memoryLimitMiB and memoryReservationMiB', () => {
    const { template } = agent({ cpu: 512, memoryReservationMiB: 128, memoryLimitMiB: 1024 });
    expect(mainContainer(template)).toMatchObject({ Cpu: 512, MemoryReservation: 128, Memory: 1024 });
  });

  test('default hard limit is twice the reservation plus sidecars when above 512 MiB', () => {
    const { template } = agent({
      memoryReservationMiB: 300,
      sidecars: [{ name: 'exporter', image, memoryLimitMiB: 100 }],
    });
    expect(mainContainer(template)).toMatchObject({ MemoryReservation: 300, Memory: 600 });
  });

  test('hostMounts: read-only by default, named after the host path; writable and named when asked', () => {
    const { template } = agent({
      hostMounts: [
        { hostPath: '/var/log', containerPath: '/host/var/log' },
        { hostPath: '/var/lib/fluent-bit', containerPath: '/state', readOnly: false, name: 'state' },
        { hostPath: '/', containerPath: '/host' },
      ],
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [
        { Name: 'host-var-log', Host: { SourcePath: '/var/log' } },
        { Name: 'state', Host: { SourcePath: '/var/lib/fluent-bit' } },
        { Name: 'host-root', Host: { SourcePath: '/' } },
      ],
    });
    expect(mainContainer(template).MountPoints).toEqual([
      { SourceVolume: 'host-var-log', ContainerPath: '/host/var/log', ReadOnly: true },
      { SourceVolume: 'state', ContainerPath: '/state', ReadOnly: false },
      { SourceVolume: 'host-root', ContainerPath: '/host', ReadOnly: true },
    ]);
  });

  test('Docker volumes beside host mounts', () => {
    const { template } = agent({
      volumes: [WorkloadVolume.dockerVolume({ name: 'buffer', containerPath: '/buffer' })],
      hostMounts: [{ hostPath: '/var/log', containerPath: '/host/var/log' }],
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [
        { Name: 'buffer', DockerVolumeConfiguration: { Driver: 'local', Scope: 'task' } },
        { Name: 'host-var-log', Host: { SourcePath: '/var/log' } },
      ],
    });
    expect(mainContainer(template).MountPoints).toEqual([
      { SourceVolume: 'buffer', ContainerPath: '/buffer', ReadOnly: false },
      { SourceVolume: 'host-var-log', ContainerPath: '/host/var/log', ReadOnly: true },
    ]);
  });

  test('containerPort is published on the same port of the instance', () => {
    const { template, agent: a } = agent({ containerPort: 24224 });
    expect(mainContainer(template).PortMappings).toEqual([{ ContainerPort: 24224, HostPort: 24224, Protocol: 'tcp' }]);
    expect(a.connections.defaultPort?.toString()).toBe('24224');
  });

  test('networkMode HOST: host network, warning', () => {
    const { template, s } = agent({ networkMode: ecs.NetworkMode.HOST, containerPort: 8125 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { NetworkMode: 'host' });
    expect(mainContainer(template).PortMappings).toEqual([{ ContainerPort: 8125, HostPort: 8125, Protocol: 'tcp' }]);
    expect(agentWarnings(s.stack)).toEqual([expect.stringMatching(/networkMode is HOST.*instance role/)]);
  });

  test('networkMode AWS_VPC: own security group in private subnets, awsvpc rule not suppressed', () => {
    const { template, agent: a, s } = agent({ networkMode: ecs.NetworkMode.AWS_VPC });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { NetworkMode: 'awsvpc' });
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentSecurityGroup'), 'GroupId'] }],
          Subnets: Match.anyValue(),
        },
      },
    });
    expect(a.connections.securityGroups).not.toEqual(s.cluster.connections.securityGroups);
    const [def] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    expect((def as any).Metadata).toBeUndefined();
  });

  test('networkMode NONE', () => {
    const { template } = agent({ networkMode: ecs.NetworkMode.NONE });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { NetworkMode: 'none' });
  });

  test('privileged: privileged container, warning, Control Tower rule acknowledged', () => {
    const { template, s } = agent({ privileged: true });
    expect(mainContainer(template).Privileged).toBe(true);
    expect(agentWarnings(s.stack)).toEqual([expect.stringMatching(/privileged is true.*\[ack: Annotation::cdk-ecs-workloads:daemon-agent-privileged\]/)]);
    template.hasResource('AWS::ECS::TaskDefinition', {
      Metadata: { guard: { SuppressedRules: Match.arrayWith(['ecs_containers_nonprivileged_check']) } },
    });
  });

  test('hostPidMode: host PID namespace, warning, Control Tower rule acknowledged', () => {
    const { template, s } = agent({ hostPidMode: true });
    template.hasResource('AWS::ECS::TaskDefinition', {
      Properties: Match.objectLike({ PidMode: 'host' }),
      Metadata: { guard: { SuppressedRules: Match.arrayWith(['ecs_task_definition_pid_mode_check']) } },
    });
    expect(agentWarnings(s.stack)).toEqual([expect.stringMatching(/hostPidMode is true.*\[ack: Annotation::cdk-ecs-workloads:daemon-agent-privileged\]/)]);
  });

  test('Docker socket mount warns', () => {
    const { s } = agent({ hostMounts: [{ hostPath: '/var/run/docker.sock', containerPath: '/var/run/docker.sock' }] });
    expect(agentWarnings(s.stack)).toEqual([expect.stringMatching(/Docker socket.*Annotation::cdk-ecs-workloads:daemon-agent-docker-socket/)]);
  });

  test('placementConstraints are added after the capacity provider constraint', () => {
    const { template } = agent({ placementConstraints: [ecs.PlacementConstraint.memberOf('attribute:ecs.availability-zone == us-east-1a')] });
    template.hasResourceProperties('AWS::ECS::Service', {
      PlacementConstraints: [
        { Type: 'memberOf', Expression: 'attribute:ecs.instance-type in [m7g.large, c7g.large]' },
        { Type: 'memberOf', Expression: 'attribute:ecs.availability-zone == us-east-1a' },
      ],
    });
  });

  test('logRetention, user, readonlyRootFilesystem, command', () => {
    const { template } = agent({
      logRetention: logs.RetentionDays.THREE_MONTHS,
      user: '0',
      readonlyRootFilesystem: false,
      command: ['/fluent-bit/bin/fluent-bit', '-i', 'cpu', '-o', 'stdout'],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    expect(mainContainer(template)).toMatchObject({
      User: '0',
      ReadonlyRootFilesystem: false,
      Command: ['/fluent-bit/bin/fluent-bit', '-i', 'cpu', '-o', 'stdout'],
    });
  });

  test('grants land on the task role, in a customer-managed policy', () => {
    const s = setup();
    const queue = new sqs.Queue(s.stack, 'Queue', { enforceSSL: true });
    const { agent: a } = build({}, s);
    queue.grantSendMessages(a);
    const template = Template.fromStack(s.stack);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AgentTaskRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']) })]) },
    });
  });
});

describe('warnings', () => {
  test('cpu above the smallest instance type\'s vCPUs only', () => {
    const s = setup();
    const big = s.cluster.addAsgCapacity('Big', {
      instanceType: new ec2.InstanceType('m6g.large'), additionalInstanceTypes: [new ec2.InstanceType('m6g.xlarge')], maxCapacity: 2,
    });
    const { s: built } = agent({ capacityProvider: big, cpu: 3072 }, s);
    expect(agentWarnings(built.stack)).toEqual([
      expect.stringMatching(/^cpu \(3072\) reserves 3072 CPU units on every instance, more than the 2048 \(2 vCPUs x 1024\) of m6g.large, the smallest instance type of capacity provider 'Test\/Cluster\/Big\/CapacityProvider'\. ECS cannot place the agent on those instances\..*\[ack: Annotation::cdk-ecs-workloads:daemon-agent-cpu\]$/),
    ]);
  });

  test('cpu within every instance type: no warning', () => {
    expect(agentWarnings(agent({ cpu: 2048 }).s.stack)).toEqual([]);
  });

  test('reservation above the smallest instance type\'s memory', () => {
    // c7g.large has 4 GiB, m7g.large 8 GiB.
    const { s } = agent({ memoryReservationMiB: 4000, memoryLimitMiB: 8000, sidecars: [{ name: 'exporter', image, memoryLimitMiB: 200 }] });
    expect(agentWarnings(s.stack)).toEqual([
      expect.stringMatching(/memoryReservationMiB \(4000\) plus 200 MiB of sidecars reserve 4200 MiB on every instance, more than the 4096 MiB of c7g.large.*\[ack: Annotation::cdk-ecs-workloads:daemon-agent-memory\]/),
    ]);
  });

  test('no memory warning when the reservation fits', () => {
    const { s } = agent({ memoryReservationMiB: 4096 });
    expect(agentWarnings(s.stack)).toEqual([]);
  });

  test('no memory warning for instance types outside the table', () => {
    const s = setup();
    const metal = s.cluster.addAsgCapacity('Metal', { instanceType: new ec2.InstanceType('c6g.metal'), maxCapacity: 1 });
    build({ capacityProvider: metal, memoryReservationMiB: 100000 }, s);
    expect(agentWarnings(s.stack)).toEqual([]);
  });

  test('instance types shared with another provider', () => {
    const s = setup();
    s.cluster.addAsgCapacity('Spot', { instanceType: new ec2.InstanceType('c7g.large'), additionalInstanceTypes: [new ec2.InstanceType('c6g.large')], spot: true, maxCapacity: 2 });
    build({}, s);
    expect(agentWarnings(s.stack)).toEqual([expect.stringMatching(/c7g.large \(of 'Test\/Cluster\/Spot\/CapacityProvider'\) also belong.*Annotation::cdk-ecs-workloads:daemon-agent-shared-instance-types/)]);
  });
});

describe('default capacity provider (deploy-proof)', () => {
  const G5 = new ec2.InstanceType('g5.xlarge');
  const G4DN = new ec2.InstanceType('g4dn.xlarge');

  test('skips a GPU provider added first: its reservation would take room the GPU tasks were sized for', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    cluster.addAsgCapacity('Gpu', { instanceType: G5, additionalInstanceTypes: [G4DN], gpu: true, maxCapacity: 2 });
    const arm = cluster.addAsgCapacity('Arm', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
    const a = new DaemonAgent(stack, 'Agent', { cluster, image, memoryReservationMiB: 128 });
    expect(a.capacityProvider).toBe(arm);
    expect(agentWarnings(stack)).toEqual([]);
  });

  test('with GPU capacity only, runs there and warns that GPU tasks lose room', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const gpu = cluster.addAsgCapacity('Gpu', { instanceType: G5, additionalInstanceTypes: [G4DN], gpu: true, maxCapacity: 2 });
    const a = new DaemonAgent(stack, 'Agent', { cluster, image, memoryReservationMiB: 128 });
    expect(a.capacityProvider).toBe(gpu);
    expect(agentWarnings(stack)).toEqual([expect.stringMatching(
      /capacityProvider is not set and cluster 'Test\/Cluster' has only GPU capacity, so the agent runs on 'Test\/Cluster\/Gpu\/CapacityProvider'.*Pass capacityProvider to confirm.*\[ack: Annotation::cdk-ecs-workloads:daemon-agent-gpu-capacity\]/)]);
  });

  test('a GPU provider chosen explicitly is the user\'s decision: no warning', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const gpu = cluster.addAsgCapacity('Gpu', { instanceType: G5, additionalInstanceTypes: [G4DN], gpu: true, maxCapacity: 2 });
    new DaemonAgent(stack, 'Agent', { cluster, image, memoryReservationMiB: 128, capacityProvider: gpu });
    expect(agentWarnings(stack)).toEqual([]);
  });

  test('the service starts after the capacity provider association', () => {
    const { template } = agent();
    const association = Object.keys(template.findResources('AWS::ECS::ClusterCapacityProviderAssociations'));
    const [service] = Object.values(template.findResources('AWS::ECS::Service')) as any[];
    expect(association).toHaveLength(1);
    expect(service.DependsOn).toEqual(expect.arrayContaining(association));
  });
});

describe('instance CPU and GPU table', () => {
  test.each([
    ['m7g.medium', 1], ['m7g.large', 2], ['c7g.xlarge', 4], ['m5.24xlarge', 96], ['c5.9xlarge', 36], ['r7g.16xlarge', 64],
    ['g4dn.xlarge', 4], ['g4dn.12xlarge', 48], ['g5.48xlarge', 192], ['g5g.16xlarge', 64],
  ])('%s has %d vCPUs', (type, vcpus) => {
    expect(instanceCpuUnits(type)).toBe(vcpus * 1024);
  });

  test.each([
    ['m7g.large', 0], ['t3.micro', 0], ['g4dn.xlarge', 1], ['g4dn.12xlarge', 4], ['g4dn.16xlarge', 1],
    ['g5.xlarge', 1], ['g5.12xlarge', 4], ['g5.24xlarge', 4], ['g5.48xlarge', 8], ['g5g.xlarge', 1], ['g5g.16xlarge', 2],
  ])('%s has %d GPUs', (type, gpus) => {
    expect(instanceGpus(type)).toBe(gpus);
  });

  test.each(['t3.micro', 'c5n.large', 'g5.metal', 'p4d.24xlarge', 'm7g'])('%s has unknown vCPUs', type => {
    expect(instanceCpuUnits(type)).toBeUndefined();
  });

  test.each(['g6.xlarge', 'p4d.24xlarge', 'g5.metal'])('%s has unknown GPUs', type => {
    expect(instanceGpus(type)).toBeUndefined();
  });
});

describe('instance memory table', () => {
  test.each([
    ['m7g.large', 8], ['m7g.medium', 4], ['c7g.large', 4], ['c7g.medium', 2], ['r7g.large', 16], ['m5.24xlarge', 384],
    ['c5.9xlarge', 72], ['m5zn.3xlarge', 48], ['t3.micro', 1], ['t4g.nano', 0.5], ['t3.2xlarge', 32],
    ['g4dn.xlarge', 16], ['g5.12xlarge', 192], ['g5g.xlarge', 8], ['a1.medium', 2],
  ])('%s has %d GiB', (type, gib) => {
    expect(instanceMemoryMiB(type)).toBe(gib * 1024);
  });

  test.each(['c5n.large', 'c6g.metal', 'x2gd.large', 't3.4xlarge', 'g5.metal', 'constructor.large', 'm7g', 'm7g.large.extra'])('%s is unknown', type => {
    expect(instanceMemoryMiB(type)).toBeUndefined();
  });
});

describe('synth-time errors', () => {
  test('autoscaling the service', () => {
    const { agent: a, s } = build();
    a.service.autoScaleTaskCount({ maxCapacity: 4 });
    expect(() => Template.fromStack(s.stack)).toThrow(/autoScaleTaskCount\(\) was called, but a DAEMON service runs one task per container instance/);
  });

  test('desired count set through the escape hatch', () => {
    const { agent: a, s } = build();
    (a.service.node.defaultChild as ecs.CfnService).desiredCount = 3;
    expect(() => Template.fromStack(s.stack)).toThrow(/desiredCount is set \(3\), but a DAEMON service places one task per container instance/);
  });

  test('cluster without EC2 capacity', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    expect(() => new DaemonAgent(stack, 'Agent', { cluster, image, memoryReservationMiB: 64 }))
      .toThrow(/cluster 'Test\/Cluster' has no EC2 capacity, and DAEMON services run on EC2 container instances only.*cluster.addAsgCapacity/);
  });

  test('capacity provider of another cluster', () => {
    const s = setup();
    const other = new WorkloadCluster(s.stack, 'Other');
    const foreign = other.addAsgCapacity('Arm', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 1 });
    expect(() => agent({ capacityProvider: foreign }, s))
      .toThrow(/capacityProvider 'Test\/Other\/Arm\/CapacityProvider' was not added to cluster 'Test\/Cluster' \(its EC2 capacity providers: 'Test\/Cluster\/Arm\/CapacityProvider'\)/);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['placement strategies', { placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances()] },
      /placementStrategies \(1 given\) cannot be used: DAEMON places exactly one task on every container instance.*Remove placementStrategies/],
    ['a desired count', { desiredCount: 2 }, /desiredCount \(2\) is not a DaemonAgent prop: DAEMON places exactly one task.*Remove desiredCount/],
    ['task count scaling', { maxCapacity: 10 }, /maxCapacity \(10\) is not a DaemonAgent prop: DAEMON runs one task per instance and cannot be scaled/],
    ['task count scaling (min)', { minCapacity: 1 }, /minCapacity \(1\) is not a DaemonAgent prop/],
    ['a Fargate capacity', { capacity: Capacity.fargate() }, /capacity \(a Capacity\) is not a DaemonAgent prop: DAEMON services run on EC2 only.*capacityProvider/],
    ['a capacity provider strategy', { capacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1 }] },
      /capacityProviderStrategies \(1 given\) is not a DaemonAgent prop: ECS rejects a capacity provider strategy on a DAEMON service/],
    ['memoryReservationMiB above memoryLimitMiB', { memoryReservationMiB: 600, memoryLimitMiB: 512 },
      /memoryReservationMiB \(600\) exceeds the agent container's hard limit of 512 MiB; .*Lower memoryReservationMiB or raise memoryLimitMiB/],
    ['memoryReservationMiB above what the sidecars leave', { memoryReservationMiB: 400, memoryLimitMiB: 512, sidecars: [{ name: 'x', image }] },
      /memoryReservationMiB \(400\) exceeds the agent container's hard limit of 384 MiB \(memoryLimitMiB 512 minus 128 MiB for the sidecars\)/],
    ['memoryReservationMiB too small', { memoryReservationMiB: 4 }, /memoryReservationMiB must be a whole number between 6 and 3145728, got 4/],
    ['a relative host path', { hostMounts: [{ hostPath: 'var/log', containerPath: '/logs' }] },
      /hostMounts\[0\].hostPath must be an absolute path without '..', got 'var\/log'/],
    ['a host path with ..', { hostMounts: [{ hostPath: '/var/../etc', containerPath: '/logs' }] }, /hostMounts\[0\].hostPath must be an absolute path/],
    ['a relative container path', { hostMounts: [{ hostPath: '/var/log', containerPath: 'logs' }] }, /hostMounts\[0\].containerPath must be an absolute path without '..', got 'logs'/],
    ['an invalid volume name', { hostMounts: [{ hostPath: '/var/log', containerPath: '/logs', name: 'my logs' }] },
      /hostMounts\[0\].name 'my logs' is not a valid volume name/],
    ['a volume name used twice', { volumes: [WorkloadVolume.dockerVolume({ name: 'host-var-log', containerPath: '/a' })], hostMounts: [{ hostPath: '/var/log', containerPath: '/logs' }] },
      /hostMounts\[0\].name 'host-var-log' is already used by another volume or host mount/],
    ['a mount point used twice', { hostMounts: [{ hostPath: '/var/log', containerPath: '/logs' }, { hostPath: '/var/lib', containerPath: '/logs' }] },
      /hostMounts\[1\].containerPath '\/logs' is already the mount point of another volume or host mount/],
    ['networkMode NAT', { networkMode: ecs.NetworkMode.NAT }, /networkMode 'nat' is for Windows containers only/],
    ['containerPort with networkMode NONE', { networkMode: ecs.NetworkMode.NONE, containerPort: 8125 }, /containerPort \(8125\) cannot be published with networkMode NONE/],
    ['containerPort out of range', { containerPort: 70000 }, /containerPort must be a whole number between 1 and 65535, got 70000/],
    ['an architecture other than the provider\'s', { cpuArchitecture: ecs.CpuArchitecture.X86_64 }, /cpuArchitecture is X86_64 but capacity provider 'Test\/Cluster\/Arm\/CapacityProvider' runs ARM64/],
    ['cpu below 128 units', { cpu: 64 }, /cpu must be a whole number between 128 and 196608, got 64/],
    // setup(): m7g.large (2 vCPUs, 8 GiB) and c7g.large (2 vCPUs, 4 GiB).
    ['cpu above every instance type\'s vCPUs', { cpu: 4096 },
      /Test\/Agent: cpu \(4096\) reserves 4096 CPU units on every instance, more than the 2048 \(2 vCPUs x 1024\) of m7g.large, the largest instance type of capacity provider 'Test\/Cluster\/Arm\/CapacityProvider', so ECS can place the agent on none of its instances\. Lower cpu to at most 2048, or use larger instance types\./],
    ['cpu plus sidecars above every instance type\'s vCPUs', { cpu: 2000, sidecars: [{ name: 'exporter', image, cpu: 100 }] },
      /cpu \(2000\) plus 100 CPU units of sidecars reserve 2100 CPU units on every instance, more than the 2048 .*Lower cpu to at most 1948/],
    ['memoryReservationMiB above every instance type\'s memory', { memoryReservationMiB: 9000, memoryLimitMiB: 10000 },
      /memoryReservationMiB \(9000\) reserves 9000 MiB on every instance, more than the 8192 MiB installed in m7g.large, the largest instance type of capacity provider 'Test\/Cluster\/Arm\/CapacityProvider', so ECS can place the agent on none of its instances/],
    ['containerPort 22 (SSH) in BRIDGE mode', { containerPort: 22 },
      /containerPort \(22\) is published on the same port of every instance \(networkMode bridge\), but ECS reserves host ports 22, 2375, 2376, 51678, 51679, 51680 .*so the agent can never be placed\. Use another port, or networkMode AWS_VPC\./],
    ['containerPort 51678 (ECS agent) in HOST mode', { containerPort: 51678, networkMode: ecs.NetworkMode.HOST },
      /containerPort \(51678\) is published on the same port of every instance \(networkMode host\), but ECS reserves host ports/],
    ['a log retention CloudWatch Logs does not accept', { logRetention: 2 as logs.RetentionDays },
      /logRetention 2 is not a retention CloudWatch Logs accepts \(1, 3, 5, 7, 14, .*3653 days\), so it rejects the log group at deploy\. Use a logs.RetentionDays value/],
  ])('rejects %s', (_name, props, message) => {
    expect(() => agent(props as Partial<DaemonAgentProps>)).toThrow(message);
  });
});

describe('compliance', () => {
  test('default configuration', async () => {
    const { s } = agent();
    expectCompliant(s.stack);
    await expectDeployable(s.stack);
  });

  test('fully customised configuration', async () => {
    const s = setup();
    const x86 = s.cluster.addAsgCapacity('X86', { instanceType: new ec2.InstanceType('m7i.large'), additionalInstanceTypes: [new ec2.InstanceType('c7i.large')], maxCapacity: 2 });
    const destination = new logs.LogGroup(s.stack, 'Destination', { encryptionKey: s.cluster.encryptionKey, retention: logs.RetentionDays.ONE_YEAR });
    const { agent: a } = build({
      capacityProvider: x86,
      cpu: 512,
      memoryReservationMiB: 256,
      memoryLimitMiB: 1024,
      networkMode: ecs.NetworkMode.HOST,
      containerPort: 2020,
      privileged: true,
      hostPidMode: true,
      user: '1000:1000',
      hostMounts: [
        { hostPath: '/var/log', containerPath: '/host/var/log' },
        { hostPath: '/proc', containerPath: '/host/proc' },
        { hostPath: '/var/lib/agent', containerPath: '/state', readOnly: false },
      ],
      volumes: [WorkloadVolume.bindMount({ name: 'tmp', containerPath: '/tmp' })],
      sidecars: [{ name: 'exporter', image, memoryLimitMiB: 64 }],
      placementConstraints: [ecs.PlacementConstraint.memberOf('attribute:ecs.os-type == linux')],
      logRetention: logs.RetentionDays.TWO_YEARS,
      healthCheck: { command: ['CMD-SHELL', 'true'] },
    }, s);
    destination.grantWrite(a);
    expectCompliant(s.stack);
    await expectDeployable(s.stack);
  });

  test('host network mode without privileged containers', async () => {
    const { s } = agent({ networkMode: ecs.NetworkMode.HOST, containerPort: 8125 });
    expectCompliant(s.stack);
    await expectDeployable(s.stack);
  });

  test('root user in host network mode stays the user\'s finding', () => {
    const { s } = agent({ networkMode: ecs.NetworkMode.HOST, user: 'root' });
    expect(complianceFindings(s.stack).map(f => `${f.pack} ${f.rule}`).sort()).toEqual([
      'HIPAA.Security HIPAA.Security-ECSTaskDefinitionUserForHostMode',
      'NIST.800.53.R5 NIST.800.53.R5-ECSTaskDefinitionUserForHostMode',
      'cfn-guard ecs_task_definition_nonroot_user_check',
      'cfn-guard ecs_task_definition_user_for_host_mode_check',
    ]);
  });

  test('awsvpc configuration', async () => {
    const { s } = agent({ networkMode: ecs.NetworkMode.AWS_VPC, containerPort: 4317 });
    expectCompliant(s.stack);
    await expectDeployable(s.stack);
  });
});

test('snapshot', () => {
  const { s } = agent({ containerPort: 24224, hostMounts: [{ hostPath: '/var/log/ecs', containerPath: '/host/var/log/ecs' }] });
  expect(stableTemplate(s.stack)).toMatchSnapshot();
});


describe('removalPolicy', () => {
  test('by default the log group is retained', () => {
    expect(statefulPolicies(build().agent)).toEqual(['Test/Agent/LogGroup/Resource: Retain/Retain']);
  });

  test('DESTROY deletes the log group', () => {
    expect(statefulPolicies(build({ removalPolicy: RemovalPolicy.DESTROY }).agent)).toEqual(['Test/Agent/LogGroup/Resource: Delete/Delete']);
  });

  test('SNAPSHOT is rejected', () => {
    expect(() => build({ removalPolicy: RemovalPolicy.SNAPSHOT }))
      .toThrow(/Test\/Agent: removalPolicy is SNAPSHOT, but CloudFormation snapshots databases and volumes only/);
  });
});
