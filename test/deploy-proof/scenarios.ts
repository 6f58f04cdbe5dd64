/**
 * The apps the deploy-proof tests check: one stack per construct configuration worth telling apart,
 * and the example app as `examples/app.ts` builds it (six stacks with cross-stack references). Each
 * test file picks the scenarios it needs by name; their templates are synthesized once per test file.
 */
import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { buildExampleApp, ExampleStacks } from '../../examples/example-app';
import {
  BatchQueueWorker, Capacity, DaemonAgent, InferenceService, LoadBalancerType, ScheduledTask, WorkloadCluster,
  WorkloadClusterProps, WorkloadVolume,
} from '../../src';
import { newStack } from '../compliance';
import { stackTemplates, Templates } from './graph';

export const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
export const G5 = new ec2.InstanceType('g5.xlarge');
export const M7G = new ec2.InstanceType('m7g.large');
export const NIGHTLY = scheduler.ScheduleExpression.cron({ hour: '2', minute: '30', timeZone: TimeZone.EUROPE_BERLIN });

/** A stack (in its own app, fixed environment) with a `WorkloadCluster` and what `make` adds to it. */
interface WorkloadStack<T> {
  readonly stack: Stack;
  readonly cluster: WorkloadCluster;
  /** What `make` returned: the construct under test. */
  readonly workload: T;
}

export function workloadStack<T>(make: (stack: Stack, cluster: WorkloadCluster) => T,
  options: { readonly stackName?: string; readonly cluster?: WorkloadClusterProps } = {}): WorkloadStack<T> {
  const stack = newStack(options.stackName);
  const cluster = new WorkloadCluster(stack, 'Cluster', options.cluster);
  return { stack, cluster, workload: make(stack, cluster) };
}

/** The example app's stacks, by role, and its app. */
type ExampleApp = ExampleStacks & { readonly app: App };

/** The example app, built as `examples/app.ts` builds it (without its synth). */
export function exampleApp(): ExampleApp {
  const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
  return { app, ...buildExampleApp(app) };
}

/** A single-stack scenario: its stack. */
function single(make: (stack: Stack, cluster: WorkloadCluster) => unknown, cluster?: WorkloadClusterProps): Stack[] {
  return [workloadStack(make, { cluster }).stack];
}

/** Each scenario builds its app and returns the stacks to check. */
const SCENARIOS = {
  'WorkloadCluster (default)': () => single(() => undefined),
  'BatchQueueWorker (default)': () => single((s, c) => new BatchQueueWorker(s, 'Worker', { cluster: c, image: IMAGE, maxTasks: 10 })),
  'BatchQueueWorker on EC2 capacity': () => single((s, c) => {
    const provider = c.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
    new BatchQueueWorker(s, 'Worker', { cluster: c, image: IMAGE, maxTasks: 10, capacity: Capacity.ec2(provider) });
  }),
  'InferenceService (default, ALB)': () => single((s, c) => new InferenceService(s, 'Inference', { cluster: c, image: IMAGE })),
  'InferenceService (NLB)': () => single((s, c) => new InferenceService(s, 'Inference', { cluster: c, image: IMAGE, loadBalancerType: LoadBalancerType.NETWORK })),
  'InferenceService with a GPU on EC2': () => single((s, c) => {
    c.addAsgCapacity('Gpu', { instanceType: G5, gpu: true, maxCapacity: 2 });
    new InferenceService(s, 'Inference', { cluster: c, image: IMAGE, gpuCount: 1, cpu: 2048, memoryLimitMiB: 8192 });
  }),
  'InferenceService with a model store': () => single((s, c) => new InferenceService(s, 'Inference', { cluster: c, image: IMAGE, modelStore: { mountPath: '/models' } })),
  'InferenceService with an EFS volume': () => single((s, c) => {
    const fileSystem = new efs.FileSystem(s, 'Data', { vpc: c.vpc });
    new InferenceService(s, 'Inference', { cluster: c, image: IMAGE, volumes: [WorkloadVolume.efs({ fileSystem, containerPath: '/data' })] });
  }),
  'DaemonAgent (default)': () => single((s, c) => {
    const provider = c.addAsgCapacity('Graviton', { instanceType: M7G, maxCapacity: 2 });
    new DaemonAgent(s, 'Agent', { cluster: c, image: IMAGE, memoryReservationMiB: 64, capacityProvider: provider });
  }),
  'ScheduledTask (default)': () => single((s, c) => new ScheduledTask(s, 'Task', { cluster: c, image: IMAGE, schedule: NIGHTLY })),
  'ScheduledTask with task retries (Step Functions)': () => single((s, c) => new ScheduledTask(s, 'Task', {
    cluster: c, image: IMAGE, schedule: NIGHTLY, taskRetryAttempts: 2, timeout: Duration.hours(1),
  })),
  'example app (6 stacks)': () => exampleApp().stacks,
};

export type ScenarioName = keyof typeof SCENARIOS;

const built = new Map<ScenarioName, Templates>();

/**
 * The templates of a scenario, synthesized on first use: one stack's template alone (messages name
 * its resources by logical id), or every stack of the app (messages say `stack/logicalId`).
 */
export function scenarioTemplates(name: ScenarioName): Templates {
  let templates = built.get(name);
  if (!templates) {
    const stacks = stackTemplates(...SCENARIOS[name]());
    templates = stacks.length === 1 ? stacks[0].template : stacks;
    built.set(name, templates);
  }
  return templates;
}
