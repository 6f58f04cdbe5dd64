import { AwsApiCall, ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Capacity, S3FilesFileSystem, WorkloadCluster, WorkloadVolume } from '../src';
import { BatchQueueWorker } from '../src/batch-queue-worker/batch-queue-worker';
import { InferenceService } from '../src/inference-service/inference-service';
import { ScheduledTask } from '../src/scheduled-task/scheduled-task';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'StorageInteg');
// Teardown: DESTROY deletes the flow log group and schedules the cluster key for deletion; the
// cluster creates no access log bucket here. The bucket below is emptied by its auto-delete handler.
const cluster = new WorkloadCluster(stack, 'Cluster', { removalPolicy: RemovalPolicy.DESTROY });
const busybox = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');

// EBS: a worker whose every task gets a 20 GiB gp3 scratch volume (encrypted with the cluster key,
// deleted with the task). CloudFormation creates the service with one task, which writes to the
// volume and then waits for jobs; the assertion below finds the volume ECS created for it.
const jobs = new sqs.Queue(stack, 'Jobs', { enforceSSL: true, visibilityTimeout: Duration.minutes(10) });
new BatchQueueWorker(stack, 'ScratchWorker', {
  cluster,
  image: busybox,
  command: ['sh', '-c', 'df -h /scratch && dd if=/dev/zero of=/scratch/probe bs=1M count=64 && echo scratch ok && sleep 3600'],
  queue: jobs,
  jobTimeout: Duration.minutes(5),
  maxTasks: 1,
  volumes: [WorkloadVolume.ebs({ containerPath: '/scratch', sizeGiB: 20 })],
  removalPolicy: RemovalPolicy.DESTROY,
});

// S3 Files: a versioned bucket whose prefix is the model store of an inference service (one call),
// and a scheduled job that writes a report through a file system of its own on another prefix.
const bucket = new s3.Bucket(stack, 'Data', {
  versioned: true,
  enforceSSL: true,
  eventBridgeEnabled: true,
  removalPolicy: RemovalPolicy.DESTROY,
  autoDeleteObjects: true,
});
const modelServer = new InferenceService(stack, 'S3Models', {
  cluster,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim'),
  // Serves the model directory itself: the health check passes only once the volume is mounted.
  command: ['python3', '-m', 'http.server', '8080', '--directory', '/models'],
  healthCheckPath: '/',
  modelStore: { mountPath: '/models', bucket, bucketPrefix: 'models/' },
  deletionProtection: false,
  maxTasks: 1,
  removalPolicy: RemovalPolicy.DESTROY,
});
const reports = new S3FilesFileSystem(stack, 'Reports', { vpc: cluster.vpc, bucket, prefix: 'reports/' });
new ScheduledTask(stack, 'ReportWriter', {
  cluster,
  image: busybox,
  command: ['sh', '-c', 'date > /reports/latest.txt && echo report written'],
  schedule: scheduler.ScheduleExpression.rate(Duration.minutes(10)),
  volumes: [WorkloadVolume.s3Files({ fileSystem: reports, containerPath: '/reports', readOnly: false })],
  removalPolicy: RemovalPolicy.DESTROY,
});

// Windows: a job on Fargate Windows (Windows Server 2022 Core), started every hour.
const windowsJob = new ScheduledTask(stack, 'WindowsJob', {
  cluster,
  image: ecs.ContainerImage.fromRegistry('mcr.microsoft.com/windows/servercore:ltsc2022'),
  command: ['powershell', '-Command', 'Write-Output "windows run"; exit 0'],
  capacity: Capacity.fargateWindows(),
  schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'StorageTest', { testCases: [stack] });
const assertions = integ.assertions;
const wait = (minutes: number) => ({ totalTimeout: Duration.minutes(minutes), interval: Duration.seconds(30), backoffRate: 1 });

/** Grants a call's Lambda (and its waiter's) what the API name alone does not tell integ-tests. */
function allow(call: AwsApiCall, actions: string[], resources: string[]): void {
  const statement = { Effect: 'Allow', Action: actions, Resource: resources };
  call.provider.addToRolePolicy(statement);
  call.waiterProvider?.addToRolePolicy(statement);
}

// The worker's first task has a 20 GiB gp3 volume, encrypted with the cluster key: ECS created it with
// the service's infrastructure role and tagged it with the task (AmazonECSCreated = the task's ARN).
assertions.awsApiCall('EC2', 'describeVolumes', {
  Filters: [
    { Name: 'tag:AmazonECSManaged', Values: ['true'] },
    { Name: 'tag:AmazonECSCreated', Values: [`arn:aws*:ecs:*:*:task/${cluster.cluster.clusterName}/*`] },
  ],
}).expect(ExpectedResult.objectLike({
  Volumes: Match.arrayWith([Match.objectLike({ Size: 20, VolumeType: 'gp3', Encrypted: true, KmsKeyId: cluster.encryptionKey.keyArn })]),
})).waitForAssertions(wait(15));

// The model server's target is healthy: its task mounted the S3 Files model store and serves it.
const health = assertions.awsApiCall('ElasticLoadBalancingV2', 'describeTargetHealth', {
  TargetGroupArn: modelServer.targetGroup.targetGroupArn,
}).expect(ExpectedResult.objectLike({
  TargetHealthDescriptions: Match.arrayWith([Match.objectLike({ TargetHealth: { State: 'healthy' } })]),
})).waitForAssertions(wait(20)) as AwsApiCall;
// integ-tests derives 'elasticloadbalancingv2:DescribeTargetHealth'; the IAM action is 'elasticloadbalancing:...'.
allow(health, ['elasticloadbalancing:DescribeTargetHealth'], ['*']);

// The scheduled job wrote through its S3 Files volume, and S3 Files synchronized the file to the bucket.
const listed = assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: bucket.bucketName, Prefix: 'reports/' })
  .expect(ExpectedResult.objectLike({ Contents: Match.arrayWith([Match.objectLike({ Key: 'reports/latest.txt' })]) }))
  .waitForAssertions(wait(20)) as AwsApiCall;
allow(listed, ['s3:ListBucket'], [bucket.bucketArn]);

// The Windows job ran on Fargate Windows and exited 0.
const stopped = assertions.awsApiCall('ECS', 'listTasks', {
  cluster: cluster.cluster.clusterName,
  family: windowsJob.taskDefinition.family,
  desiredStatus: 'STOPPED',
}).expect(ExpectedResult.objectLike({ taskArns: Match.arrayWith([Match.stringLikeRegexp('^arn:')]) }))
  .waitForAssertions(wait(30));
stopped.next(assertions.awsApiCall('ECS', 'describeTasks', {
  cluster: cluster.cluster.clusterName,
  tasks: [stopped.getAttString('taskArns.0')],
}).expect(ExpectedResult.objectLike({
  tasks: [Match.objectLike({ containers: Match.arrayWith([Match.objectLike({ exitCode: 0 })]) })],
})));
