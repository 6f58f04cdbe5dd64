import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { WorkloadCluster } from '../src';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'WorkloadClusterInteg');
const cluster = new WorkloadCluster(stack, 'Cluster');
cluster.addAsgCapacity('Graviton', {
  instanceType: new ec2.InstanceType('m7g.large'),
  additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
  maxCapacity: 2,
});

new IntegTest(app, 'WorkloadClusterTest', { testCases: [stack] });
