import { Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import { Construct } from 'constructs';
import { Capacity, WorkloadCluster, WorkloadVolume, WorkloadVolumeKind } from '../../src';
import { ValidationError } from '../../src/core/errors';
import { checkAbsolute } from '../../src/core/volumes';
import { newStack } from '../compliance';
import { IMAGE, TestWorkload } from './workload';

function setup() {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const fileSystem = new efs.FileSystem(stack, 'Models', { vpc: cluster.vpc, encrypted: true });
  return { stack, cluster, fileSystem };
}

function taskDefinition(stack: Stack): any {
  return (Object.values(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'))[0] as any).Properties;
}

function taskRoleStatements(stack: Stack, path = 'Test/Work/TaskRole'): any[] {
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', {
    Properties: { Description: `Permissions of ${path}` },
  })) as any[];
  return policies.length ? policies[0].Properties.PolicyDocument.Statement : [];
}

describe('WorkloadVolume factories', () => {
  test('expose kind, name, path and the read-only default of each kind', () => {
    const fileSystem = efs.FileSystem.fromFileSystemAttributes(newStack(), 'Fs', {
      fileSystemId: 'fs-1', securityGroup: ec2.SecurityGroup.fromSecurityGroupId(newStack(), 'Sg', 'sg-1'),
    });
    const e = WorkloadVolume.efs({ fileSystem, containerPath: '/models' });
    expect([e.kind, e.name, e.containerPath, e.readOnly]).toEqual([WorkloadVolumeKind.EFS, 'efs', '/models', true]);
    const scratch = WorkloadVolume.bindMount({ name: 'tmp', containerPath: '/tmp' });
    expect([scratch.kind, scratch.readOnly]).toEqual([WorkloadVolumeKind.BIND_MOUNT, false]);
    const host = WorkloadVolume.bindMount({ name: 'logs', containerPath: '/host/logs', hostPath: '/var/log' });
    expect(host.readOnly).toBe(true);
    const docker = WorkloadVolume.dockerVolume({ name: 'cache', containerPath: '/cache' });
    expect([docker.kind, docker.readOnly]).toEqual([WorkloadVolumeKind.DOCKER, false]);
  });
});

describe('EFS volumes', () => {
  test('the created access point is confined to rootDirectory when given', () => {
    const { stack, cluster, fileSystem } = setup();
    new TestWorkload(stack, 'Work', {
      cluster, image: IMAGE, volumes: [WorkloadVolume.efs({ fileSystem, containerPath: '/models', rootDirectory: '/shared/models' })],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::EFS::AccessPoint', { RootDirectory: { Path: '/shared/models' } });
  });

  test('volumes whose names differ only in punctuation get their own access points', () => {
    const { stack, cluster, fileSystem } = setup();
    new TestWorkload(stack, 'Work', {
      cluster,
      image: IMAGE,
      volumes: [
        WorkloadVolume.efs({ fileSystem, containerPath: '/a', name: 'a-b' }),
        WorkloadVolume.efs({ fileSystem, containerPath: '/b', name: 'a_b' }),
      ],
    });
    Template.fromStack(stack).resourceCountIs('AWS::EFS::AccessPoint', 2);
  });

  test('mount with transit encryption and IAM through a new access point, read-only, ClientMount only', () => {
    const { stack, cluster, fileSystem } = setup();
    const work = new TestWorkload(stack, 'Work', {
      cluster, image: IMAGE, volumes: [WorkloadVolume.efs({ fileSystem, containerPath: '/models' })],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      FileSystemId: { Ref: Match.stringLikeRegexp('^Models') },
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: { Path: '/efs', CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '755' } },
    });
    const props = taskDefinition(stack);
    expect(props.Volumes).toEqual([{
      Name: 'efs',
      EFSVolumeConfiguration: {
        FilesystemId: { Ref: expect.stringMatching(/^Models/) },
        TransitEncryption: 'ENABLED',
        AuthorizationConfig: { AccessPointId: { Ref: expect.stringMatching(/^WorkefsAccessPoint/) }, IAM: 'ENABLED' },
      },
    }]);
    expect(props.ContainerDefinitions[0].MountPoints).toEqual([{ SourceVolume: 'efs', ContainerPath: '/models', ReadOnly: true }]);
    expect(taskRoleStatements(stack)).toEqual([{
      Action: 'elasticfilesystem:ClientMount',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Models/), 'Arn'] },
      Condition: {
        StringEquals: { 'elasticfilesystem:AccessPointArn': expect.anything() },
        Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
      },
    }]);
    // The execution role gets nothing for EFS: mounting uses the task role.
    expect(JSON.stringify(taskRoleStatements(stack, 'Test/Work/ExecutionRole'))).not.toContain('elasticfilesystem');
    expect(work.task.volumes).toHaveLength(1);
    expect(work.task.volumes[0].fileSystem).toBe(fileSystem);
    expect(work.task.volumes[0].accessPoint).toBeDefined();
  });

  test('a writable volume also gets ClientWrite; a given access point is used as is', () => {
    const { stack, cluster, fileSystem } = setup();
    const accessPoint = fileSystem.addAccessPoint('Mine', { path: '/data' });
    const work = new TestWorkload(stack, 'Work', {
      cluster,
      image: IMAGE,
      volumes: [WorkloadVolume.efs({ fileSystem, containerPath: '/data', readOnly: false, accessPoint, name: 'data' })],
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EFS::AccessPoint', 1);
    expect(work.task.volumes[0].accessPoint).toBe(accessPoint);
    expect(taskRoleStatements(stack)[0].Action).toEqual(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']);
    const props = taskDefinition(stack);
    expect(props.Volumes[0].Name).toBe('data');
    expect(props.Volumes[0].EFSVolumeConfiguration.AuthorizationConfig.AccessPointId)
      .toEqual({ Ref: expect.stringMatching(/^ModelsMine/) });
    expect(props.ContainerDefinitions[0].MountPoints).toEqual([{ SourceVolume: 'data', ContainerPath: '/data', ReadOnly: false }]);
  });
});

describe('bind mounts and Docker volumes', () => {
  test('scratch space works on Fargate and is writable', () => {
    const { stack, cluster } = setup();
    new TestWorkload(stack, 'Work', { cluster, image: IMAGE, volumes: [WorkloadVolume.bindMount({ name: 'tmp', containerPath: '/tmp' })] });
    const props = taskDefinition(stack);
    expect(props.Volumes).toEqual([{ Name: 'tmp' }]);
    expect(props.ContainerDefinitions[0].MountPoints).toEqual([{ SourceVolume: 'tmp', ContainerPath: '/tmp', ReadOnly: false }]);
  });

  test('host paths and Docker volumes work on EC2', () => {
    const { stack, cluster } = setup();
    const provider = cluster.addAsgCapacity('Graviton', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
    new TestWorkload(stack, 'Work', {
      cluster,
      image: IMAGE,
      capacity: Capacity.ec2(provider),
      volumes: [
        WorkloadVolume.bindMount({ name: 'logs', containerPath: '/host/logs', hostPath: '/var/log' }),
        WorkloadVolume.bindMount({ name: 'sock', containerPath: '/run/docker.sock', hostPath: '/var/run/docker.sock', readOnly: false }),
        WorkloadVolume.dockerVolume({ name: 'cache', containerPath: '/cache' }),
        WorkloadVolume.dockerVolume({
          name: 'shared', containerPath: '/shared', scope: ecs.Scope.SHARED, driver: 'rexray/ebs', driverOpts: { size: '10' }, readOnly: true,
        }),
      ],
    });
    const props = taskDefinition(stack);
    expect(props.Volumes).toEqual([
      { Name: 'logs', Host: { SourcePath: '/var/log' } },
      { Name: 'sock', Host: { SourcePath: '/var/run/docker.sock' } },
      { Name: 'cache', DockerVolumeConfiguration: { Driver: 'local', Scope: 'task' } },
      { Name: 'shared', DockerVolumeConfiguration: { Driver: 'rexray/ebs', DriverOpts: { size: '10' }, Scope: 'shared', Autoprovision: true } },
    ]);
    expect(props.ContainerDefinitions[0].MountPoints).toEqual([
      { SourceVolume: 'logs', ContainerPath: '/host/logs', ReadOnly: true },
      { SourceVolume: 'sock', ContainerPath: '/run/docker.sock', ReadOnly: false },
      { SourceVolume: 'cache', ContainerPath: '/cache', ReadOnly: false },
      { SourceVolume: 'shared', ContainerPath: '/shared', ReadOnly: true },
    ]);
  });
});

describe('invalid volumes', () => {
  test.each<[string, (fs: efs.IFileSystem) => WorkloadVolume[], RegExp]>([
    ['a Docker volume on Fargate', () => [WorkloadVolume.dockerVolume({ name: 'cache', containerPath: '/cache' })],
      /volumes\[0\] 'cache' is a Docker volume, which Fargate does not support\. Use WorkloadVolume\.efs or WorkloadVolume\.bindMount \(scratch space\) on Fargate, or run the workload on EC2 capacity\./],
    ['a host path on Fargate', () => [WorkloadVolume.bindMount({ name: 'logs', containerPath: '/logs', hostPath: '/var/log' })],
      /volumes\[0\] 'logs' mounts host path '\/var\/log', but Fargate tasks cannot reach the host\. Run the workload on EC2 capacity \(Capacity\.ec2\), or drop hostPath/],
    ['a relative container path', () => [WorkloadVolume.bindMount({ name: 'tmp', containerPath: 'tmp' })],
      /volumes\[0\]\.containerPath must be an absolute path without '\.\.', got 'tmp'\. Start it with '\/', e\.g\. '\/models'\./],
    ['a container path with ..', (fs) => [WorkloadVolume.efs({ fileSystem: fs, containerPath: '/models/../etc' })],
      /volumes\[0\]\.containerPath must be an absolute path without '\.\.', got '\/models\/\.\.\/etc'/],
    ['a relative host path', () => [WorkloadVolume.bindMount({ name: 'logs', containerPath: '/logs', hostPath: 'var/log' })],
      /volumes\[0\]\.hostPath must be an absolute path without '\.\.', got 'var\/log'/],
    ['two volumes of one name', () => [
      WorkloadVolume.bindMount({ name: 'tmp', containerPath: '/tmp' }),
      WorkloadVolume.bindMount({ name: 'tmp', containerPath: '/var/tmp' }),
    ], /volumes name 'tmp' is used twice\. Give each volume its own name\./],
    ['two EFS volumes with the default name', (fs) => [
      WorkloadVolume.efs({ fileSystem: fs, containerPath: '/a' }),
      WorkloadVolume.efs({ fileSystem: fs, containerPath: '/b' }),
    ], /volumes name 'efs' is used twice\. Give each volume its own name\./],
  ])('rejects %s', (_, volumes, message) => {
    const attempt = () => {
      const { stack, cluster, fileSystem } = setup();
      return new TestWorkload(stack, 'Work', { cluster, image: IMAGE, volumes: volumes(fileSystem) });
    };
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(message);
  });

  test('checkAbsolute accepts absolute paths and tokens', () => {
    const scope = new Construct(newStack(), 'Thing');
    expect(() => checkAbsolute(scope, 'path', '/data')).not.toThrow();
    expect(() => checkAbsolute(scope, 'path', Lazy.string({ produce: () => 'relative' }))).not.toThrow();
  });
});
