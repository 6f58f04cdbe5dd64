import { App } from 'aws-cdk-lib';
import { ClusterStack } from './cluster-stack';

/**
 * The example app: one shared cluster stack and one stack per workload shape.
 * `npx projen synth:example` writes every template to cdk.out/.
 */
const app = new App({ stackTraces: false });
// Environment-agnostic: synthesizes anywhere, no AWS credentials or lookups needed.
new ClusterStack(app, 'EcsWorkloads-Cluster');

app.synth();
