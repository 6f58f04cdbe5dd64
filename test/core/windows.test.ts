import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { BatchQueueWorker, Capacity, DaemonAgent, InferenceService, ScheduledTask, WorkloadCluster, WorkloadVolume } from '../../src';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { TestWorkload, TestWorkloadProps } from './workload';

const image = ecs.ContainerImage.fromRegistry('mcr.microsoft.com/windows/servercore:ltsc2022');

/** The PowerShell user data of a launch template, with the cluster name's reference flattened. */
function userData(template: Template): string {
  const lts = template.findResources('AWS::EC2::LaunchTemplate');
  const data = Object.values(lts)[0].Properties.LaunchTemplateData.UserData['Fn::Base64'];
  return typeof data === 'string' ? data : (data['Fn::Join'][1] as unknown[]).map(p => typeof p === 'string' ? p : '<ref>').join('');
}

function mainContainer(template: Template): { [key: string]: unknown } {
  const defs = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  return (defs[0].Properties.ContainerDefinitions as { Name: string }[]).find(c => c.Name === 'main') as unknown as { [key: string]: unknown };
}

describe('Capacity.fargateWindows', () => {
  test('on-demand Fargate with Windows Server 2022 Core by default; never Spot', () => {
    const capacity = Capacity.fargateWindows();
    expect(capacity.isFargate).toBe(true);
    expect(capacity.isFargateWindows).toBe(true);
    expect(capacity.usesSpot).toBe(false);
    expect(capacity.strategies).toEqual([{ capacityProvider: 'FARGATE', weight: 1 }]);
    expect(capacity.operatingSystemFamily).toBe(ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE);
    expect(Capacity.fargate().isFargateWindows).toBe(false);
  });

  test.each([
    ecs.OperatingSystemFamily.WINDOWS_SERVER_2019_CORE, ecs.OperatingSystemFamily.WINDOWS_SERVER_2019_FULL,
    ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE, ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_FULL,
  ])('accepts %p', (operatingSystemFamily) => {
    expect(() => Capacity.fargateWindows({ operatingSystemFamily }).validate(new Construct(newStack(), 'W'))).not.toThrow();
  });

  test.each([
    [ecs.OperatingSystemFamily.WINDOWS_SERVER_2025_CORE, /capacity runs 'WINDOWS_SERVER_2025_CORE' on Fargate, but Fargate runs Windows Server 2019 and 2022 only\. Use ecs\.OperatingSystemFamily\.WINDOWS_SERVER_2019_CORE, .*WINDOWS_SERVER_2022_FULL, or run other versions on EC2 with cluster\.addAsgCapacity\(id, \{ windows:/],
    [ecs.OperatingSystemFamily.LINUX, /capacity runs 'LINUX' on Fargate, but Fargate runs Windows Server 2019 and 2022 only/],
  ])('refuses %p', (operatingSystemFamily, message) => {
    expect(() => Capacity.fargateWindows({ operatingSystemFamily }).validate(new Construct(newStack(), 'W'))).toThrow(message);
  });
});

describe('a Windows task on Fargate', () => {
  function build(props: Partial<TestWorkloadProps> = {}): { stack: Stack; template: Template } {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    new TestWorkload(stack, 'Work', { cluster, image, capacity: Capacity.fargateWindows(), ...props });
    return { stack, template: Template.fromStack(stack) };
  }

  test('defaults: 1 vCPU / 2 GiB, x86_64 Windows runtime, awsvpc, writable root, image user, no Linux parameters', () => {
    const { template } = build({ enableExec: true, sidecars: [{ name: 'log', image }] });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '1024',
      Memory: '2048',
      NetworkMode: 'awsvpc',
      RuntimePlatform: { OperatingSystemFamily: 'WINDOWS_SERVER_2022_CORE', CpuArchitecture: 'X86_64' },
    });
    const main = mainContainer(template);
    expect(main.ReadonlyRootFilesystem).toBeUndefined();
    expect(main.User).toBeUndefined();
    expect(main.LinuxParameters).toBeUndefined();
    const defs = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions as { [k: string]: unknown }[];
    const sidecar = defs.find(c => c.Name === 'log')!;
    expect(sidecar.ReadonlyRootFilesystem).toBeUndefined();
    expect(sidecar.User).toBeUndefined();
    // cfn-guard's read-only root rule is suppressed with the reason (ECS has no such setting for Windows).
    const td = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0];
    expect(td.Metadata.guard.SuppressedRules).toContain('ecs_containers_readonly_access_check');
    expect(td.Metadata.guard.Reasons.ecs_containers_readonly_access_check).toMatch(/ECS does not support a read-only root file system .* for Windows containers/);
  });

  test('overrides: Windows Server 2019 Full, 4 vCPUs / 16 GiB', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    new TestWorkload(stack, 'Work', {
      cluster,
      image,
      cpu: 4096,
      memoryLimitMiB: 16384,
      capacity: Capacity.fargateWindows({ operatingSystemFamily: ecs.OperatingSystemFamily.WINDOWS_SERVER_2019_FULL }),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '4096', Memory: '16384', RuntimePlatform: { OperatingSystemFamily: 'WINDOWS_SERVER_2019_FULL', CpuArchitecture: 'X86_64' },
    });
  });

  const where = 'the tasks run Windows containers on Fargate \\(WINDOWS_SERVER_2022_CORE\\)';
  test.each([
    ['cpu below 1 vCPU', { cpu: 512 }, /cpu 512 is not a CPU value Fargate takes for Windows tasks \(Fargate \(WINDOWS_SERVER_2022_CORE\)\)\. Use one of 1024, 2048, 4096/],
    ['cpu of 8 vCPUs', { cpu: 8192, memoryLimitMiB: 16384 }, /cpu 8192 is not a CPU value Fargate takes for Windows tasks/],
    ['1 vCPU with 1 GiB', { cpu: 1024, memoryLimitMiB: 1024 }, /memoryLimitMiB 1024 is not valid with cpu 1024 on Fargate\. Valid memoryLimitMiB values for cpu 1024: 2048 to 8192/],
    ['ARM64', { cpuArchitecture: ecs.CpuArchitecture.ARM64 }, new RegExp(`cpuArchitecture is ARM64, but ${where}, and Windows containers on ECS are x86_64 only`)],
    ['a read-only root file system', { readonlyRootFilesystem: true }, new RegExp(`readonlyRootFilesystem is true, but ${where}, and ECS does not support a read-only root file system for Windows containers\\. Remove readonlyRootFilesystem`)],
    ['a container user', { user: '1000' }, new RegExp(`user is '1000', but ${where}, and ECS does not support the user parameter for Windows containers\\. Remove user and set the account in the image \\(USER ContainerUser`)],
    ['a sidecar with a read-only root', { sidecars: [{ name: 'log', image, readonlyRootFilesystem: true }] }, /sidecars\[0\] \('log'\) has readonlyRootFilesystem true, but the tasks run Windows containers/],
    ['a sidecar user', { sidecars: [{ name: 'log', image, user: 'root' }] }, /sidecars\[0\] \('log'\) has user 'root', but the tasks run Windows containers .* Remove user/],
    ['GPUs', { gpuCount: 1 }, new RegExp(`gpuCount is 1, but ${where}; ECS reserves GPUs for Linux containers only`)],
    ['a bridge network', { networkMode: ecs.NetworkMode.BRIDGE }, new RegExp(`networkMode is 'bridge', but ${where}, where ECS supports awsvpc only\\. Use ecs\\.NetworkMode\\.AWS_VPC`)],
  ])('refuses %s', (_name, props, message) => {
    expect(() => build(props as Partial<TestWorkloadProps>)).toThrow(message);
  });

  test('refuses an EFS volume, naming FSx for Windows File Server', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const fileSystem = new efs.FileSystem(stack, 'Fs', { vpc: cluster.vpc });
    expect(() => new TestWorkload(stack, 'Work', {
      cluster,
      image,
      capacity: Capacity.fargateWindows(),
      volumes: [WorkloadVolume.efs({ fileSystem, containerPath: 'C:\\models' })],
    })).toThrow(/volumes\[0\] 'efs' is an EFS volume, which Windows containers cannot mount\. Here the task runs Windows containers on Fargate\. Use WorkloadVolume\.fsxWindows/);
  });

  test('refuses a Linux container path', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    expect(() => new TestWorkload(stack, 'Work', {
      cluster,
      image,
      capacity: Capacity.fargateWindows(),
      volumes: [WorkloadVolume.bindMount({ name: 'scratch', containerPath: '/scratch' })],
    })).toThrow(/volumes\[0\] 'scratch' is mounted at '\/scratch', a Linux path\. Here the task runs Windows containers on Fargate\. Give a Windows path/);
  });
});

describe('addAsgCapacity with windows', () => {
  function build(extra: { spot?: boolean; rootVolumeSizeGiB?: number } = {}) {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const provider = cluster.addAsgCapacity('Windows', {
      instanceType: new ec2.InstanceType('m6i.xlarge'), maxCapacity: 2, windows: ecs.WindowsOptimizedVersion.SERVER_2022, ...extra,
    });
    return { stack, cluster, provider, get template() { return Template.fromStack(stack); } };
  }

  test('Windows AMI, PowerShell agent start with task roles and awsvpc, encrypted 50 GiB /dev/sda1, IMDSv2, managed scaling and draining', () => {
    const { cluster, template } = build();
    expect(cluster.asgCapacity[0].windowsVersion).toBe(ecs.WindowsOptimizedVersion.SERVER_2022);
    expect(cluster.asgCapacity[0].cpuArchitecture).toBe(ecs.CpuArchitecture.X86_64);
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { Encrypted: true, VolumeSize: 50, VolumeType: 'gp3', DeleteOnTermination: true } }],
      }),
    });
    const ami = Object.keys(template.toJSON().Parameters).find(p => p.includes('amiwindows'));
    expect(template.toJSON().Parameters[ami!].Default).toBe('/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-ECS_Optimized/image_id');
    const script = userData(template);
    expect(script.startsWith('<powershell>')).toBe(true);
    expect(script).toContain('Import-Module ECSTools');
    expect(script).toMatch(/Initialize-ECSAgent -Cluster '<ref>' -EnableTaskIAMRole -EnableTaskENI -AwsvpcBlockIMDS/);
    expect(script).not.toContain('/etc/ecs/ecs.config');
    expect(script).not.toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING');
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedDraining: 'ENABLED',
        ManagedScaling: Match.objectLike({ Status: 'ENABLED', TargetCapacity: 100 }),
      }),
    });
  });

  test('Spot: draining is set before the agent starts; the root volume size can be raised', () => {
    const { template } = build({ spot: true, rootVolumeSizeGiB: 100 });
    const script = userData(template);
    const draining = script.indexOf('[Environment]::SetEnvironmentVariable("ECS_ENABLE_SPOT_INSTANCE_DRAINING", "true", "Machine")');
    expect(draining).toBeGreaterThan(-1);
    expect(draining).toBeLessThan(script.indexOf('Initialize-ECSAgent'));
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ BlockDeviceMappings: [Match.objectLike({ DeviceName: '/dev/sda1', Ebs: Match.objectLike({ VolumeSize: 100 }) })] }),
    });
  });

  test.each([
    ['an ARM64 instance type', { instanceType: new ec2.InstanceType('m7g.large') }, /windows is '2022' but instanceType 'm7g.large' is ARM64, and the ECS-optimized Windows Server AMIs are x86_64 only\. Pick an x86_64 instance type/],
    ['GPUs', { instanceType: new ec2.InstanceType('g5.xlarge'), gpu: true }, /windows is '2022' with gpu true, but ECS reserves GPUs for Linux containers only .* Remove gpu, or add a separate Linux GPU capacity provider/],
    ['a root volume under 30 GiB', { instanceType: new ec2.InstanceType('m6i.large'), rootVolumeSizeGiB: 20 }, /rootVolumeSizeGiB must be a whole number between 30 and 16384, got 20/],
  ])('refuses %s', (_name, props, message) => {
    const cluster = new WorkloadCluster(newStack(), 'Cluster');
    expect(() => cluster.addAsgCapacity('Windows', { maxCapacity: 1, windows: ecs.WindowsOptimizedVersion.SERVER_2022, ...props })).toThrow(message);
  });

  test('tasks on it: EC2 Windows, awsvpc by default, container-level CPU, no runtime platform', () => {
    const { stack, cluster, provider } = build();
    new TestWorkload(stack, 'Work', { cluster, image, capacity: Capacity.ec2(provider), cpu: 1024, memoryLimitMiB: 2048, sidecars: [{ name: 'log', image, cpu: 128 }] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RequiresCompatibilities: ['EC2'], NetworkMode: 'awsvpc', RuntimePlatform: Match.absent() });
    const main = mainContainer(template);
    expect(main.Cpu).toBe(896);
    expect(main.User).toBeUndefined();
    expect(main.ReadonlyRootFilesystem).toBeUndefined();
  });

  test('tasks on it may use the Windows NAT network (ECS\'s default), and Docker volumes of the local driver only', () => {
    const { stack, cluster, provider } = build();
    new TestWorkload(stack, 'Work', {
      cluster,
      image,
      capacity: Capacity.ec2(provider),
      networkMode: ecs.NetworkMode.NAT,
      volumes: [WorkloadVolume.dockerVolume({ name: 'scratch', containerPath: 'C:\\scratch' })],
    });
    const td = Object.values(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'))[0];
    expect(td.Properties.NetworkMode).toBeUndefined();
    const other = build();
    expect(() => new TestWorkload(other.stack, 'Work', {
      cluster: other.cluster,
      image,
      capacity: Capacity.ec2(other.provider),
      volumes: [WorkloadVolume.dockerVolume({ name: 'shared', containerPath: 'C:\\shared', driver: 'rexray/ebs' })],
    })).toThrow(/volumes\[0\] 'shared' uses Docker volume driver 'rexray\/ebs', but Windows containers support only the 'local' driver\. Here the task runs Windows containers on EC2/);
  });

  test.each([
    ['host networking', { networkMode: ecs.NetworkMode.HOST }, /networkMode is 'host', but the tasks run Windows containers on capacity provider 'Test\/Cluster\/Windows\/CapacityProvider' \(Windows Server 2022\), where ECS supports awsvpc and the default Windows NAT network only\. Use ecs\.NetworkMode\.AWS_VPC or ecs\.NetworkMode\.NAT/],
    ['a read-only root file system', { readonlyRootFilesystem: true }, /readonlyRootFilesystem is true, but the tasks run Windows containers on capacity provider/],
  ])('tasks on it: refuses %s', (_name, props, message) => {
    const { stack, cluster, provider } = build();
    expect(() => new TestWorkload(stack, 'Work', { cluster, image, capacity: Capacity.ec2(provider), ...props })).toThrow(message);
  });
});

describe('DaemonAgent on Windows instances', () => {
  function build(props: { [key: string]: unknown } = {}) {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const windows = cluster.addAsgCapacity('Windows', {
      instanceType: new ec2.InstanceType('m6i.large'), maxCapacity: 2, windows: ecs.WindowsOptimizedVersion.SERVER_2022,
    });
    const agent = new DaemonAgent(stack, 'Agent', { cluster, image, capacityProvider: windows, memoryReservationMiB: 256, ...props });
    return { stack, cluster, agent };
  }

  test('defaults to the Windows NAT network, x86_64, no user or read-only root, and stays on Windows instances', () => {
    const { stack } = build({ containerPort: 24224 });
    const template = Template.fromStack(stack);
    const td = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0];
    expect(td.Properties.NetworkMode).toBeUndefined();
    const main = mainContainer(template);
    expect(main.User).toBeUndefined();
    expect(main.ReadonlyRootFilesystem).toBeUndefined();
    expect(main.PortMappings).toEqual([{ ContainerPort: 24224, HostPort: 24224, Protocol: 'tcp' }]);
    template.hasResourceProperties('AWS::ECS::Service', {
      SchedulingStrategy: 'DAEMON',
      PlacementConstraints: Match.arrayWith([{ Type: 'memberOf', Expression: 'attribute:ecs.os-type == windows' }]),
    });
  });

  test('Windows host mounts: a drive path on the instance, mounted read-only at a drive path in the container', () => {
    const { stack } = build({ hostMounts: [{ hostPath: 'C:\\ProgramData\\Amazon\\ECS\\log', containerPath: 'C:\\host\\ecs-log' }] });
    const template = Template.fromStack(stack);
    const td = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0];
    expect(td.Properties.Volumes).toEqual([{ Name: expect.any(String), Host: { SourcePath: 'C:\\ProgramData\\Amazon\\ECS\\log' } }]);
    expect(mainContainer(template).MountPoints).toEqual([{ SourceVolume: td.Properties.Volumes[0].Name, ContainerPath: 'C:\\host\\ecs-log', ReadOnly: true }]);
  });

  test('a Windows host path on a Linux task is refused, naming the Linux form', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const linux = cluster.addAsgCapacity('Linux', { instanceType: new ec2.InstanceType('m6i.large'), maxCapacity: 2 });
    expect(() => new DaemonAgent(stack, 'Agent', {
      cluster, image, capacityProvider: linux, memoryReservationMiB: 256,
      volumes: [WorkloadVolume.bindMount({ name: 'logs', hostPath: 'C:\\logs', containerPath: '/logs' })],
    })).toThrow(/volumes\[0\] 'logs' mounts host path 'C:\\logs', a Windows path\. Here the task runs Linux containers on EC2\. Give an absolute Linux host path such as '\/var\/log'\./);
  });

  test('a Linux daemon on a cluster with Windows capacity stays on Linux instances', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const linux = cluster.addAsgCapacity('Linux', { instanceType: new ec2.InstanceType('m6i.large'), maxCapacity: 2 });
    cluster.addAsgCapacity('Windows', { instanceType: new ec2.InstanceType('m6i.large'), maxCapacity: 2, windows: ecs.WindowsOptimizedVersion.SERVER_2019 });
    new DaemonAgent(stack, 'Agent', { cluster, image, capacityProvider: linux, memoryReservationMiB: 256 });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::Service', {
      PlacementConstraints: Match.arrayWith([{ Type: 'memberOf', Expression: 'attribute:ecs.os-type == linux' }]),
    });
  });

  test.each([
    ['bridge networking', { networkMode: ecs.NetworkMode.BRIDGE }, /networkMode is 'bridge', but the tasks run Windows containers on capacity provider 'Test\/Cluster\/Windows\/CapacityProvider' \(Windows Server 2022\), where ECS supports awsvpc and the default Windows NAT network only/],
    ['privileged', { privileged: true }, /privileged is true, but the tasks run Windows containers .* ECS does not support privileged Windows containers\. Remove privileged/],
    ['the host PID namespace', { hostPidMode: true }, /pidMode is 'host' \(hostPidMode\), but the tasks run Windows containers .* Remove it/],
    ['a Linux host path', { hostMounts: [{ hostPath: '/var/log', containerPath: 'C:\\host\\log' }] },
      /hostMounts\[0\]\.hostPath must be an absolute Windows path without '\.\.' \(the agent runs on Windows instances\), got '\/var\/log'\. Start it with a drive/],
    ['host port 80 (the credential proxy)', { containerPort: 80 }, /containerPort \(80\) is published on the same port of every instance \(networkMode nat\), but ECS reserves host ports 80, 22, .*\(the task credential proxy, SSH, Docker and the ECS agent\)/],
  ])('refuses %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('NAT stays refused on Linux instances', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    cluster.addAsgCapacity('Linux', { instanceType: new ec2.InstanceType('m6i.large'), maxCapacity: 2 });
    expect(() => new DaemonAgent(stack, 'Agent', { cluster, image, memoryReservationMiB: 256, networkMode: ecs.NetworkMode.NAT }))
      .toThrow(/networkMode 'nat' is for Windows containers only; the instances of 'Test\/Cluster\/Linux\/CapacityProvider' run Linux/);
  });
});

describe('every workload construct takes Windows capacity', () => {
  test('an InferenceService on Windows EC2 instances and a ScheduledTask on Fargate Windows', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const windows = cluster.addAsgCapacity('Windows', { instanceType: new ec2.InstanceType('m6i.xlarge'), maxCapacity: 2, windows: ecs.WindowsOptimizedVersion.SERVER_2019 });
    new InferenceService(stack, 'Api', { cluster, image, capacity: Capacity.ec2(windows), cpu: 2048, memoryLimitMiB: 4096, containerPort: 80 });
    new ScheduledTask(stack, 'Nightly', {
      cluster,
      image,
      capacity: Capacity.fargateWindows({ operatingSystemFamily: ecs.OperatingSystemFamily.WINDOWS_SERVER_2019_CORE }),
      schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::Service', { LaunchType: Match.absent(), CapacityProviderStrategy: [Match.objectLike({ Weight: 1 })], NetworkConfiguration: Match.anyValue() });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RequiresCompatibilities: ['EC2'], NetworkMode: 'awsvpc', Cpu: '2048' });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '1024',
      Memory: '2048',
      RuntimePlatform: { OperatingSystemFamily: 'WINDOWS_SERVER_2019_CORE', CpuArchitecture: 'X86_64' },
    });
    expect(ecsAmi(template)).toBe('/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-ECS_Optimized/image_id');
  });
});

function ecsAmi(template: Template): string | undefined {
  const params = template.toJSON().Parameters as { [k: string]: { Default?: string } };
  return Object.values(params).map(p => p.Default).find(d => d?.includes('ECS_Optimized'));
}

describe('compliance and deployability', () => {
  test('a Windows worker on Fargate', async () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    new BatchQueueWorker(stack, 'Worker', { cluster, image, maxTasks: 4, capacity: Capacity.fargateWindows() });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::Service', { CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }] });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: { OperatingSystemFamily: 'WINDOWS_SERVER_2022_CORE', CpuArchitecture: 'X86_64' } });
    expectCompliant(stack);
    await expectDeployable(stack);
  });

  test('a Windows daemon on Windows EC2 instances', async () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const windows = cluster.addAsgCapacity('Windows', {
      instanceType: new ec2.InstanceType('m6i.large'),
      additionalInstanceTypes: [new ec2.InstanceType('m7i.large')],
      maxCapacity: 2,
      windows: ecs.WindowsOptimizedVersion.SERVER_2022,
      spot: true,
    });
    new DaemonAgent(stack, 'Agent', { cluster, image, capacityProvider: windows, memoryReservationMiB: 256, containerPort: 24224 });
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});
