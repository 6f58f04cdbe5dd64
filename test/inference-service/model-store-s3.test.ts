import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Capacity, InferenceModelStoreOptions, WorkloadCluster, WorkloadVolume } from '../../src';
import { buildBucket } from '../../src/core/resources';
import { S3FilesFileSystem } from '../../src/core/s3-files';
import { InferenceService } from '../../src/inference-service/inference-service';
import { ScheduledTask } from '../../src/scheduled-task/scheduled-task';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';
import { stackTemplates } from '../deploy-proof/graph';
import { storageNetworkProblems } from '../deploy-proof/smb';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');

function setup() {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const bucket = buildBucket(stack, 'Models', { encryptionKey: cluster.encryptionKey, serverAccessLogsBucket: cluster.accessLogsBucket, eventBridgeEnabled: true });
  return { stack, cluster, bucket };
}

const ref = (stack: ReturnType<typeof newStack>, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as any);

describe('an inference service that loads its model from an S3 bucket prefix, in one call', () => {
  const { stack, cluster, bucket } = setup();
  const inference = new InferenceService(stack, 'Inference', {
    cluster,
    image: IMAGE,
    modelStore: { mountPath: '/models', bucket, bucketPrefix: 'llama/' },
  });
  const template = Template.fromStack(stack);
  const fileSystem = inference.s3FilesFileSystem!;
  const td = template.toJSON().Resources[ref(stack, inference.taskDefinition)].Properties;

  test('creates an S3 Files file system on the prefix in the cluster VPC, and no EFS file system', () => {
    expect(fileSystem).toBeInstanceOf(S3FilesFileSystem);
    expect(fileSystem.node.path).toBe('Test/Inference/ModelStore');
    expect([fileSystem.bucket, fileSystem.prefix]).toEqual([bucket, 'llama/']);
    template.hasResourceProperties('AWS::S3Files::FileSystem', { Bucket: stack.resolve(bucket.bucketArn), Prefix: 'llama/' });
    expect(template.findResources('AWS::S3Files::FileSystem')[ref(stack, fileSystem)].DeletionPolicy).toBe('Delete');
    template.resourceCountIs('AWS::S3Files::MountTarget', cluster.vpc.privateSubnets.length);
    template.resourceCountIs('AWS::EFS::FileSystem', 0);
    expect([inference.fileSystem, inference.accessPoint]).toEqual([undefined, undefined]);
  });

  test('the tasks mount it read-only at mountPath, learn the path in MODEL_DIR, and may read the prefix only', () => {
    expect(td.Volumes).toEqual([{ Name: 'models', S3FilesVolumeConfiguration: { FileSystemArn: stack.resolve(fileSystem.fileSystemArn) } }]);
    expect(td.ContainerDefinitions[0].MountPoints).toEqual([{ SourceVolume: 'models', ContainerPath: '/models', ReadOnly: true }]);
    expect(td.ContainerDefinitions[0].Environment).toEqual(expect.arrayContaining([{ Name: 'MODEL_DIR', Value: '/models' }]));
    const taskPolicies = JSON.stringify(Object.values(template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Roles: [{ Ref: ref(stack, inference.taskDefinition.taskRole) }] },
    })));
    expect(taskPolicies).toContain('s3files:ClientMount');
    expect(taskPolicies).not.toContain('s3files:ClientWrite');
    expect(taskPolicies).toContain('/llama/*');
  });

  test('the service starts after the mount targets, which admit its tasks on NFS', () => {
    const service = template.toJSON().Resources[ref(stack, inference.service)];
    const targets = Object.keys(template.findResources('AWS::S3Files::MountTarget'));
    expect(service.DependsOn).toEqual(expect.arrayContaining(targets));
    expect(storageNetworkProblems(stackTemplates(stack))).toEqual([]);
  });

  test('has no unacknowledged cdk-nag / cfn-guard finding and deploys', async () => {
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});

describe('modelStore from a bucket: settings', () => {
  test('a writable store under a directory, with the removal policy of the file system', () => {
    const { stack, cluster, bucket } = setup();
    const inference = new InferenceService(stack, 'Inference', {
      cluster,
      image: IMAGE,
      modelStore: { mountPath: '/models', bucket, rootDirectory: '/v2', readOnly: false, removalPolicy: RemovalPolicy.RETAIN },
    });
    const template = Template.fromStack(stack);
    const td = template.toJSON().Resources[ref(stack, inference.taskDefinition)].Properties;
    expect(td.Volumes[0].S3FilesVolumeConfiguration.RootDirectory).toBe('/v2');
    expect(td.ContainerDefinitions[0].MountPoints[0].ReadOnly).toBe(false);
    expect(inference.s3FilesFileSystem!.prefix).toBe('');
    expect(template.findResources('AWS::S3Files::FileSystem')[ref(stack, inference.s3FilesFileSystem!)].DeletionPolicy).toBe('Retain');
    expect(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'))).toContain('s3files:ClientWrite');
  });

  test.each<[string, (s: ReturnType<typeof setup>) => Partial<InferenceModelStoreOptions>, RegExp]>([
    ['bucket with s3Files', s => ({ bucket: s.bucket, s3Files: new S3FilesFileSystem(s.stack, 'Files', { vpc: s.cluster.vpc, bucket: s.bucket }) }),
      /modelStore\.s3Files and modelStore\.bucket were both given, but the model store is one file system\. Pass the S3FilesFileSystem, or the bucket/],
    ['bucketPrefix without bucket', () => ({ bucketPrefix: 'models/' }),
      /modelStore\.bucketPrefix \('models\/'\) was given without modelStore\.bucket\. Give the bucket it belongs to, or remove bucketPrefix\./],
    ['bucket with an EFS throughput mode', s => ({ bucket: s.bucket, throughputMode: efs.ThroughputMode.ELASTIC }),
      /modelStore\.bucket was given with EFS settings \(throughputMode\), which do not apply to an S3 Files model store\. Remove them, or remove bucket for an EFS model store\./],
    ['a bucket prefix with a leading slash', s => ({ bucket: s.bucket, bucketPrefix: '/models/' }),
      /modelStore\.bucketPrefix '\/models\/' must be an S3 key prefix: no leading '\/' and no '\.\.'/],
    ['an unversioned bucket', s => ({ bucket: new s3.Bucket(s.stack, 'Plain') }),
      /modelStore\.bucket 'Test\/Plain' has no versioning, but S3 Files keeps the file system consistent with the bucket through object versions\. Create the bucket with versioned: true\./],
  ])('%s is refused', (_, store, message) => {
    const s = setup();
    expect(() => new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      modelStore: { mountPath: '/models', ...store(s) },
    })).toThrow(message);
  });

  test('an EFS model store on Windows is refused, naming modelStore and the FSx alternative', () => {
    const s = setup();
    expect(() => new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      capacity: Capacity.fargateWindows(),
      modelStore: { mountPath: '/models' },
    })).toThrow(/modelStore is an EFS file system, which Windows containers cannot mount, but the service runs Windows containers\. Remove modelStore and mount an FSx for Windows File Server share with volumes: \[WorkloadVolume\.fsxWindows\(\.\.\.\)\]/);
  });

  test('Fargate Windows is refused: S3 Files volumes are for Linux tasks', () => {
    const s = setup();
    expect(() => new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      capacity: Capacity.fargateWindows(),
      modelStore: { mountPath: '/models', s3Files: new S3FilesFileSystem(s.stack, 'Files', { vpc: s.cluster.vpc, bucket: s.bucket }) },
    })).toThrow(/modelStore\.s3Files makes the model store an S3 Files file system, .* but the service runs on Fargate Windows\./);
  });

  test('EC2 Auto Scaling group capacity is refused: ECS mounts S3 Files on Fargate and Managed Instances only', () => {
    const s = setup();
    const gpu = s.cluster.addAsgCapacity('Gpu', { instanceType: new ec2.InstanceType('g5.xlarge'), gpu: true, maxCapacity: 1 });
    expect(() => new InferenceService(s.stack, 'Inference', {
      cluster: s.cluster,
      image: IMAGE,
      capacity: Capacity.ec2(gpu),
      gpuCount: 1,
      modelStore: { mountPath: '/models', bucket: s.bucket },
    })).toThrow(/modelStore\.bucket makes the model store an S3 Files file system, which ECS mounts only into Linux tasks on Fargate or Managed Instances, but the service runs on EC2 Auto Scaling group capacity\. Run it on Capacity\.fargate\(\) or Capacity\.managedInstances\(\.\.\.\).*or use an EFS model store \(remove bucket\)\./);
  });
});

describe('a scheduled task mounts an S3 Files file system', () => {
  const { stack, cluster, bucket } = setup();
  const fileSystem = new S3FilesFileSystem(stack, 'Reports', { vpc: cluster.vpc, bucket, prefix: 'reports/' });
  const job = new ScheduledTask(stack, 'Nightly', {
    cluster,
    image: IMAGE,
    schedule: scheduler.ScheduleExpression.rate(Duration.days(1)),
    volumes: [WorkloadVolume.s3Files({ fileSystem, containerPath: '/reports', readOnly: false })],
  });
  const template = Template.fromStack(stack);

  test('NFS (2049) from the task security group to the mount targets; the schedule starts after them', () => {
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: stack.resolve(fileSystem.connections.securityGroups[0].securityGroupId) },
    })) as any[];
    expect(rules.map(r => [r.Properties.FromPort, r.Properties.SourceSecurityGroupId])).toEqual([
      [2049, stack.resolve(job.connections.securityGroups[0].securityGroupId)],
    ]);
    const schedule = template.toJSON().Resources[stack.getLogicalId(job.schedule.node.defaultChild as any)];
    expect(schedule.DependsOn).toEqual(expect.arrayContaining(Object.keys(template.findResources('AWS::S3Files::MountTarget'))));
    expect(storageNetworkProblems(stackTemplates(stack))).toEqual([]);
  });

  test('the S3 Files hop check sees the schedule, and fails when the rule is missing', () => {
    const json = template.toJSON();
    for (const [id, r] of Object.entries<any>(json.Resources)) {
      if (r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === 2049) delete json.Resources[id];
    }
    expect(storageNetworkProblems(json)).toEqual(
      Object.keys(template.findResources('AWS::S3Files::MountTarget')).map(mt =>
        expect.stringMatching(new RegExp(`^\\[tasks-to-s3files\\] tasks of schedule ${stack.getLogicalId(job.schedule.node.defaultChild as any)} → S3 Files mount target ${mt}: `))));
  });

  test('the task role may write through the file system', () => {
    const taskPolicies = JSON.stringify(Object.values(template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Roles: [{ Ref: ref(stack, job.taskDefinition.taskRole) }] },
    })));
    expect(taskPolicies).toContain('s3files:ClientWrite');
  });
});
