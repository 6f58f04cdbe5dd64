import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Capacity, WorkloadCluster, WorkloadVolume, WorkloadVolumeKind } from '../../src';
import { BatchQueueWorker } from '../../src/batch-queue-worker/batch-queue-worker';
import { checkVolumesForPlatform, FsxWindowsVolumeOptions } from '../../src/core/volumes';
import { DaemonAgent } from '../../src/daemon-agent/daemon-agent';
import { ScheduledTask } from '../../src/scheduled-task/scheduled-task';
import { newStack } from '../compliance';
import { stackTemplates } from '../deploy-proof/graph';
import { storageNetworkProblems } from '../deploy-proof/smb';

const WINDOWS_IMAGE = ecs.ContainerImage.fromRegistry('mcr.microsoft.com/windows/servercore:ltsc2022');
const FS_ID = 'fs-0123456789abcdef0';

function setup() {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const windows = cluster.addAsgCapacity('Windows', {
    instanceType: new ec2.InstanceType('m6i.xlarge'), windows: ecs.WindowsOptimizedVersion.SERVER_2022, maxCapacity: 2,
  });
  const fileSystemGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'FsxGroup', 'sg-0123456789abcdef0');
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Credentials',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:fsx/ecs-AbCdEf');
  return { stack, cluster, windows, fileSystemGroup, secret };
}

function windowsWorker(s: ReturnType<typeof setup>, volume: Partial<FsxWindowsVolumeOptions>) {
  return new BatchQueueWorker(s.stack, 'Reports', {
    cluster: s.cluster,
    image: WINDOWS_IMAGE,
    maxTasks: 2,
    capacity: Capacity.ec2(s.windows),
    cpu: 1024,
    memoryLimitMiB: 2048,
    volumes: [WorkloadVolume.fsxWindows({
      containerPath: 'C:\\reports',
      fileSystemId: FS_ID,
      fileSystemSecurityGroups: [s.fileSystemGroup],
      domain: 'corp.example.com',
      credentialsSecret: s.secret,
      ...volume,
    })],
  });
}

describe('a Windows batch job that reads a share on FSx for Windows File Server', () => {
  const s = setup();
  const worker = windowsWorker(s, {});
  const template = Template.fromStack(s.stack);

  test('the task definition mounts the share read-only through the L1 FSx configuration', () => {
    const td = (Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any).Properties;
    expect(td.Volumes).toEqual([{
      Name: 'fsx',
      FSxWindowsFileServerVolumeConfiguration: {
        FileSystemId: FS_ID,
        RootDirectory: 'share',
        AuthorizationConfig: { CredentialsParameter: s.secret.secretArn, Domain: 'corp.example.com' },
      },
    }]);
    expect(td.ContainerDefinitions[0].MountPoints).toEqual([{ SourceVolume: 'fsx', ContainerPath: 'C:\\reports', ReadOnly: true }]);
  });

  test('only the execution role may read the credentials', () => {
    const roleOf = (role: any) => ({ Ref: s.stack.getLogicalId(role.node.defaultChild) });
    const reads = (role: any) => JSON.stringify(Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [roleOf(role)] } }))
      .map((p: any) => p.Properties.PolicyDocument)).includes(s.secret.secretArn);
    expect(reads(worker.taskDefinition.executionRole)).toBe(true);
    expect(reads(worker.taskDefinition.taskRole)).toBe(false);
  });

  test('SMB (445) reaches the file system from the Windows container instances, and from nothing else', () => {
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { GroupId: 'sg-0123456789abcdef0' } })) as any[];
    expect(rules.map(r => [r.Properties.IpProtocol, r.Properties.FromPort, r.Properties.ToPort])).toEqual([['tcp', 445, 445]]);
    const hostGroup = s.windows.autoScalingGroup.connections.securityGroups[0];
    expect(rules[0].Properties.SourceSecurityGroupId).toEqual({ 'Fn::GetAtt': [s.stack.getLogicalId(hostGroup.node.defaultChild as any), 'GroupId'] });
    expect(storageNetworkProblems(stackTemplates(s.stack))).toEqual([]);
  });

  test('the SMB hop check fails when the rule is missing', () => {
    const json = Template.fromStack(s.stack).toJSON();
    for (const [id, r] of Object.entries<any>(json.Resources)) {
      if (r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === 445) delete json.Resources[id];
    }
    expect(storageNetworkProblems(json)).toEqual([expect.stringMatching(/^\[hosts-to-fsx\] instances .* → FSx file system "fs-0123456789abcdef0": no ingress rule/)]);
  });
});

describe('a scheduled Windows job and a Windows daemon agent mount the share too', () => {
  const s = setup();
  const share = (containerPath: string) => WorkloadVolume.fsxWindows({
    containerPath, fileSystemId: FS_ID, fileSystemSecurityGroups: [s.fileSystemGroup], domain: 'corp.example.com', credentialsSecret: s.secret,
  });
  const job = new ScheduledTask(s.stack, 'NightlyReport', {
    cluster: s.cluster,
    image: WINDOWS_IMAGE,
    schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
    capacity: Capacity.ec2(s.windows),
    cpu: 1024,
    memoryLimitMiB: 2048,
    volumes: [share('C:\\reports')],
  });
  const agent = new DaemonAgent(s.stack, 'Indexer', {
    cluster: s.cluster,
    image: WINDOWS_IMAGE,
    capacityProvider: s.windows,
    memoryReservationMiB: 128,
    volumes: [share('C:\\share')],
  });
  const template = Template.fromStack(s.stack);

  test('both task definitions mount the share read-only; only their execution roles read the credentials', () => {
    for (const workload of [job, agent]) {
      const td = template.toJSON().Resources[s.stack.getLogicalId(workload.taskDefinition.node.defaultChild as any)].Properties;
      expect(td.Volumes).toEqual([expect.objectContaining({
        Name: 'fsx',
        FSxWindowsFileServerVolumeConfiguration: expect.objectContaining({ FileSystemId: FS_ID, RootDirectory: 'share' }),
      })]);
      expect(td.ContainerDefinitions[0].MountPoints).toEqual([expect.objectContaining({ SourceVolume: 'fsx', ReadOnly: true })]);
    }
  });

  test('SMB (445) is opened once from the Windows container instances, where both run, and the SMB hop check passes', () => {
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { GroupId: 'sg-0123456789abcdef0' } })) as any[];
    const hostGroup = s.windows.autoScalingGroup.connections.securityGroups[0];
    const host = { 'Fn::GetAtt': [s.stack.getLogicalId(hostGroup.node.defaultChild as any), 'GroupId'] };
    expect(rules.map(r => [r.Properties.FromPort, r.Properties.SourceSecurityGroupId, r.Properties.Description])).toEqual([
      [445, host, expect.stringMatching(/^SMB from the container instances of .*NightlyReport \(volume fsx\)$/)],
    ]);
    expect(storageNetworkProblems(stackTemplates(s.stack))).toEqual([]);
    const json = template.toJSON();
    for (const [id, r] of Object.entries<any>(json.Resources)) {
      if (r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === 445) delete json.Resources[id];
    }
    expect(storageNetworkProblems(json)).toEqual([
      expect.stringMatching(/^\[hosts-to-fsx\] instances ClusterInstanceSecurityGroup\w+ → FSx file system "fs-0123456789abcdef0": no ingress rule/),
      expect.stringMatching(/^\[hosts-to-fsx\] instances ClusterInstanceSecurityGroup\w+ → FSx file system "fs-0123456789abcdef0": no ingress rule/),
    ]);
  });

  test.each<[string, (s: ReturnType<typeof setup>) => void]>([
    ['ScheduledTask', t => new ScheduledTask(t.stack, 'Job', {
      cluster: t.cluster,
      image: WINDOWS_IMAGE,
      schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
      capacity: Capacity.ec2(t.windows),
      cpu: 1024,
      memoryLimitMiB: 2048,
      volumes: [WorkloadVolume.ebs({ containerPath: 'C:\\scratch', sizeGiB: 100, fileSystemType: ecs.FileSystemType.NTFS })],
    })],
    ['DaemonAgent', t => new DaemonAgent(t.stack, 'Agent', {
      cluster: t.cluster,
      image: WINDOWS_IMAGE,
      capacityProvider: t.windows,
      memoryReservationMiB: 128,
      volumes: [WorkloadVolume.ebs({ containerPath: 'C:\\scratch', sizeGiB: 100, fileSystemType: ecs.FileSystemType.NTFS })],
    })],
  ])('an EBS volume on a %s is refused: ECS attaches EBS to REPLICA services only', (_, build) => {
    const t = setup();
    build(t);
    expect(() => Template.fromStack(t.stack)).toThrow(
      /volumes\[0\] 'ebs' is an EBS volume, which ECS attaches only to the tasks of a REPLICA service \(BatchQueueWorker, InferenceService\)\. EventBridge Scheduler passes no volume configuration .* Use WorkloadVolume\.bindMount/);
  });
});

describe('FSx for Windows File Server settings', () => {
  test('factory defaults: name fsx, read-only', () => {
    const s = setup();
    const v = WorkloadVolume.fsxWindows({ containerPath: 'C:\\d', fileSystemId: FS_ID, domain: 'corp.example.com', credentialsSecret: s.secret });
    expect([v.kind, v.name, v.readOnly]).toEqual([WorkloadVolumeKind.FSX_WINDOWS, 'fsx', true]);
  });

  test('overrides: an fsx.IFileSystem, an SSM parameter, a folder of the share, writable', () => {
    const s = setup();
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(s.stack, 'Param', { parameterName: '/fsx/ecs' });
    const fileSystem = { fileSystemId: FS_ID, connections: new ec2.Connections({ securityGroups: [s.fileSystemGroup] }) };
    const worker = windowsWorker(s, {
      fileSystem,
      fileSystemId: undefined,
      fileSystemSecurityGroups: undefined,
      credentialsSecret: undefined,
      credentialsParameter: parameter,
      rootDirectory: 'share\\reports',
      readOnly: false,
      name: 'reports',
    });
    const t = Template.fromStack(s.stack);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{ Name: 'reports', FSxWindowsFileServerVolumeConfiguration: Match.objectLike({ RootDirectory: 'share\\reports' }) }],
      ContainerDefinitions: [Match.objectLike({ MountPoints: [{ SourceVolume: 'reports', ContainerPath: 'C:\\reports', ReadOnly: false }] })],
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: s.stack.getLogicalId(worker.taskDefinition.executionRole!.node.defaultChild as any) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['ssm:GetParameters']) })]) },
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-0123456789abcdef0', FromPort: 445 });
  });

  test.each<[string, Partial<FsxWindowsVolumeOptions>, RegExp]>([
    ['a Linux path', { containerPath: '/reports' }, /volumes\[0\] 'fsx' is mounted at '\/reports', a Linux path\. Here the task runs Windows containers on EC2\. Give a Windows path/],
    ['no file system', { fileSystemId: undefined }, /volumes\[0\] needs exactly one of fileSystem and fileSystemId \(got neither\)/],
    ['no security group', { fileSystemSecurityGroups: [] }, /volumes\[0\] names no security group of the file system.*Give fileSystemSecurityGroups/],
    ['a bad file system id', { fileSystemId: 'fsx-1' }, /volumes\[0\]\.fileSystemId 'fsx-1' is not an FSx file system id/],
    ['no credentials', { credentialsSecret: undefined }, /volumes\[0\] needs exactly one of credentialsSecret and credentialsParameter \(got neither\)/],
    ['a short domain', { domain: 'corp' }, /volumes\[0\]\.domain 'corp' is not a fully qualified domain name/],
    ['a root directory with slashes', { rootDirectory: 'share/reports' }, /volumes\[0\]\.rootDirectory 'share\/reports' must name a share and optional folders with backslashes/],
  ])('%s is refused', (_, override, message) => {
    expect(() => windowsWorker(setup(), override)).toThrow(message);
  });

  test('Fargate is refused with the reason and the fix', () => {
    const s = setup();
    expect(() => new BatchQueueWorker(s.stack, 'W', {
      cluster: s.cluster,
      image: WINDOWS_IMAGE,
      maxTasks: 1,
      capacity: Capacity.fargateWindows(),
      volumes: [WorkloadVolume.fsxWindows({ containerPath: 'C:\\d', fileSystemId: FS_ID, fileSystemSecurityGroups: [s.fileSystemGroup], domain: 'corp.example.com', credentialsSecret: s.secret })],
    })).toThrow(/volumes\[0\] 'fsx' is an FSx for Windows File Server volume, which ECS mounts only into Windows (containers|tasks) on EC2 instances/);
  });

  test.each<[string, { windows: boolean; fargate: boolean; managedInstances: boolean }, RegExp | undefined]>([
    ['Windows EC2', { windows: true, fargate: false, managedInstances: false }, undefined],
    ['Linux EC2', { windows: false, fargate: false, managedInstances: false }, /is mounted at 'C:\\d', a Windows path\. Here the task runs Linux containers on EC2/],
    ['Windows Fargate', { windows: true, fargate: true, managedInstances: false }, /is an FSx for Windows File Server volume, which ECS mounts only into Windows containers on EC2 instances.*Here the task runs Windows containers on Fargate\. Run the workload on Windows EC2 capacity/],
    ['Windows Managed Instances', { windows: true, fargate: false, managedInstances: true }, /Here the task runs Windows containers on Managed Instances/],
  ])('checkVolumesForPlatform on %s', (_, platform, message) => {
    const s = setup();
    const v = WorkloadVolume.fsxWindows({ containerPath: 'C:\\d', fileSystemId: FS_ID, domain: 'corp.example.com', credentialsSecret: s.secret });
    const check = () => checkVolumesForPlatform(s.stack, [v], platform);
    if (message) expect(check).toThrow(message);
    else expect(check).not.toThrow();
  });

  test('checkVolumesForPlatform: EBS on Windows needs EC2 and NTFS; EFS and non-local Docker drivers are refused on Windows', () => {
    const s = setup();
    const win = { windows: true, fargate: false, managedInstances: false };
    expect(() => checkVolumesForPlatform(s.stack, [WorkloadVolume.ebs({ containerPath: 'C:\\scratch', sizeGiB: 50 })], win))
      .toThrow(/is an EBS volume formatted xfs, which Windows containers cannot mount\..*Set fileSystemType: ecs\.FileSystemType\.NTFS/);
    expect(() => checkVolumesForPlatform(s.stack, [WorkloadVolume.ebs({ containerPath: 'C:\\scratch', sizeGiB: 50, fileSystemType: ecs.FileSystemType.NTFS })], win)).not.toThrow();
    expect(() => checkVolumesForPlatform(s.stack, [WorkloadVolume.ebs({ containerPath: 'C:\\scratch', sizeGiB: 50, fileSystemType: ecs.FileSystemType.NTFS })], { ...win, fargate: true }))
      .toThrow(/is an EBS volume, which ECS attaches to Windows tasks on EC2 instances only/);
    expect(() => checkVolumesForPlatform(s.stack, [WorkloadVolume.ebs({ containerPath: '/scratch', sizeGiB: 50, fileSystemType: ecs.FileSystemType.NTFS })], { ...win, windows: false }))
      .toThrow(/is an EBS volume formatted ntfs, which Linux containers cannot mount\. .*Use XFS/);
    expect(() => checkVolumesForPlatform(s.stack, [WorkloadVolume.dockerVolume({ name: 'c', containerPath: 'C:\\c', driver: 'rexray/ebs' })], win))
      .toThrow(/uses Docker volume driver 'rexray\/ebs', but Windows containers support only the 'local' driver/);
  });
});
