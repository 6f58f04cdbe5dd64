import { App } from 'aws-cdk-lib';
import { BatchQueueWorkerStack } from './batch-queue-worker-stack';
import { ClusterStack } from './cluster-stack';
import { DaemonAgentStack } from './daemon-agent-stack';
import { InferenceServiceStack } from './inference-service-stack';
import { OperationsStack } from './operations-stack';
import { ScheduledTaskStack } from './scheduled-task-stack';

/**
 * The example app: one shared cluster stack, one stack per workload shape, and an operations stack
 * with the cluster's dashboard.
 * `npx projen synth:example` writes every template to cdk.out/.
 * Environment-agnostic: it synthesizes anywhere, with no AWS credentials and no lookups.
 */
const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });

const { cluster, graviton } = new ClusterStack(app, 'EcsWorkloads-Cluster');
const { worker } = new BatchQueueWorkerStack(app, 'EcsWorkloads-BatchQueueWorker', { cluster });
const { torchServe } = new InferenceServiceStack(app, 'EcsWorkloads-InferenceService', { cluster });
// The worker calls TorchServe by name (http://torchserve:8080); the rule lives in the worker's stack.
torchServe.allowServiceConnectFrom(worker.service);
new DaemonAgentStack(app, 'EcsWorkloads-DaemonAgent', { cluster, capacityProvider: graviton });
new ScheduledTaskStack(app, 'EcsWorkloads-ScheduledTask', { cluster });
new OperationsStack(app, 'EcsWorkloads-Operations', { cluster });

app.synth();
