import { App } from 'aws-cdk-lib';
import { ClusterStack } from '../../examples/cluster-stack';
import { BatchQueueWorkerStack } from '../../examples/batch-queue-worker-stack';
const app = new App({ stackTraces: false, outdir: '/tmp/bqw-out' });
const c = new ClusterStack(app, 'EcsWorkloads-Cluster');
new BatchQueueWorkerStack(app, 'EcsWorkloads-BatchQueueWorker', { cluster: c.cluster });
app.synth();
console.log('ok');
