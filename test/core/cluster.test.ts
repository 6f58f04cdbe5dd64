import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { WorkloadCluster } from '../../src';
import { complianceFindings, newStack } from '../compliance';

test('findings', () => {
  const stack = newStack();
  const c = new WorkloadCluster(stack, 'Cluster');
  c.addAsgCapacity('Arm', { instanceType: new ec2.InstanceType('m7g.large'), additionalInstanceTypes: [new ec2.InstanceType('c7g.large')], maxCapacity: 2 });
  c.addAsgCapacity('Gpu', { instanceType: new ec2.InstanceType('g5.xlarge'), additionalInstanceTypes: [new ec2.InstanceType('g4dn.xlarge')], maxCapacity: 2, gpu: true });
  console.log(complianceFindings(stack).map(f => `${f.pack} ${f.rule} ${f.resource}`).join('\n'));
});
