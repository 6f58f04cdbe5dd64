import { CfnElement, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { Capacity, WorkloadCluster, WorkloadVolume } from '../../src';
import { BatchQueueWorker } from '../../src/batch-queue-worker/batch-queue-worker';
import { FsxWindowsDeploymentType, FsxWindowsFileSystem, FsxWindowsFileSystemProps } from '../../src/core/fsx-windows';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { stackTemplates } from '../deploy-proof/graph';
import { storageNetworkProblems } from '../deploy-proof/smb';

const WINDOWS_IMAGE = ecs.ContainerImage.fromRegistry('mcr.microsoft.com/windows/servercore:ltsc2022');
const DIRECTORY = 'd-0123456789';

const idOf = (stack: Stack, c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement);

describe('a Windows batch worker that mounts a new FSx for Windows File Server file system (defaults)', () => {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const windows = cluster.addAsgCapacity('Windows', {
    instanceType: new ec2.InstanceType('m6i.xlarge'),
    // Control Tower wants more than one instance type in the group (the user's choice, not the file system's).
    additionalInstanceTypes: [new ec2.InstanceType('m7i.xlarge')],
    windows: ecs.WindowsOptimizedVersion.SERVER_2022,
    maxCapacity: 2,
  });
  const fileSystem = new FsxWindowsFileSystem(stack, 'Share', { vpc: cluster.vpc, activeDirectoryId: DIRECTORY });
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Credentials', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fsx/ecs-AbCdEf');
  new BatchQueueWorker(stack, 'Reports', {
    cluster,
    image: WINDOWS_IMAGE,
    maxTasks: 2,
    capacity: Capacity.ec2(windows),
    cpu: 1024,
    memoryLimitMiB: 2048,
    volumes: [WorkloadVolume.fsxWindows({ fileSystem, containerPath: 'C:\\reports', domain: 'corp.example.com', credentialsSecret: secret })],
  });
  const template = Template.fromStack(stack);
  const fsId = stack.getLogicalId(fileSystem.resource);
  const groupId = idOf(stack, fileSystem.connections.securityGroups[0]);
  const [first, second] = cluster.vpc.privateSubnets.map(s => ({ Ref: idOf(stack, s) }));

  test('a Multi-AZ SSD file system of 32 GiB and 32 MBps joined to the directory, backed up for 7 days, deleted with the stack (FSx keeps a final backup)', () => {
    const resource = template.toJSON().Resources[fsId];
    expect(resource).toEqual({
      Type: 'AWS::FSx::FileSystem',
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        FileSystemType: 'WINDOWS',
        StorageType: 'SSD',
        StorageCapacity: 32,
        SubnetIds: [first, second],
        SecurityGroupIds: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }],
        WindowsConfiguration: {
          ActiveDirectoryId: DIRECTORY,
          DeploymentType: 'MULTI_AZ_1',
          PreferredSubnetId: first,
          ThroughputCapacity: 32,
          AutomaticBackupRetentionDays: 7,
          CopyTagsToBackups: true,
        },
      },
    });
    expect(cluster.vpc.privateSubnets[0].availabilityZone).not.toEqual(cluster.vpc.privateSubnets[1].availabilityZone);
    expect([fileSystem.deploymentType, fileSystem.subnets]).toEqual([FsxWindowsDeploymentType.MULTI_AZ_1, cluster.vpc.privateSubnets]);
  });

  test('the attributes are the L1 ones; SMB is the default port', () => {
    expect(stack.resolve(fileSystem.fileSystemId)).toEqual({ Ref: fsId });
    expect(stack.resolve(fileSystem.fileSystemArn)).toEqual({ 'Fn::GetAtt': [fsId, 'ResourceARN'] });
    expect(stack.resolve(fileSystem.dnsName)).toEqual({ 'Fn::GetAtt': [fsId, 'DNSName'] });
    expect(fileSystem.connections.defaultPort?.toString()).toBe('445');
    expect(stack.resolve(fileSystem.metricFreeStorageCapacity().toMetricConfig().metricStat)).toMatchObject({
      namespace: 'AWS/FSx',
      metricName: 'FreeStorageCapacity',
      statistic: 'Minimum',
      period: Duration.minutes(5),
      dimensions: [{ name: 'FileSystemId', value: { Ref: fsId } }],
    });
  });

  test('its security group, deleted with it, admits only SMB from the Windows container instances and may reach the directory', () => {
    const group = template.toJSON().Resources[groupId];
    expect([group.DeletionPolicy, group.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' }]);
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] } },
    })).map((r: any) => r.Properties);
    const hostGroup = windows.autoScalingGroup.connections.securityGroups[0];
    expect(rules).toEqual([expect.objectContaining({
      IpProtocol: 'tcp', FromPort: 445, ToPort: 445, SourceSecurityGroupId: { 'Fn::GetAtt': [idOf(stack, hostGroup), 'GroupId'] },
    })]);
  });

  test('the task definition mounts it by id, and the SMB hop from the hosts to it passes', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{ Name: 'fsx', FSxWindowsFileServerVolumeConfiguration: Match.objectLike({ FileSystemId: { Ref: fsId }, RootDirectory: 'share' }) }],
    });
    expect(storageNetworkProblems(stackTemplates(stack))).toEqual([]);
    const json = JSON.parse(JSON.stringify(template.toJSON()));
    for (const [id, r] of Object.entries<any>(json.Resources)) {
      if (r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === 445) delete json.Resources[id];
    }
    expect(storageNetworkProblems(json)).toEqual([expect.stringMatching(new RegExp(`^\\[hosts-to-fsx\\] instances .* → FSx file system ${fsId}: `))]);
  });

  test('has no unacknowledged cdk-nag / cfn-guard finding and deploys', async () => {
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('FsxWindowsFileSystem overrides', () => {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const subnet = cluster.vpc.privateSubnets[1];
  const fileSystem = new FsxWindowsFileSystem(stack, 'Archive', {
    vpc: cluster.vpc,
    activeDirectoryId: DIRECTORY,
    deploymentType: FsxWindowsDeploymentType.SINGLE_AZ_2,
    vpcSubnets: { subnets: [subnet] },
    storageType: fsx.StorageType.HDD,
    storageCapacityGiB: 2000,
    throughputCapacityMBps: 12288,
    encryptionKey: cluster.encryptionKey,
    automaticBackupRetention: Duration.days(0),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const resources = Template.fromStack(stack).toJSON().Resources;

  test('each setting lands on the file system, and RETAIN on its security group too', () => {
    const resource = resources[stack.getLogicalId(fileSystem.resource)];
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.Properties).toEqual({
      FileSystemType: 'WINDOWS',
      StorageType: 'HDD',
      StorageCapacity: 2000,
      SubnetIds: [{ Ref: idOf(stack, subnet) }],
      SecurityGroupIds: [{ 'Fn::GetAtt': [idOf(stack, fileSystem.connections.securityGroups[0]), 'GroupId'] }],
      KmsKeyId: { Ref: idOf(stack, cluster.encryptionKey) },
      WindowsConfiguration: {
        ActiveDirectoryId: DIRECTORY,
        DeploymentType: 'SINGLE_AZ_2',
        ThroughputCapacity: 12288,
        AutomaticBackupRetentionDays: 0,
        CopyTagsToBackups: true,
      },
    });
    expect(resources[idOf(stack, fileSystem.connections.securityGroups[0])].DeletionPolicy).toBe('Retain');
    expect(fileSystem.subnets).toEqual([subnet]);
  });

  test('a MULTI_AZ_1 file system takes the first two of more subnets, one per Availability Zone', () => {
    const s = newStack();
    const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 3, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const fs = new FsxWindowsFileSystem(s, 'Fs', { vpc, activeDirectoryId: DIRECTORY });
    expect(vpc.isolatedSubnets).toHaveLength(3);
    expect(fs.subnets).toEqual(vpc.isolatedSubnets.slice(0, 2));
    Template.fromStack(s).hasResourceProperties('AWS::FSx::FileSystem', {
      SubnetIds: vpc.isolatedSubnets.slice(0, 2).map(sn => ({ Ref: idOf(s, sn) })),
      WindowsConfiguration: Match.objectLike({ PreferredSubnetId: { Ref: idOf(s, vpc.isolatedSubnets[0]) } }),
    });
  });

  test('unresolved values are passed through unchecked', () => {
    const s = newStack();
    const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const fs = new FsxWindowsFileSystem(s, 'Fs', {
      vpc,
      activeDirectoryId: Token.asString({ Ref: 'DirectoryId' }),
      storageCapacityGiB: Token.asNumber({ Ref: 'Size' }),
      throughputCapacityMBps: Token.asNumber({ Ref: 'Throughput' }),
    });
    expect(s.resolve(fs.resource.windowsConfiguration)).toMatchObject({ activeDirectoryId: { Ref: 'DirectoryId' }, throughputCapacity: { Ref: 'Throughput' } });
  });
});

describe('invalid FsxWindowsFileSystem props', () => {
  const stack = newStack();
  const isolated = [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }];
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: isolated });
  const oneAz = new ec2.Vpc(stack, 'OneAz', { maxAzs: 1, natGateways: 0, subnetConfiguration: isolated });
  let n = 0;
  test.each<[string, Partial<FsxWindowsFileSystemProps>, RegExp]>([
    ['a directory id of another form', { activeDirectoryId: 'corp.example.com' },
      /activeDirectoryId 'corp\.example\.com' is not an AWS Managed Microsoft AD directory id.*e\.g\. 'd-1234567890'/],
    ['an uppercase directory id', { activeDirectoryId: 'd-0123456789ABCDEF' }, /activeDirectoryId 'd-0123456789ABCDEF' is not/],
    ['Intelligent-Tiering storage', { storageType: fsx.StorageType.INTELLIGENT_TIERING },
      /storageType 'INTELLIGENT_TIERING' is not offered by FSx for Windows File Server, only SSD and HDD\. Use fsx\.StorageType\.SSD/],
    ['too little SSD storage', { storageCapacityGiB: 20 }, /storageCapacityGiB 20 is outside what FSx for Windows File Server offers on SSD storage: a whole number of GiB from 32 to 65536/],
    ['too much SSD storage', { storageCapacityGiB: 65537 }, /storageCapacityGiB 65537 is outside .* from 32 to 65536/],
    ['a fraction of a GiB', { storageCapacityGiB: 32.5 }, /storageCapacityGiB 32\.5 is outside/],
    ['HDD under 2,000 GiB', { storageType: fsx.StorageType.HDD }, /storageCapacityGiB 32 is outside .* on HDD storage: a whole number of GiB from 2000 to 65536\. Give at least 2000 GiB, or use SSD/],
    ['a throughput FSx does not offer', { throughputCapacityMBps: 100 },
      /throughputCapacityMBps 100 is not a throughput capacity .* Use one of 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4608, 6144, 9216, 12288/],
    ['a throughput between the high tiers', { throughputCapacityMBps: 4096 }, /throughputCapacityMBps 4096 is not/],
    ['backups kept for 91 days', { automaticBackupRetention: Duration.days(91) },
      /automaticBackupRetention is 91 days, but FSx keeps automatic backups for whole days, 0 to 90\. Give Duration\.days\(n\)/],
    ['backups kept for 36 hours', { automaticBackupRetention: Duration.hours(36) }, /automaticBackupRetention is 1 day 12 hours, but FSx keeps/],
    ['a SNAPSHOT removal policy', { removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy is SNAPSHOT, but CloudFormation takes snapshots .* not of FSx file systems\. Use RemovalPolicy\.DESTROY \(the default: FSx takes a final backup/],
    ['MULTI_AZ_1 in one subnet', { vpcSubnets: { subnets: [vpc.isolatedSubnets[0]] } },
      /vpcSubnets selects subnets in 1 Availability Zone\(s\), but deploymentType MULTI_AZ_1 needs two subnets in different Availability Zones.*or use FsxWindowsDeploymentType\.SINGLE_AZ_2/],
    ['MULTI_AZ_1 in a one-AZ VPC', { vpc: oneAz }, /vpcSubnets selects subnets in 1 Availability Zone\(s\), but deploymentType MULTI_AZ_1/],
    ['SINGLE_AZ_2 in no subnet', { deploymentType: FsxWindowsDeploymentType.SINGLE_AZ_2, vpcSubnets: { subnets: [] } },
      /vpcSubnets selects no subnet, but the file server needs one/],
  ])('%s is refused', (_, override, message) => {
    expect(() => new FsxWindowsFileSystem(stack, `Fs${n++}`, { vpc, activeDirectoryId: DIRECTORY, ...override })).toThrow(message);
  });
});
