import { AwsApiCall, ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as directoryservice from 'aws-cdk-lib/aws-directoryservice';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Capacity, FsxWindowsDeploymentType, FsxWindowsFileSystem, WorkloadCluster, WorkloadVolume } from '../src';
import { ScheduledTask } from '../src/scheduled-task/scheduled-task';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'WindowsFsxInteg');
// Teardown: everything here is DESTROY (the directory and the file system included), so the test
// leaves nothing behind but the cluster key, scheduled for deletion. Expect about an hour to deploy:
// AWS Managed Microsoft AD and FSx for Windows File Server take 20–40 minutes each.
const cluster = new WorkloadCluster(stack, 'Cluster', { removalPolicy: RemovalPolicy.DESTROY });
const DOMAIN = 'corp.example.com';

// The directory's admin credentials, in the form ECS reads for an FSx volume ({"username", "password"}).
const admin = new secretsmanager.Secret(stack, 'DirectoryAdmin', {
  generateSecretString: {
    secretStringTemplate: JSON.stringify({ username: 'Admin' }),
    generateStringKey: 'password',
    excludeCharacters: '"\'@/\\`',
    passwordLength: 32,
  },
  removalPolicy: RemovalPolicy.DESTROY,
});
// L1: aws-cdk-lib has no L2 for AWS Managed Microsoft AD.
const directory = new directoryservice.CfnMicrosoftAD(stack, 'Directory', {
  name: DOMAIN,
  edition: 'Standard',
  password: admin.secretValueFromJson('password').unsafeUnwrap(),
  vpcSettings: {
    vpcId: cluster.vpc.vpcId,
    subnetIds: cluster.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, onePerAz: true }).subnetIds.slice(0, 2),
  },
});

// The share, joined to the directory; one file server is enough for a test.
const share = new FsxWindowsFileSystem(stack, 'Share', {
  vpc: cluster.vpc,
  activeDirectoryId: directory.ref,
  deploymentType: FsxWindowsDeploymentType.SINGLE_AZ_2,
  automaticBackupRetention: Duration.days(0),
  removalPolicy: RemovalPolicy.DESTROY,
});

// Windows container instances that join the directory on their own, so that they can map the share.
const windows = cluster.addAsgCapacity('Windows', {
  instanceType: new ec2.InstanceType('m6i.large'),
  windows: ecs.WindowsOptimizedVersion.SERVER_2022,
  minCapacity: 1,
  maxCapacity: 1,
  joinDirectory: { directoryId: directory.ref, domainName: DOMAIN, dnsIpAddresses: directory.attrDnsIpAddresses },
});

// A Windows batch job that writes to the share every 15 minutes, then lists it.
const job = new ScheduledTask(stack, 'ShareWriter', {
  cluster,
  image: ecs.ContainerImage.fromRegistry('mcr.microsoft.com/windows/servercore:ltsc2022'),
  command: ['powershell', '-Command',
    '$ErrorActionPreference = "Stop"; Set-Content -Path C:\\share\\integ.txt -Value (Get-Date); Get-ChildItem C:\\share; Write-Output "share written"'],
  capacity: Capacity.ec2(windows),
  cpu: 1024,
  memoryLimitMiB: 2048,
  schedule: scheduler.ScheduleExpression.rate(Duration.minutes(15)),
  volumes: [WorkloadVolume.fsxWindows({
    fileSystem: share,
    containerPath: 'C:\\share',
    domain: DOMAIN,
    credentialsSecret: admin,
    readOnly: false,
  })],
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'WindowsFsxTest', { testCases: [stack] });
const assertions = integ.assertions;

// A run logged "share written": the instance had joined the domain, mapped the share with the
// credentials only the execution role may read (SMB 445 open from the instances to the file
// system), and the container wrote to it. Runs placed before the join fail to map the share; the
// schedule's next run (every 15 minutes) tries again, so the log is polled for an hour.
const written = assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
  logGroupName: job.logGroup.logGroupName,
  filterPattern: '"share written"',
}).expect(ExpectedResult.objectLike({
  events: Match.arrayWith([Match.objectLike({ message: Match.stringLikeRegexp('share written') })]),
})).waitForAssertions({ totalTimeout: Duration.minutes(60), interval: Duration.minutes(1), backoffRate: 1 }) as AwsApiCall;
const statement = { Effect: 'Allow', Action: ['logs:FilterLogEvents'], Resource: [job.logGroup.logGroupArn] };
written.provider.addToRolePolicy(statement);
written.waiterProvider?.addToRolePolicy(statement);
