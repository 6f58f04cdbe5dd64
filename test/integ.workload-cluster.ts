import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { WorkloadCluster } from '../src';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'WorkloadClusterInteg');
// Teardown: DESTROY deletes the flow log group and schedules the cluster key for deletion; no
// access log bucket is created here, so nothing is left behind.
const cluster = new WorkloadCluster(stack, 'Cluster', { removalPolicy: RemovalPolicy.DESTROY });
const graviton = cluster.addAsgCapacity('Graviton', {
  instanceType: new ec2.InstanceType('m7g.large'),
  additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
  maxCapacity: 2,
});
// ECS Managed Instances: the provider exists and belongs to the cluster; no instance runs without tasks.
const managed = cluster.addManagedInstances('Managed', { maxVCpus: 4 });

const integ = new IntegTest(app, 'WorkloadClusterTest', { testCases: [stack] });
const assertions = integ.assertions;
const wait = { totalTimeout: Duration.minutes(5), interval: Duration.seconds(15), backoffRate: 1 };
const describeCluster = () => assertions.awsApiCall('ECS', 'describeClusters', {
  clusters: [cluster.cluster.clusterName],
  include: ['SETTINGS'],
});

// The cluster is ACTIVE with Container Insights (enhanced) and every capacity provider associated.
// (Match.arrayWith keeps order, so each provider is checked on its own.)
describeCluster().expect(ExpectedResult.objectLike({
  clusters: [Match.objectLike({
    status: 'ACTIVE',
    settings: Match.arrayWith([{ name: 'containerInsights', value: 'enhanced' }]),
    capacityProviders: Match.arrayWith(['FARGATE']),
  })],
})).waitForAssertions(wait)
  .next(describeCluster().expect(ExpectedResult.objectLike({
    clusters: [Match.objectLike({ capacityProviders: Match.arrayWith(['FARGATE_SPOT']) })],
  })))
  .next(describeCluster().expect(ExpectedResult.objectLike({
    clusters: [Match.objectLike({ capacityProviders: Match.arrayWith([graviton.capacityProviderName]) })],
  })))
  // The EC2 capacity provider is ACTIVE with managed scaling, termination protection and draining on.
  .next(assertions.awsApiCall('ECS', 'describeCapacityProviders', {
    capacityProviders: [graviton.capacityProviderName],
  }).expect(ExpectedResult.objectLike({
    capacityProviders: [Match.objectLike({
      status: 'ACTIVE',
      autoScalingGroupProvider: Match.objectLike({
        managedScaling: Match.objectLike({ status: 'ENABLED', targetCapacity: 100 }),
        managedTerminationProtection: 'ENABLED',
        managedDraining: 'ENABLED',
      }),
    })],
  })))
  .next(assertions.awsApiCall('ECS', 'describeCapacityProviders', {
    capacityProviders: [managed.capacityProvider.capacityProviderName],
    cluster: cluster.cluster.clusterName,
  }).expect(ExpectedResult.objectLike({
    capacityProviders: [Match.objectLike({ status: 'ACTIVE', cluster: cluster.cluster.clusterName })],
  })));
