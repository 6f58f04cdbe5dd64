import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { WorkloadCluster } from '../src';
import { DaemonAgent } from '../src/daemon-agent/daemon-agent';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'DaemonAgentInteg');
// Teardown: DESTROY deletes the flow log group and the agent's log group and schedules the cluster
// key for deletion; the cluster creates no access log bucket here, so nothing is left behind.
const cluster = new WorkloadCluster(stack, 'Cluster', { removalPolicy: RemovalPolicy.DESTROY });
// Exactly two instances (min = max), so that "one task on every instance" has a fixed answer.
const INSTANCES = 2;
const graviton = cluster.addAsgCapacity('Graviton', {
  instanceType: new ec2.InstanceType('m7g.large'),
  additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
  minCapacity: INSTANCES,
  maxCapacity: INSTANCES,
});

// Fluent Bit reads the instance's ECS agent logs and prints them to its own (awslogs) output.
const agent = new DaemonAgent(stack, 'LogAgent', {
  cluster,
  capacityProvider: graviton,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'),
  cpu: 128,
  memoryReservationMiB: 64,
  memoryLimitMiB: 256,
  command: ['/fluent-bit/bin/fluent-bit', '-i', 'tail', '-p', 'path=/host/var/log/ecs/*.log', '-o', 'stdout', '-p', 'match=*'],
  hostMounts: [{ hostPath: '/var/log/ecs', containerPath: '/host/var/log/ecs' }],
  user: 'root',
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'DaemonAgentTest', { testCases: [stack] });
const assertions = integ.assertions;
const wait = { totalTimeout: Duration.minutes(20), interval: Duration.seconds(30), backoffRate: 1 };
const arn = Match.stringLikeRegexp('^arn:aws');
// A literal array inside objectLike must have exactly this many elements.
const exactly = (n: number) => Array.from({ length: n }, () => arn);

// 1. Both instances registered with the cluster (ACTIVE container instances) ...
assertions.awsApiCall('ECS', 'listContainerInstances', {
  cluster: cluster.cluster.clusterName,
  status: 'ACTIVE',
}).expect(ExpectedResult.objectLike({
  containerInstanceArns: exactly(INSTANCES),
})).waitForAssertions(wait)
  // 2. ... the daemon has one task per instance, no more, no fewer ...
  .next(assertions.awsApiCall('ECS', 'listTasks', {
    cluster: cluster.cluster.clusterName,
    serviceName: agent.service.serviceName,
    desiredStatus: 'RUNNING',
  }).expect(ExpectedResult.objectLike({
    taskArns: exactly(INSTANCES),
  })).waitForAssertions(wait))
  // 3. ... and ECS reports the service steady: every task it wants (one per instance) is running.
  //    (assertAtPath keeps the custom resource's answer small: the whole DescribeServices answer,
  //    events included, can exceed the 4 KB a custom resource may return.)
  .next(assertions.awsApiCall('ECS', 'describeServices', {
    cluster: cluster.cluster.clusterName,
    services: [agent.service.serviceName],
  }).assertAtPath('services.0.events.0.message', ExpectedResult.stringLikeRegexp('has reached a steady state'))
    .waitForAssertions(wait));
