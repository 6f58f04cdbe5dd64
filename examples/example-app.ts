import { App, Stack } from 'aws-cdk-lib';
import { BatchQueueWorkerStack } from './batch-queue-worker-stack';
import { ClusterStack } from './cluster-stack';
import { DaemonAgentStack } from './daemon-agent-stack';
import { InferenceServiceStack } from './inference-service-stack';
import { OperationsStack } from './operations-stack';
import { ScheduledTaskStack } from './scheduled-task-stack';

/** The example app's stacks, by role. */
export interface ExampleStacks {
  readonly cluster: ClusterStack;
  readonly worker: BatchQueueWorkerStack;
  readonly inference: InferenceServiceStack;
  readonly agent: DaemonAgentStack;
  readonly job: ScheduledTaskStack;
  readonly operations: OperationsStack;
  /** Every stack, the cluster stack first. */
  readonly stacks: Stack[];
}

/**
 * The example app: one shared cluster stack, one stack per workload shape, and an operations stack
 * with the cluster's dashboard. Environment-agnostic: it synthesizes anywhere, with no AWS
 * credentials and no lookups.
 */
export function buildExampleApp(app: App): ExampleStacks {
  const cluster = new ClusterStack(app, 'EcsWorkloads-Cluster');
  const worker = new BatchQueueWorkerStack(app, 'EcsWorkloads-BatchQueueWorker', { cluster: cluster.cluster });
  const inference = new InferenceServiceStack(app, 'EcsWorkloads-InferenceService', { cluster: cluster.cluster });
  // The worker calls TorchServe by name (http://torchserve:8080); the rule lives in the worker's stack.
  inference.torchServe.allowServiceConnectFrom(worker.worker.service);
  const agent = new DaemonAgentStack(app, 'EcsWorkloads-DaemonAgent', {
    cluster: cluster.cluster,
    capacityProvider: cluster.graviton,
    managedInstances: cluster.managed,
  });
  const job = new ScheduledTaskStack(app, 'EcsWorkloads-ScheduledTask', { cluster: cluster.cluster });
  const operations = new OperationsStack(app, 'EcsWorkloads-Operations', { cluster: cluster.cluster });
  return { cluster, worker, inference, agent, job, operations, stacks: [cluster, worker, inference, agent, job, operations] };
}
