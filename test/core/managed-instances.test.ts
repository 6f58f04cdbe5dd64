import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { IMAGE, TestWorkload, TestWorkloadProps } from './workload';
import {
  BatchQueueWorker, Capacity, CapacityKind, InferenceService, ScheduledTask, WorkloadCluster, WorkloadVolume,
} from '../../src';
import { ValidationError } from '../../src/core/errors';
import { ManagedInstancesOptions, WorkloadManagedInstances } from '../../src/core/managed-instances';
import { ManagedDaemonAgent } from '../../src/daemon-agent/managed-daemon';
import { findingLines, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';

function addManaged(options: ManagedInstancesOptions = {}, clusterProps = {}): { stack: Stack; cluster: WorkloadCluster; template: Template } {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster', clusterProps);
  cluster.addManagedInstances('Managed', options);
  return { stack, cluster, template: Template.fromStack(stack) };
}

/** What `attempt` throws, built once for several assertions (undefined if it does not throw). */
function thrownBy(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (e) {
    return e;
  }
  return undefined;
}

function requirements(template: Template): any {
  const providers = template.findResources('AWS::ECS::CapacityProvider');
  const [provider] = Object.values(providers) as any[];
  return provider.Properties.ManagedInstancesProvider.InstanceLaunchTemplate;
}

describe('addManagedInstances defaults', () => {
  const { stack, cluster, template } = addManaged();
  const launch = requirements(template);

  test('Graviton on-demand instances of 2–16 vCPUs and at least 4 GiB, without accelerators', () => {
    expect(launch.CapacityOptionType).toBe('ON_DEMAND');
    expect(launch.InstanceRequirements).toEqual({
      VCpuCount: { Min: 2, Max: 16 },
      MemoryMiB: { Min: 4096 },
      CpuManufacturers: ['amazon-web-services'],
      AcceleratorCount: { Max: 0 },
    });
  });

  test('in the private subnets with the cluster instance security group, detailed monitoring, tags propagated', () => {
    expect(launch.NetworkConfiguration.Subnets).toEqual(
      cluster.vpc.privateSubnets.map(s => ({ Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) })));
    expect(launch.NetworkConfiguration.SecurityGroups).toEqual([
      { 'Fn::GetAtt': [stack.getLogicalId(cluster.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] },
    ]);
    expect(launch.Monitoring).toBe('DETAILED');
    expect(launch.StorageConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::ECS::CapacityProvider', { ClusterName: { Ref: Match.stringLikeRegexp('^ClusterC') }, ManagedInstancesProvider: { PropagateTags: 'CAPACITY_PROVIDER' } });
  });

  test('the cluster instance security group allows no inbound traffic', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'EC2 container instances of Test/Cluster',
      SecurityGroupIngress: Match.absent(),
    });
  });

  test('the instance profile role is named ecsInstanceRole… and may only make the ECS agent calls on this cluster', () => {
    const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] } } });
    const [roleId, role] = Object.entries(roles)[0] as [string, any];
    expect(role.Properties.RoleName).toMatch(/^ecsInstanceRole/);
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: roleId }], InstanceProfileName: role.Properties.RoleName });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          { Action: 'ecs:DiscoverPollEndpoint', Effect: 'Allow', Resource: '*' },
          {
            Action: ['ecs:RegisterContainerInstance', 'ecs:SubmitAttachmentStateChanges', 'ecs:SubmitTaskStateChange'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterC'), 'Arn'] },
          },
          {
            Action: ['ecs:Poll', 'ecs:StartTelemetrySession', 'ecs:PutSystemLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-east-1:123456789012:container-instance/', { Ref: Match.stringLikeRegexp('^ClusterC') }, '/*']] },
          },
        ],
      },
    });
  });

  test('the infrastructure role is trusted by ECS and carries the AWS managed policy the ECS guide prescribes', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ecs.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonECSInfrastructureRolePolicyForManagedInstances']] }],
    });
  });

  test('the handle describes the requirements', () => {
    const [handle] = cluster.managedInstances;
    expect(handle.cpuArchitecture).toBe(ecs.CpuArchitecture.ARM64);
    expect([handle.minVCpus, handle.maxVCpus, handle.minMemoryMiB, handle.maxMemoryMiB]).toEqual([2, 16, 4096, undefined]);
    expect([handle.minGpus, handle.maxGpus, handle.gpuManufacturer, handle.spot]).toEqual([0, 0, undefined, false]);
    expect(cluster.gpuManagedInstances).toBeUndefined();
  });

  test('no cdk-nag or cfn-guard finding is left unacknowledged', () => {
    expect(findingLines(stack)).toEqual([]);
  });
});

describe('addManagedInstances overrides', () => {
  test('GPU instances: x86_64 (Intel and AMD), NVIDIA GPUs within the range, Spot, larger task volume, basic monitoring', () => {
    const { cluster, template } = addManaged({
      minGpus: 1,
      maxGpus: 4,
      spot: true,
      storageSizeGiB: 200,
      detailedMonitoring: false,
      minVCpus: 4,
      maxVCpus: 48,
      minMemoryMiB: 16384,
      maxMemoryMiB: 196608,
      allowedInstanceTypes: ['g5.*', 'g6.xlarge'],
    });
    const launch = requirements(template);
    expect(launch.CapacityOptionType).toBe('SPOT');
    expect(launch.Monitoring).toBe('BASIC');
    expect(launch.StorageConfiguration).toEqual({ StorageSizeGiB: 200 });
    expect(launch.InstanceRequirements).toEqual({
      VCpuCount: { Min: 4, Max: 48 },
      MemoryMiB: { Min: 16384, Max: 196608 },
      CpuManufacturers: ['intel', 'amd'],
      AcceleratorCount: { Min: 1, Max: 4 },
      AcceleratorTypes: ['gpu'],
      AcceleratorManufacturers: ['nvidia'],
      AllowedInstanceTypes: ['g5.*', 'g6.xlarge'],
    });
    expect(cluster.gpuManagedInstances).toBe(cluster.managedInstances[0]);
    expect(cluster.gpuManagedInstances?.cpuArchitecture).toBe(ecs.CpuArchitecture.X86_64);
  });

  test('x86_64 without GPUs, excluded types, own subnets and security groups, a name', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const sg = new ec2.SecurityGroup(stack, 'Own', { vpc: cluster.vpc });
    cluster.addManagedInstances('Managed', {
      cpuArchitecture: ecs.CpuArchitecture.X86_64,
      excludedInstanceTypes: ['t*'],
      vpcSubnets: { subnets: [cluster.vpc.privateSubnets[0]] },
      securityGroups: [sg],
      capacityProviderName: 'managed-x86',
    });
    const template = Template.fromStack(stack);
    const launch = requirements(template);
    expect(launch.InstanceRequirements.CpuManufacturers).toEqual(['intel', 'amd']);
    expect(launch.InstanceRequirements.ExcludedInstanceTypes).toEqual(['t*']);
    expect(launch.NetworkConfiguration.Subnets).toHaveLength(1);
    expect(launch.NetworkConfiguration.SecurityGroups).toEqual([{ 'Fn::GetAtt': [stack.getLogicalId(sg.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] }]);
    template.hasResourceProperties('AWS::ECS::CapacityProvider', { Name: 'managed-x86' });
  });

  test('without NAT gateways, the ECS agent endpoints are added for the instances', () => {
    const { template } = addManaged({}, { natGateways: 0 });
    for (const service of ['ecs', 'ecs-agent', 'ecs-telemetry']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: `com.amazonaws.us-east-1.${service}`,
      });
    }
  });
});

describe('addManagedInstances refuses', () => {
  test.each<[string, ManagedInstancesOptions, RegExp]>([
    ['inverted vCPU range', { minVCpus: 8, maxVCpus: 4 }, /Test\/Cluster\/Managed: minVCpus \(8\) must not exceed maxVCpus \(4\)\. Lower minVCpus or raise maxVCpus\./],
    ['inverted memory range', { minMemoryMiB: 8192, maxMemoryMiB: 4096 }, /minMemoryMiB \(8192\) must not exceed maxMemoryMiB \(4096\)/],
    ['inverted GPU range', { minGpus: 4, maxGpus: 1 }, /minGpus \(4\) must not exceed maxGpus \(1\)/],
    ['zero vCPUs', { minVCpus: 0 }, /minVCpus must be a whole number between 1 and 1024, got 0/],
    ['more than 16 GPUs', { minGpus: 17 }, /minGpus must be a whole number between 0 and 16, got 17\. EC2 instance types have at most 16 GPUs\./],
    ['a GPU manufacturer without GPUs', { gpuManufacturer: ec2.AcceleratorManufacturer.NVIDIA },
      /gpuManufacturer \(nvidia\) was given with minGpus 0, which keeps instances with accelerators out\. Set minGpus to 1 or more, or remove gpuManufacturer\./],
    ['GPUs of another manufacturer', { minGpus: 1, gpuManufacturer: ec2.AcceleratorManufacturer.AMD },
      /gpuManufacturer is 'amd', but ECS reserves GPUs for tasks \(gpuCount\) on NVIDIA GPUs only\. Use ec2\.AcceleratorManufacturer\.NVIDIA/],
    ['GPUs on ARM64', { minGpus: 1, cpuArchitecture: ecs.CpuArchitecture.ARM64 },
      /cpuArchitecture is ARM64 with minGpus 1, but this library runs GPU tasks on x86_64 only\. Set cpuArchitecture to ecs\.CpuArchitecture\.X86_64/],
    ['GPUs with a non-GPU instance type list', { minGpus: 1, allowedInstanceTypes: ['g5.xlarge', 'm7i.large'] },
      /allowedInstanceTypes\[1\] 'm7i\.large' has no GPU, but minGpus is 1, so ECS could never launch it\. List GPU instance types only/],
    ['allowed and excluded types together', { allowedInstanceTypes: ['m7g.*'], excludedInstanceTypes: ['m7g.large'] },
      /allowedInstanceTypes \(m7g\.\*\) and excludedInstanceTypes \(m7g\.large\) were both given; EC2 accepts one or the other\./],
    ['a reserved name', { capacityProviderName: 'ecs-managed' }, /capacityProviderName 'ecs-managed' starts with 'ecs', a prefix ECS reserves/],
    ['a task volume of 0 GiB', { storageSizeGiB: 0 }, /storageSizeGiB must be a whole number between 1 and 16384, got 0/],
  ])('%s', (_, options, message) => {
    const error = thrownBy(() => new WorkloadCluster(newStack(), 'Cluster').addManagedInstances('Managed', options));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
  });

  test('an existing cluster given to WorkloadCluster', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const existing = ecs.Cluster.fromClusterAttributes(stack, 'Existing', { clusterName: 'shared', vpc });
    const cluster = new WorkloadCluster(stack, 'Cluster', { vpc, cluster: existing });
    expect(() => cluster.addManagedInstances('Managed')).toThrow(
      /Test\/Cluster: addManagedInstances\('Managed'\) needs a cluster created by WorkloadCluster, but an existing cluster was given\. Add an ecs\.ManagedInstancesCapacityProvider to the existing cluster/);
  });

  test('an id used twice', () => {
    const cluster = new WorkloadCluster(newStack(), 'Cluster');
    cluster.addManagedInstances('Managed');
    expect(() => cluster.addManagedInstances('Managed')).toThrow(/addManagedInstances id 'Managed' is already used in this cluster/);
  });
});

describe('Capacity.managedInstances', () => {
  test('uses the provider with an optional base', () => {
    const cluster = new WorkloadCluster(newStack(), 'Cluster');
    const managed = cluster.addManagedInstances('Managed');
    const capacity = Capacity.managedInstances(managed, { base: 1 });
    expect(capacity.kind).toBe(CapacityKind.MANAGED_INSTANCES);
    expect([capacity.isFargate, capacity.isManagedInstances, capacity.usesSpot]).toEqual([false, true, false]);
    expect(capacity.managedInstancesCapacity).toBe(managed);
    expect(capacity.provider).toBeUndefined();
    expect(capacity.strategies).toEqual([{ capacityProvider: managed.capacityProvider.capacityProviderName, base: 1, weight: 1 }]);
  });

  test('validate() rejects a base out of range', () => {
    const stack = newStack();
    const managed = new WorkloadCluster(stack, 'Cluster').addManagedInstances('Managed');
    expect(() => Capacity.managedInstances(managed, { base: -1 }).validate(new Construct(stack, 'Work')))
      .toThrow(/capacity\.base must be a whole number between 0 and 100000, got -1/);
  });
});

describe('task definitions on Managed Instances', () => {
  function workload(options: ManagedInstancesOptions, props: Partial<TestWorkloadProps> = {}) {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const managed = cluster.addManagedInstances('Managed', options);
    const work = new TestWorkload(stack, 'Work', { cluster, image: IMAGE, capacity: Capacity.managedInstances(managed), ...props });
    return { stack, cluster, managed, work, template: Template.fromStack(stack) };
  }

  test('MANAGED_INSTANCES compatibility, awsvpc, task-level CPU and memory, the capacity architecture', () => {
    const { template } = workload({});
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['MANAGED_INSTANCES'],
      NetworkMode: 'awsvpc',
      Cpu: '256',
      Memory: '512',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('a GPU task on GPU instances reserves its GPUs on x86_64', () => {
    const { template } = workload({ minGpus: 1, maxGpus: 4, maxMemoryMiB: 65536 }, { gpuCount: 2, cpu: 4096, memoryLimitMiB: 16384 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [Match.objectLike({ ResourceRequirements: [{ Type: 'GPU', Value: '2' }] })],
    });
  });

  test('a task of exactly the largest vCPUs and memory is accepted', () => {
    expect(() => workload({ maxVCpus: 4, maxMemoryMiB: 8192 }, { cpu: 4096, memoryLimitMiB: 8192 })).not.toThrow();
  });

  test.each<[string, ManagedInstancesOptions, Partial<TestWorkloadProps>, RegExp]>([
    ['another architecture', {}, { cpuArchitecture: ecs.CpuArchitecture.X86_64 },
      /Test\/Work: cpuArchitecture is X86_64 but Managed Instances capacity provider 'Test\/Cluster\/Managed\/CapacityProvider' launches ARM64 instances\. Remove cpuArchitecture/],
    ['GPUs on instances without GPUs', {}, { gpuCount: 1, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
      /cpuArchitecture is X86_64 but Managed Instances capacity provider/],
    ['GPUs on x86 instances without GPUs', { cpuArchitecture: ecs.CpuArchitecture.X86_64 }, { gpuCount: 1 },
      /gpuCount is 1 but Managed Instances capacity provider 'Test\/Cluster\/Managed\/CapacityProvider' launches instances without GPUs\. Use Managed Instances added with addManagedInstances\(id, \{ minGpus: 1 \}\)\./],
    ['more GPUs than maxGpus', { minGpus: 1, maxGpus: 2 }, { gpuCount: 4 },
      /gpuCount \(4\) is more than the 2 GPUs \(maxGpus\) of the instances of Managed Instances capacity provider .*Lower gpuCount to at most 2, or raise maxGpus/],
    ['more CPU than the largest instance', { maxVCpus: 2 }, { cpu: 4096, memoryLimitMiB: 8192 },
      /cpu \(4096\) is more than the 2048 CPU units \(2 vCPUs x 1024, maxVCpus\) of the largest instance .* Lower cpu to at most 2048, or raise maxVCpus/],
    ['more memory than the largest instance', { maxMemoryMiB: 8192 }, { cpu: 1024, memoryLimitMiB: 16384 },
      /memoryLimitMiB \(16384\) is more than the 8192 MiB \(maxMemoryMiB\) of the largest instance .*Lower memoryLimitMiB, or raise maxMemoryMiB/],
    ['bridge networking', {}, { networkMode: ecs.NetworkMode.BRIDGE },
      /networkMode is 'bridge', but workloads on Managed Instances run in awsvpc mode .*Use ecs\.NetworkMode\.AWS_VPC\./],
    ['a Docker volume', {}, { volumes: [WorkloadVolume.dockerVolume({ name: 'cache', containerPath: '/cache' })] },
      /volumes\[0\] 'cache' is a Docker volume, which ECS Managed Instances do not support\./],
    ['placement strategies', {}, { placementStrategies: [ecs.PlacementStrategy.packedByCpu()] },
      /placementStrategies \(1 given\) apply to EC2 capacity only; on ECS Managed Instances, ECS places tasks by its own algorithm .*Remove placementStrategies or narrow the instances with the requirements of cluster\.addManagedInstances/],
    ['placement constraints', {}, { placementConstraints: [ecs.PlacementConstraint.distinctInstances()] },
      /placementConstraints \(1 given\) apply to EC2 capacity only; on ECS Managed Instances/],
  ])('refuses %s', (_, options, props, message) => {
    const error = thrownBy(() => workload(options, props));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
  });

  test('refuses Managed Instances of another cluster', () => {
    const stack = newStack();
    const other = new WorkloadCluster(stack, 'Other').addManagedInstances('Managed');
    const cluster = new WorkloadCluster(stack, 'Cluster');
    expect(() => new TestWorkload(stack, 'Work', { cluster, image: IMAGE, capacity: Capacity.managedInstances(other) })).toThrow(
      /capacity uses Managed Instances capacity provider 'Test\/Other\/Managed\/CapacityProvider', which was not added to cluster 'Test\/Cluster'\. Create it with cluster\.addManagedInstances/);
  });
});

describe('workloads on Managed Instances', () => {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const managed = cluster.addManagedInstances('Managed');
  const worker = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 4, capacity: Capacity.managedInstances(managed) });
  const scheduled = new ScheduledTask(stack, 'Nightly', {
    cluster, image: IMAGE, schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }), capacity: Capacity.managedInstances(managed),
  });
  const bounded = new ScheduledTask(stack, 'Bounded', {
    cluster,
    image: IMAGE,
    schedule: scheduler.ScheduleExpression.cron({ hour: '3', minute: '0' }),
    timeout: Duration.hours(1),
    capacity: Capacity.managedInstances(managed),
  });
  const template = Template.fromStack(stack);
  const providerRef = { Ref: stack.getLogicalId(managed.capacityProvider.node.defaultChild as ecs.CfnCapacityProvider) };

  test('the worker service uses the capacity provider in awsvpc mode, without a launch type, after the provider', () => {
    const service = template.findResources('AWS::ECS::Service')[stack.getLogicalId(worker.service.node.defaultChild as ecs.CfnService)];
    expect(service.Properties.CapacityProviderStrategy).toEqual([{ CapacityProvider: providerRef, Weight: 1 }]);
    expect(service.Properties.LaunchType).toBeUndefined();
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    expect(service.DependsOn).toEqual(expect.arrayContaining([providerRef.Ref]));
  });

  test('the scheduled task runs on the capacity provider, directly and through Step Functions', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        EcsParameters: Match.objectLike({ CapacityProviderStrategy: [{ CapacityProvider: providerRef, Weight: 1 }], LaunchType: Match.absent() }),
      },
    });
    const machineId = stack.getLogicalId(bounded.stateMachine!.node.defaultChild as any);
    const machine = JSON.stringify(template.toJSON().Resources[machineId].Properties.DefinitionString);
    expect(machine).toContain('CapacityProviderStrategy');
    expect(machine).not.toContain('LaunchType');
    expect(scheduled.capacity.isManagedInstances).toBe(true);
  });

  test('no cdk-nag or cfn-guard finding is left unacknowledged', () => {
    expect(findingLines(stack)).toEqual([]);
  });

  test('deploys: every hop, order and network path (Managed Instances providers are cluster-scoped)', async () => {
    await expectDeployable(stack);
  });
});

describe('one addManagedInstances call runs the worker, a GPU inference service and a daemon agent', () => {
  // Built on first use, so that a failure shows in these tests only.
  let built: { stack: Stack; gpu: WorkloadManagedInstances; inference: InferenceService; template: Template } | undefined;
  const app = () => {
    if (built) return built;
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const gpu = cluster.addManagedInstances('Gpu', { minGpus: 1, maxGpus: 1, maxVCpus: 16, allowedInstanceTypes: ['g5.*', 'g6.*'] });
    const capacity = Capacity.managedInstances(gpu);
    new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 4, capacity });
    const inference = new InferenceService(stack, 'Inference', { cluster, image: IMAGE, gpuCount: 1, cpu: 4096, memoryLimitMiB: 16384, capacity });
    new ManagedDaemonAgent(stack, 'LogAgent', { cluster, capacity, image: IMAGE, cpu: 128, memoryReservationMiB: 64 });
    built = { stack, gpu, inference, template: Template.fromStack(stack) };
    return built;
  };

  test('the inference tasks reserve their GPU on the Managed Instances', () => {
    const { stack, gpu, inference, template } = app();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['MANAGED_INSTANCES'],
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ ResourceRequirements: [{ Type: 'GPU', Value: '1' }] })]),
    });
    const service = template.toJSON().Resources[stack.getLogicalId(inference.service.node.defaultChild as ecs.CfnService)];
    const providerId = stack.getLogicalId(gpu.capacityProvider.node.defaultChild as ecs.CfnCapacityProvider);
    expect(service.Properties.CapacityProviderStrategy).toEqual([{ CapacityProvider: { Ref: providerId }, Weight: 1 }]);
    expect(service.Properties.PlatformVersion).toBeUndefined();
  });

  test('no cdk-nag or cfn-guard finding is left unacknowledged', () => {
    expect(findingLines(app().stack)).toEqual([]);
  });

  test('gpuCount alone picks the cluster\'s GPU Managed Instances', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const gpu = cluster.addManagedInstances('Gpu', { minGpus: 1 });
    const inference = new InferenceService(stack, 'Inference', { cluster, image: IMAGE, gpuCount: 1, cpu: 4096, memoryLimitMiB: 16384 });
    expect((inference.service.node.defaultChild as ecs.CfnService).capacityProviderStrategy)
      .toEqual([{ capacityProvider: gpu.capacityProvider.capacityProviderName, weight: 1, base: undefined }]);
  });

  test('deploys: policy hops, create/delete order, network paths and metrics', async () => {
    await expectDeployable(app().stack);
  });
});

test('a copy of the handle (as jsii hands a struct over from Python, Java or .NET) is accepted', () => {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const managed = cluster.addManagedInstances('Managed');
  const copy = { ...managed };
  expect(() => new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 2, capacity: Capacity.managedInstances(copy) })).not.toThrow();
  expect(() => new ManagedDaemonAgent(stack, 'Agent', { cluster, image: IMAGE, capacity: Capacity.managedInstances(copy), memoryReservationMiB: 64 })).not.toThrow();
});
