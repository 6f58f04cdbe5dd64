import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Template } from 'aws-cdk-lib/assertions';
import { WorkloadCluster } from '../../src';
import { BatchQueueWorker } from '../../src/batch-queue-worker/batch-queue-worker';
import { complianceFindings, newStack } from '../compliance';

test('explore', () => {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  new BatchQueueWorker(stack, 'Worker', { cluster, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/x/y'), maxTasks: 10 });
  const t = Template.fromStack(stack).toJSON();
  const fs = require('fs');
  fs.writeFileSync('/tmp/bqw-template.json', JSON.stringify(t, null, 1));
  console.log(complianceFindings(stack).map(f => `${f.pack} ${f.rule} ${f.resource}`).join('\n'));
});
