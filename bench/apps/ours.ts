import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import {
  BatchQueueWorker, DaemonAgent, InferenceService, LoadBalancerType, ScheduledTask, WorkloadCluster,
} from '../../src';
import { IMAGE, WORKLOADS } from './shared';

/** The five benchmark workloads with this library's defaults. */
export class OursStack extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const cluster = new WorkloadCluster(this, 'Cluster');
    const graviton = cluster.addAsgCapacity('Graviton', {
      instanceType: new ec2.InstanceType('m7g.large'),
      additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
      minCapacity: 1,
      maxCapacity: 4,
    });
    const image = ecs.ContainerImage.fromRegistry(IMAGE);

    new BatchQueueWorker(this, WORKLOADS[0], { cluster, image, inputPrefix: 'uploads/', maxTasks: 10 });
    new InferenceService(this, WORKLOADS[1], { cluster, image, modelStore: { mountPath: '/models' } });
    new InferenceService(this, WORKLOADS[2], { cluster, image, loadBalancerType: LoadBalancerType.NETWORK });
    new DaemonAgent(this, WORKLOADS[3], { cluster, image, memoryReservationMiB: 128, capacityProvider: graviton });
    new ScheduledTask(this, WORKLOADS[4], {
      cluster, image, schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }),
    });
  }
}
