import { App, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Capacity, WorkloadCluster, WorkloadVolume, WorkloadVolumeKind } from '../../src';
import { buildBucket } from '../../src/core/resources';
import { S3FilesFileSystem } from '../../src/core/s3-files';
import { checkVolumesForPlatform } from '../../src/core/volumes';
import { InferenceService } from '../../src/inference-service/inference-service';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { stackTemplates } from '../deploy-proof/graph';
import { evaluateHop } from '../deploy-proof/policy';
import { storageNetworkProblems } from '../deploy-proof/smb';
import { appTemplates } from '../deploy-proof/template';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');

function setup() {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const bucket = buildBucket(stack, 'Models', { encryptionKey: cluster.encryptionKey, serverAccessLogsBucket: cluster.accessLogsBucket, eventBridgeEnabled: true });
  const fileSystem = new S3FilesFileSystem(stack, 'ModelFiles', { vpc: cluster.vpc, bucket, prefix: 'models/' });
  return { stack, cluster, bucket, fileSystem };
}

describe('an inference service whose model store is an S3 Files file system', () => {
  const { stack, cluster, bucket, fileSystem } = setup();
  const inference = new InferenceService(stack, 'Inference', {
    cluster,
    image: IMAGE,
    volumes: [WorkloadVolume.s3Files({ fileSystem, containerPath: '/models' })],
  });
  const template = Template.fromStack(stack);
  const fsId = stack.getLogicalId(fileSystem.resource);
  const taskRoleId = stack.getLogicalId(inference.taskDefinition.taskRole.node.defaultChild as any);

  test('the file system presents the prefix, synchronized by a role of its own, with a mount target per AZ', () => {
    template.hasResourceProperties('AWS::S3Files::FileSystem', {
      Bucket: { 'Fn::GetAtt': [stack.getLogicalId(bucket.node.defaultChild as any), 'Arn'] },
      Prefix: 'models/',
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ModelFilesSyncRole'), 'Arn'] },
    });
    expect(Object.keys(template.findResources('AWS::S3Files::MountTarget'))).toHaveLength(cluster.vpc.availabilityZones.length);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'elasticfilesystem.amazonaws.com' } })] },
    });
    template.hasResource('AWS::S3Files::FileSystem', { DeletionPolicy: 'Delete', DependsOn: Match.arrayWith([Match.stringLikeRegexp('ModelFilesSyncRole')]) });
  });

  test('the task definition mounts it read-only through the L1 S3FilesVolumeConfiguration', () => {
    const td = (Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any).Properties;
    expect(td.Volumes).toEqual([{ Name: 's3files', S3FilesVolumeConfiguration: { FileSystemArn: { 'Fn::GetAtt': [fsId, 'FileSystemArn'] } } }]);
    expect(td.ContainerDefinitions[0].MountPoints).toEqual([{ SourceVolume: 's3files', ContainerPath: '/models', ReadOnly: true }]);
  });

  test('the task role may mount (not write) this file system and read the prefix only', () => {
    const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: taskRoleId }] } });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Action: 's3files:ClientMount', Effect: 'Allow', Resource: { 'Fn::GetAtt': [fsId, 'FileSystemArn'] } },
      { Action: ['s3:GetObject', 's3:GetObjectVersion'], Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [stack.getLogicalId(bucket.node.defaultChild as any), 'Arn'] }, '/models/*']] } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(cluster.encryptionKey.node.defaultChild as any), 'Arn'] } },
    ]);
    expect(JSON.stringify(statements)).not.toContain('s3files:ClientWrite');
  });

  test('the tasks reach the mount targets on NFS, and the service starts after them', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 2049,
      ToPort: 2049,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ModelFilesSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('InferenceSecurityGroup'), 'GroupId'] },
    });
    const deps: string[] = template.findResources('AWS::ECS::Service')[stack.getLogicalId(inference.service.node.defaultChild as any)].DependsOn;
    for (const mt of Object.keys(template.findResources('AWS::S3Files::MountTarget'))) expect(deps).toContain(mt);
    expect(storageNetworkProblems(stackTemplates(stack))).toEqual([]);
  });

  test('the tasks may mount; another role may not; the sync role may write the prefix only', async () => {
    const app = stack.node.root as App;
    const t = appTemplates(app);
    const fsArn = t.attOf(fileSystem.resource, 'FileSystemArn');
    const objects = `${t.arnOf(bucket)}/models/weights.bin`;
    const allow = async (caller: any, action: string, resource: string) => (await evaluateHop(app, { caller, action, resource })).decision;
    expect(await allow({ role: taskRoleId }, 's3files:ClientMount', fsArn)).toBe('ALLOW');
    expect(await allow({ role: taskRoleId }, 's3files:ClientWrite', fsArn)).toBe('DENY');
    expect(await allow({ role: taskRoleId }, 's3:GetObject', objects)).toBe('ALLOW');
    expect(await allow({ role: taskRoleId }, 's3:GetObject', `${t.arnOf(bucket)}/other/x`)).toBe('DENY');
    const syncRole = { role: fileSystem.role };
    expect(await allow(syncRole, 's3:PutObject', objects)).toBe('ALLOW');
    expect(await allow(syncRole, 's3:PutObject', `${t.arnOf(bucket)}/other/x`)).toBe('DENY');
  });

  test('has no unacknowledged cdk-nag / cfn-guard finding and deploys', async () => {
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('S3 Files settings', () => {
  test('factory defaults: name s3files, read-only', () => {
    const { fileSystem } = setup();
    const v = WorkloadVolume.s3Files({ fileSystem, containerPath: '/data' });
    expect([v.kind, v.name, v.readOnly]).toEqual([WorkloadVolumeKind.S3_FILES, 's3files', true]);
  });

  test('a writable volume with a root directory: ClientWrite and the directory', () => {
    const { stack, cluster, fileSystem } = setup();
    const inference = new InferenceService(stack, 'Inference', {
      cluster, image: IMAGE, volumes: [WorkloadVolume.s3Files({ fileSystem, containerPath: '/out', rootDirectory: '/results', readOnly: false, name: 'out' })],
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{ Name: 'out', S3FilesVolumeConfiguration: { FileSystemArn: Match.anyValue(), RootDirectory: '/results' } }],
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: stack.getLogicalId(inference.taskDefinition.taskRole.node.defaultChild as any) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['s3files:ClientMount', 's3files:ClientWrite'] })]) },
    });
  });

  test('mount targets in the subnets asked for, a customer managed key and the removal policy; an SSE-S3 bucket is accepted', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const bucket = new s3.Bucket(stack, 'B', { versioned: true, encryption: s3.BucketEncryption.S3_MANAGED });
    const fs = new S3FilesFileSystem(stack, 'Fs', {
      vpc: cluster.vpc,
      bucket,
      encryptionKey: cluster.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
      vpcSubnets: { subnets: [cluster.vpc.privateSubnets[0]] },
    });
    const t = Template.fromStack(stack);
    expect(Object.keys(t.findResources('AWS::S3Files::MountTarget'))).toHaveLength(1);
    t.hasResource('AWS::S3Files::FileSystem', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ KmsKeyId: Match.anyValue() }) });
    expect(fs.prefix).toBe('');
  });

  test.each<[string, (s: ReturnType<typeof setup>) => void, RegExp]>([
    ['an unversioned bucket', s => new S3FilesFileSystem(s.stack, 'X', { vpc: s.cluster.vpc, bucket: new s3.Bucket(s.stack, 'Plain') }),
      /bucket 'Test\/Plain' has no versioning.*Create the bucket with versioned: true/],
    ['a prefix with a leading slash', s => new S3FilesFileSystem(s.stack, 'X', { vpc: s.cluster.vpc, bucket: s.bucket, prefix: '/models/' }),
      /prefix '\/models\/' must be an S3 key prefix: no leading '\/'/],
    ['a prefix without a trailing slash', s => new S3FilesFileSystem(s.stack, 'X', { vpc: s.cluster.vpc, bucket: s.bucket, prefix: 'models' }),
      /prefix 'models' does not end in '\/', which S3 Files requires of a prefix\. Write it as 'models\/'/],
    ['a prefix longer than 1024 characters', s => new S3FilesFileSystem(s.stack, 'X', { vpc: s.cluster.vpc, bucket: s.bucket, prefix: `${'a'.repeat(1024)}/` }),
      /prefix is 1025 characters long; S3 Files takes at most 1024\. Use a shorter prefix/],
    ['a DSSE-KMS bucket', s => new S3FilesFileSystem(s.stack, 'X', {
      vpc: s.cluster.vpc, bucket: new s3.Bucket(s.stack, 'Dsse', { versioned: true, encryption: s3.BucketEncryption.DSSE_MANAGED }),
    }), /bucket 'Test\/Dsse' is encrypted with 'aws:kms:dsse', but S3 Files works only with buckets encrypted with SSE-S3 \(AES256\) or SSE-KMS \(aws:kms\)/],
    ['a bucket of another Region', s => new S3FilesFileSystem(s.stack, 'X', {
      vpc: s.cluster.vpc, bucket: s3.Bucket.fromBucketAttributes(s.stack, 'Far', { bucketName: 'far-away', region: 'eu-west-1' }),
    }), /bucket 'Test\/Far' is in eu-west-1, but S3 Files presents only buckets of the file system's own Region \(us-east-1\)/],
    ['a relative root directory', s => new InferenceService(s.stack, 'I', {
      cluster: s.cluster, image: IMAGE, volumes: [WorkloadVolume.s3Files({ fileSystem: s.fileSystem, containerPath: '/m', rootDirectory: 'results' })],
    }), /volumes\[0\]\.rootDirectory must be an absolute path/],
    ['EC2 Auto Scaling group capacity', s => new InferenceService(s.stack, 'I', {
      cluster: s.cluster,
      image: IMAGE,
      capacity: Capacity.ec2(s.cluster.addAsgCapacity('Ec2', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 })),
      volumes: [WorkloadVolume.s3Files({ fileSystem: s.fileSystem, containerPath: '/m' })],
    }), /volumes\[0\] 's3files' is an S3 Files volume, which ECS mounts .*(Fargate and Managed Instances only|Linux tasks on Fargate or Managed Instances)/],
  ])('%s is refused', (_, make, message) => {
    const s = setup();
    expect(() => make(s)).toThrow(message);
  });

  test.each<[string, { windows: boolean; fargate: boolean; managedInstances: boolean }, RegExp | undefined]>([
    ['Linux Fargate', { windows: false, fargate: true, managedInstances: false }, undefined],
    ['Linux Managed Instances', { windows: false, fargate: false, managedInstances: true }, undefined],
    ['Linux EC2', { windows: false, fargate: false, managedInstances: false }, /is an S3 Files volume, which ECS mounts only into Linux tasks on Fargate or Managed Instances\. Here the task runs Linux containers on EC2/],
    ['Windows Fargate', { windows: true, fargate: true, managedInstances: false }, /is mounted at '\/m', a Linux path\. Here the task runs Windows containers on Fargate\. Give a Windows path/],
  ])('checkVolumesForPlatform on %s', (_, platform, message) => {
    const s = setup();
    const check = () => checkVolumesForPlatform(s.stack, [WorkloadVolume.s3Files({ fileSystem: s.fileSystem, containerPath: '/m' })], platform);
    if (message) expect(check).toThrow(message);
    else expect(check).not.toThrow();
  });
});

describe('modelStore.s3Files: the model store of an inference service on S3 Files, in one call', () => {
  const { stack, cluster, fileSystem } = setup();
  const inference = new InferenceService(stack, 'Inference', {
    cluster,
    image: IMAGE,
    modelStore: { mountPath: '/models', s3Files: fileSystem, rootDirectory: '/llama' },
  });
  const template = Template.fromStack(stack);
  const td = (Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any).Properties;

  test('mounts the S3 Files file system read-only at mountPath, from rootDirectory, and creates no EFS file system', () => {
    expect(td.Volumes).toEqual([{
      Name: 'models',
      S3FilesVolumeConfiguration: { FileSystemArn: { 'Fn::GetAtt': [stack.getLogicalId(fileSystem.resource), 'FileSystemArn'] }, RootDirectory: '/llama' },
    }]);
    expect(td.ContainerDefinitions[0].MountPoints).toEqual([{ SourceVolume: 'models', ContainerPath: '/models', ReadOnly: true }]);
    template.resourceCountIs('AWS::EFS::FileSystem', 0);
    template.resourceCountIs('AWS::EFS::AccessPoint', 0);
    expect(inference.fileSystem).toBeUndefined();
  });

  test('the container learns the path in MODEL_DIR', () => {
    expect(td.ContainerDefinitions[0].Environment).toEqual(expect.arrayContaining([{ Name: 'MODEL_DIR', Value: '/models' }]));
  });

  test.each<[string, Record<string, unknown>]>([
    ['fileSystem', { fileSystem: 'efs' }],
    ['throughputMode', { throughputMode: 'ELASTIC' }],
    ['removalPolicy', { removalPolicy: RemovalPolicy.DESTROY }],
  ])('refused with the EFS setting %s', (name, extra) => {
    const s = setup();
    const efsLike = extra.fileSystem ? { fileSystem: { fileSystemId: 'fs-1', connections: new ec2.Connections() } } : extra;
    expect(() => new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      modelStore: { mountPath: '/models', s3Files: s.fileSystem, ...efsLike as object },
    })).toThrow(new RegExp(`modelStore\\.s3Files was given with EFS settings \\(${name}\\), which do not apply to an S3 Files model store\\. ` +
      'Remove them, or remove s3Files for an EFS model store\\.'));
  });
});
