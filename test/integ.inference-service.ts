import { AwsApiCall, ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import { WorkloadCluster, WorkloadDashboard, WorkloadVolume } from '../src';
import { InferenceService, LoadBalancerType } from '../src/inference-service/inference-service';
import { RolloutStrategy } from '../src/inference-service/rollout';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'InferenceServiceInteg');
// Teardown: DESTROY deletes the flow log group and schedules the cluster key for deletion; the
// cluster creates no access log bucket here, so nothing is left behind.
const cluster = new WorkloadCluster(stack, 'Cluster', { removalPolicy: RemovalPolicy.DESTROY });
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');

// `deletionProtection: false` on every load balancer below: the default (true) is right for
// production, but CloudFormation cannot delete a protected load balancer, so the test could not tear
// down. The file systems and log groups are DESTROY for the same reason.

// An HTTP model server behind an internal ALB, reading models from a new EFS model store.
const alb = new InferenceService(stack, 'Alb', {
  cluster,
  image,
  command: ['python3', '-m', 'http.server', '8080', '--directory', '/models'],
  cpu: 512,
  memoryLimitMiB: 1024,
  healthCheckPath: '/',
  modelLoadTime: Duration.minutes(1),
  // A canary with short bakes, so that a redeploy in the integ account finishes within minutes.
  rollout: RolloutStrategy.canary({ stepBakeTime: Duration.minutes(1), bakeTime: Duration.minutes(1) }),
  modelStore: { mountPath: '/models', removalPolicy: RemovalPolicy.DESTROY },
  deletionProtection: false,
  maxTasks: 2,
  removalPolicy: RemovalPolicy.DESTROY,
});

// The same server behind an internal NLB, scaled on CPU, with ECS Exec: its healthy target below
// shows that a task with the SSM agent, a writable root and an init process starts and serves.
const nlb = new InferenceService(stack, 'Nlb', {
  cluster,
  image,
  command: ['python3', '-m', 'http.server', '8080', '--directory', '/tmp'],
  loadBalancerType: LoadBalancerType.NETWORK,
  healthCheckPath: '/',
  deletionProtection: false,
  maxTasks: 2,
  removalPolicy: RemovalPolicy.DESTROY,
  enableExec: true,
  serviceConnect: { dnsName: 'nlb' },
});

// A server reading a file system the user made and passed in `volumes` (not the model store): the
// task can only mount it if the service opens NFS (2049) to it and waits for its mount targets.
const shared = new efs.FileSystem(stack, 'SharedData', {
  vpc: cluster.vpc,
  vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
  encrypted: true,
  throughputMode: efs.ThroughputMode.ELASTIC,
  removalPolicy: RemovalPolicy.DESTROY,
});
const volumeServer = new InferenceService(stack, 'SharedVolume', {
  cluster,
  image,
  command: ['python3', '-m', 'http.server', '8080', '--directory', '/data'],
  healthCheckPath: '/',
  healthCheckGracePeriod: Duration.minutes(2),
  volumes: [WorkloadVolume.efs({ name: 'data', fileSystem: shared, containerPath: '/data', readOnly: true })],
  deletionProtection: false,
  maxTasks: 1,
  removalPolicy: RemovalPolicy.DESTROY,
});

// The cluster's dashboard, with the three services' sections.
// The volume server calls the NLB service by name through Service Connect.
nlb.allowServiceConnectFrom(volumeServer.service);

const dashboard = new WorkloadDashboard(stack, 'Dashboard', { cluster });

const integ = new IntegTest(app, 'InferenceServiceTest', { testCases: [stack] });

// CloudFormation created the dashboard (its body was accepted: CloudWatch validates it on PutDashboard).
integ.assertions.awsApiCall('CloudWatch', 'listDashboards', {
  DashboardNamePrefix: dashboard.dashboard.dashboardName,
}).expect(ExpectedResult.objectLike({
  DashboardEntries: [Match.objectLike({ DashboardName: dashboard.dashboard.dashboardName })],
}));

// Each service's target group reports at least one healthy target: the task started (image pulled,
// volumes mounted), answers 200 on the health check path, and the load balancer reaches it.
for (const service of [alb, nlb, volumeServer]) {
  const health = integ.assertions.awsApiCall('ElasticLoadBalancingV2', 'describeTargetHealth', {
    TargetGroupArn: service.targetGroup.targetGroupArn,
  }).expect(ExpectedResult.objectLike({
    TargetHealthDescriptions: Match.arrayWith([Match.objectLike({ TargetHealth: { State: 'healthy' } })]),
  })).waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30), backoffRate: 1 }) as AwsApiCall;
  // integ-tests derives 'elasticloadbalancingv2:DescribeTargetHealth' from the API name; the IAM
  // action is 'elasticloadbalancing:DescribeTargetHealth' (which supports no resource-level scoping).
  const statement = { Effect: 'Allow', Action: ['elasticloadbalancing:DescribeTargetHealth'], Resource: ['*'] };
  health.provider.addToRolePolicy(statement);
  health.waiterProvider?.addToRolePolicy(statement);
}

// The canary and its deployment alarms reach the service as ECS sees it.
integ.assertions.awsApiCall('ECS', 'describeServices', {
  cluster: cluster.cluster.clusterName,
  services: [alb.service.serviceName],
}).expect(ExpectedResult.objectLike({
  services: [Match.objectLike({
    deploymentConfiguration: Match.objectLike({
      strategy: 'CANARY',
      alarms: Match.objectLike({ enable: true, rollback: true }),
    }),
  })],
}));
