import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { WorkloadCluster } from '../src';
import { InferenceService, LoadBalancerType } from '../src/inference-service/inference-service';

const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'InferenceServiceInteg');
const cluster = new WorkloadCluster(stack, 'Cluster');

// An HTTP model server behind an internal ALB, reading models from a new EFS model store.
new InferenceService(stack, 'Alb', {
  cluster,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim'),
  command: ['python3', '-m', 'http.server', '8080', '--directory', '/models'],
  cpu: 512,
  memoryLimitMiB: 1024,
  healthCheckPath: '/',
  healthCheckGracePeriod: Duration.minutes(2),
  modelStore: { mountPath: '/models', removalPolicy: RemovalPolicy.DESTROY },
  deletionProtection: false,
  maxTasks: 2,
});

// The same server behind an internal NLB, scaled on CPU.
new InferenceService(stack, 'Nlb', {
  cluster,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim'),
  command: ['python3', '-m', 'http.server', '8080', '--directory', '/tmp'],
  loadBalancerType: LoadBalancerType.NETWORK,
  healthCheckPath: '/',
  deletionProtection: false,
  maxTasks: 2,
});

new IntegTest(app, 'InferenceServiceTest', { testCases: [stack] });
