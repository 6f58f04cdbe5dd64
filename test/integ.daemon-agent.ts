import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { WorkloadCluster } from '../src';
import { DaemonAgent } from '../src/daemon-agent/daemon-agent';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'DaemonAgentInteg');
const cluster = new WorkloadCluster(stack, 'Cluster');
const graviton = cluster.addAsgCapacity('Graviton', {
  instanceType: new ec2.InstanceType('m7g.large'),
  additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
  minCapacity: 1,
  maxCapacity: 2,
});

// Fluent Bit reads the instance's ECS agent logs and prints them to its own (awslogs) output.
new DaemonAgent(stack, 'LogAgent', {
  cluster,
  capacityProvider: graviton,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'),
  cpu: 128,
  memoryReservationMiB: 64,
  memoryLimitMiB: 256,
  command: ['/fluent-bit/bin/fluent-bit', '-i', 'tail', '-p', 'path=/host/var/log/ecs/*.log', '-o', 'stdout', '-p', 'match=*'],
  hostMounts: [{ hostPath: '/var/log/ecs', containerPath: '/host/var/log/ecs' }],
  user: 'root',
});

new IntegTest(app, 'DaemonAgentTest', { testCases: [stack] });
