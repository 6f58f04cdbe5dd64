import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { WorkloadCluster, WorkloadVolume, WorkloadVolumeKind } from '../../src';
import { BatchQueueWorker } from '../../src/batch-queue-worker/batch-queue-worker';
import { EbsVolumeOptions } from '../../src/core/ebs-volumes';
import { ScheduledTask } from '../../src/scheduled-task/scheduled-task';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { IMAGE, TestWorkload } from './workload';
import { evaluateHop, Hop } from '../deploy-proof/policy';
import { ACCOUNT, appTemplates, PARTITION, REGION } from '../deploy-proof/template';

function worker(volume: EbsVolumeOptions, stack: Stack = newStack()) {
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const w = new BatchQueueWorker(stack, 'Worker', { cluster, image: IMAGE, maxTasks: 4, volumes: [WorkloadVolume.ebs(volume)] });
  return { stack, cluster, worker: w };
}

function statementsOf(template: Template, roleLogicalId: string): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('a worker with a 200 GiB EBS scratch volume', () => {
  const { stack, cluster, worker: w } = worker({ containerPath: '/scratch', sizeGiB: 200 });
  const template = Template.fromStack(stack);
  const roleId = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('EBS volumes') } }))[0];
  const keyId = stack.getLogicalId(cluster.encryptionKey.node.defaultChild as any);
  const serviceId = stack.getLogicalId(w.service.node.defaultChild as any);

  test('the task definition defers the volume to launch and mounts it writable', () => {
    const td = (Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any).Properties;
    expect(td.Volumes).toEqual([{ Name: 'ebs', ConfiguredAtLaunch: true }]);
    expect(td.ContainerDefinitions[0].MountPoints).toEqual([{ SourceVolume: 'ebs', ContainerPath: '/scratch', ReadOnly: false }]);
  });

  test('the service creates gp3 volumes encrypted with the cluster key, xfs, tagged from the service', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      VolumeConfigurations: [{
        Name: 'ebs',
        ManagedEBSVolume: {
          Encrypted: true,
          KmsKeyId: { Ref: keyId },
          VolumeType: 'gp3',
          SizeInGiB: 200,
          FilesystemType: 'xfs',
          RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
          TagSpecifications: [{ ResourceType: 'volume', PropagateTags: 'SERVICE' }],
        },
      }],
    });
  });

  test('the infrastructure role is ours, trusted by ECS, with no AWS managed policy', () => {
    const role = template.findResources('AWS::IAM::Role')[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } },
    ]);
    const actions = statementsOf(template, roleId).flatMap(s => [].concat(s.Action));
    expect(actions.sort()).toEqual([
      'ec2:AttachVolume', 'ec2:AttachVolume', 'ec2:CreateTags', 'ec2:CreateVolume', 'ec2:DeleteVolume', 'ec2:DescribeAvailabilityZones',
      'ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DetachVolume', 'ec2:DetachVolume',
      'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
    ]);
  });

  test('the service is created after the role and its policy, and deleted before them', () => {
    const deps: string[] = template.findResources('AWS::ECS::Service')[serviceId].DependsOn;
    const policyId = Object.keys(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleId }] } }))[0];
    expect(deps).toEqual(expect.arrayContaining([roleId, policyId]));
  });

  test('ECS may create, tag, attach and delete volumes of this cluster\'s tasks, with the cluster key, and nothing else', async () => {
    const app = stack.node.root as App;
    const role = { role: roleId };
    const volume = `arn:${PARTITION}:ec2:${REGION}:${ACCOUNT}:volume/vol-0123456789abcdef0`;
    const t = appTemplates(app);
    const ours = (name: string) => `arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:task/${name}/0123456789abcdef0123456789abcdef`;
    const clusterName = t.refOf(cluster.cluster);
    const created = { 'aws:RequestTag/AmazonECSManaged': 'true', 'aws:RequestTag/AmazonECSCreated': ours(clusterName) };
    const managed = { 'aws:ResourceTag/AmazonECSManaged': 'true', 'aws:ResourceTag/AmazonECSCreated': ours(clusterName) };
    const key = t.arnOf(cluster.encryptionKey);
    const allowed: Hop[] = [
      { caller: role, action: 'ec2:CreateVolume', resource: volume, context: created, label: 'create a task volume' },
      { caller: role, action: 'ec2:CreateTags', resource: volume, context: { ...created, 'ec2:CreateAction': 'CreateVolume' }, label: 'tag it on create' },
      { caller: role, action: 'ec2:AttachVolume', resource: volume, context: managed, label: 'attach it' },
      { caller: role, action: 'ec2:AttachVolume', resource: `arn:${PARTITION}:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, label: 'to the task\'s instance' },
      { caller: role, action: 'ec2:DeleteVolume', resource: volume, context: managed, label: 'delete it with the task' },
      { caller: role, action: 'kms:CreateGrant', resource: key, context: { 'kms:GrantIsForAWSResource': 'true' }, label: 'EBS grant on the cluster key' },
      { caller: role, action: 'kms:GenerateDataKeyWithoutPlaintext', resource: key, label: 'volume data key' },
    ];
    const denied: Hop[] = [
      { caller: role, action: 'ec2:CreateVolume', resource: volume, context: { ...created, 'aws:RequestTag/AmazonECSCreated': ours('other-cluster') }, label: 'a volume for another cluster' },
      { caller: role, action: 'ec2:DeleteVolume', resource: volume, context: { 'aws:ResourceTag/AmazonECSManaged': 'false' }, label: 'a volume ECS does not manage' },
      { caller: role, action: 'kms:CreateGrant', resource: key, context: { 'kms:GrantIsForAWSResource': 'false' }, label: 'a grant for itself' },
      { caller: role, action: 'ec2:CreateVolume', resource: `arn:${PARTITION}:ec2:${REGION}::snapshot/snap-0123456789abcdef0`, label: 'from a snapshot not given' },
    ];
    for (const hop of allowed) expect((await evaluateHop(app, hop)).summary).toContain('→ ALLOW');
    for (const hop of denied) expect((await evaluateHop(app, hop)).summary).toContain('→ DENY');
  });

  test('has no unacknowledged cdk-nag / cfn-guard finding and deploys', async () => {
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('EBS volume settings', () => {
  test('factory defaults: name ebs, writable', () => {
    const v = WorkloadVolume.ebs({ containerPath: '/data', sizeGiB: 10 });
    expect([v.kind, v.name, v.readOnly]).toEqual([WorkloadVolumeKind.EBS, 'ebs', false]);
  });

  test('overrides: io2 from a snapshot with IOPS, initialization rate, ext4, read-only; the role may read that snapshot only', () => {
    const { stack } = worker({
      name: 'cache',
      containerPath: '/cache',
      volumeType: ec2.EbsDeviceVolumeType.IO2,
      iops: 8000,
      sizeGiB: 100,
      snapshotId: 'snap-0123456789abcdef0',
      volumeInitializationRateMiBps: 200,
      fileSystemType: ecs.FileSystemType.EXT4,
      readOnly: true,
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ECS::Service', {
      VolumeConfigurations: [{
        Name: 'cache',
        ManagedEBSVolume: Match.objectLike({
          VolumeType: 'io2', Iops: 8000, SizeInGiB: 100, SnapshotId: 'snap-0123456789abcdef0', VolumeInitializationRate: 200, FilesystemType: 'ext4',
        }),
      }],
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ec2:CreateVolume', Resource: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':ec2:us-east-1::snapshot/snap-0123456789abcdef0'])] }) })]) },
    });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ MountPoints: [{ SourceVolume: 'cache', ContainerPath: '/cache', ReadOnly: true }] })],
    });
  });

  test('gp3 with provisioned IOPS and throughput, at the limits EBS raised in 2025: 80000 IOPS on 160 GiB, 2000 MiB/s', () => {
    const { stack } = worker({ containerPath: '/data', sizeGiB: 160, iops: 80000, throughputMiBps: 2000 });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::Service', {
      VolumeConfigurations: [{ Name: 'ebs', ManagedEBSVolume: Match.objectLike({ VolumeType: 'gp3', SizeInGiB: 160, Iops: 80000, Throughput: 2000 }) }],
    });
  });

  const { GP2, IO1, IO2, ST1, STANDARD } = ec2.EbsDeviceVolumeType;
  test.each<[string, EbsVolumeOptions, RegExp]>([
    ['no size, no snapshot', { containerPath: '/d' }, /volumes\[0\] has neither sizeGiB nor snapshotId.*Give sizeGiB/],
    ['gp3 too large', { containerPath: '/d', sizeGiB: 16385 }, /volumes\[0\]\.sizeGiB must be a whole number between 1 and 16384 GiB, got 16385\. gp3 volumes hold/],
    ['st1 too small', { containerPath: '/d', sizeGiB: 100, volumeType: ST1 }, /volumes\[0\]\.sizeGiB must be a whole number between 125 and 16384 GiB, got 100/],
    ['standard too large', { containerPath: '/d', sizeGiB: 2000, volumeType: STANDARD }, /between 1 and 1024 GiB, got 2000/],
    ['fractional size', { containerPath: '/d', sizeGiB: 10.5 }, /volumes\[0\]\.sizeGiB must be a whole number/],
    ['gp2 with IOPS', { containerPath: '/d', sizeGiB: 10, volumeType: GP2, iops: 3000 }, /volumes\[0\]\.iops is 3000, but gp2 volumes take no provisioned IOPS\. Remove iops/],
    ['io1 without IOPS', { containerPath: '/d', sizeGiB: 10, volumeType: IO1 }, /volumes\[0\]\.volumeType is io1, which needs provisioned IOPS\. Give iops \(100–64000\)/],
    ['gp3 IOPS too low', { containerPath: '/d', sizeGiB: 100, iops: 2000 }, /volumes\[0\]\.iops must be a whole number between 3000 and 80000, got 2000/],
    ['gp3 IOPS too high', { containerPath: '/d', sizeGiB: 1000, iops: 90000 }, /volumes\[0\]\.iops must be a whole number between 3000 and 80000, got 90000\. gp3 volumes take/],
    ['io2 IOPS too high', { containerPath: '/d', sizeGiB: 1000, volumeType: IO2, iops: 300000 }, /volumes\[0\]\.iops must be a whole number between 100 and 256000, got 300000/],
    ['gp3 IOPS per GiB', { containerPath: '/d', sizeGiB: 10, iops: 6000 }, /volumes\[0\]\.iops \(6000\) is more than 500 IOPS per GiB of the 10 GiB volume \(5000\).*Raise sizeGiB to at least 12/],
    ['io1 IOPS per GiB', { containerPath: '/d', sizeGiB: 10, volumeType: IO1, iops: 1000 }, /more than 50 IOPS per GiB of the 10 GiB volume/],
    ['throughput on gp2', { containerPath: '/d', sizeGiB: 10, volumeType: GP2, throughputMiBps: 200 }, /volumes\[0\]\.throughputMiBps is 200, but only gp3 volumes take a provisioned throughput/],
    ['throughput too high', { containerPath: '/d', sizeGiB: 100, iops: 16000, throughputMiBps: 2100 }, /volumes\[0\]\.throughputMiBps must be a whole number between 125 and 2000 MiB\/s, got 2100\. gp3 volumes take/],
    ['throughput too low', { containerPath: '/d', sizeGiB: 100, throughputMiBps: 100 }, /volumes\[0\]\.throughputMiBps must be a whole number between 125 and 2000 MiB\/s, got 100/],
    ['throughput per IOPS', { containerPath: '/d', sizeGiB: 100, throughputMiBps: 1000 }, /throughputMiBps \(1000\) is more than 0\.25 MiB\/s per IOPS of the volume's 3000 IOPS \(750\).*Raise iops to at least 4000/],
    ['bad snapshot id', { containerPath: '/d', snapshotId: 'vol-123' }, /volumes\[0\]\.snapshotId 'vol-123' is not an EBS snapshot id/],
    ['initialization rate without snapshot', { containerPath: '/d', sizeGiB: 10, volumeInitializationRateMiBps: 200 }, /volumeInitializationRateMiBps is set without snapshotId/],
    ['initialization rate too high', { containerPath: '/d', snapshotId: 'snap-0123456789abcdef0', volumeInitializationRateMiBps: 400 }, /between 100 and 300 MiB\/s, got 400/],
    ['initialization rate too low', { containerPath: '/d', snapshotId: 'snap-0123456789abcdef0', volumeInitializationRateMiBps: 50 }, /between 100 and 300 MiB\/s, got 50/],
    ['io2 too large', { containerPath: '/d', sizeGiB: 20000, volumeType: IO2, iops: 1000 }, /volumes\[0\]\.sizeGiB must be a whole number between 4 and 16384 GiB, got 20000/],
    ['io2 IOPS per GiB', { containerPath: '/d', sizeGiB: 10, volumeType: IO2, iops: 12000 }, /more than 1000 IOPS per GiB of the 10 GiB volume \(10000\).*Raise sizeGiB to at least 12/],
    ['relative path', { containerPath: 'scratch', sizeGiB: 10 }, /volumes\[0\]\.containerPath must be an absolute path/],
  ])('%s is refused', (_, options, message) => {
    expect(() => worker(options)).toThrow(message);
  });

  test('magnetic volumes are refused on Fargate', () => {
    expect(() => worker({ containerPath: '/d', sizeGiB: 10, volumeType: STANDARD })).toThrow(/'standard' \(magnetic\), which Fargate does not attach/);
  });

  test('two EBS volumes on one service are refused', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    expect(() => new BatchQueueWorker(stack, 'Worker', {
      cluster,
      image: IMAGE,
      maxTasks: 2,
      volumes: [WorkloadVolume.ebs({ name: 'a', containerPath: '/a', sizeGiB: 10 }), WorkloadVolume.ebs({ name: 'b', containerPath: '/b', sizeGiB: 10 })],
    })).toThrow(/volumes\[0\] 'a' and volumes\[1\] 'b' are EBS volumes, but ECS attaches one EBS volume per task/);
  });

  test('a ScheduledTask with an EBS volume fails synthesis, naming the fix', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    new ScheduledTask(stack, 'Nightly', {
      cluster,
      image: IMAGE,
      schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
      volumes: [WorkloadVolume.ebs({ containerPath: '/scratch', sizeGiB: 200 })],
    });
    expect(() => Template.fromStack(stack)).toThrow(/volumes\[0\] 'ebs' is an EBS volume, which ECS attaches only to the tasks of a REPLICA service.*Use WorkloadVolume.bindMount/);
  });

  test('a task built without a service fails synthesis the same way', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    new TestWorkload(stack, 'Work', { cluster, image: IMAGE, volumes: [WorkloadVolume.ebs({ containerPath: '/scratch', sizeGiB: 20 })] });
    expect(() => Template.fromStack(stack)).toThrow(/is an EBS volume, which ECS attaches only to the tasks of a REPLICA service/);
  });
});
