import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { WorkloadCluster, WorkloadManagedInstances } from 'cdk-ecs-workloads';

/**
 * The shared cluster: a new VPC, Fargate + Fargate Spot, a Graviton and a GPU EC2 capacity provider,
 * and Graviton ECS Managed Instances on Spot.
 */
export class ClusterStack extends Stack {
  public readonly cluster: WorkloadCluster;
  /** Graviton (ARM64) instances, for daemon agents and EC2 workloads. */
  public readonly graviton: ecs.AsgCapacityProvider;
  /** NVIDIA GPU instances (x86_64), for GPU inference. */
  public readonly gpu: ecs.AsgCapacityProvider;
  /** Graviton Managed Instances on Spot: AWS runs the fleet (no AMI, no Auto Scaling group). */
  public readonly managed: WorkloadManagedInstances;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.cluster = new WorkloadCluster(this, 'Cluster');
    this.graviton = this.cluster.addAsgCapacity('Graviton', {
      instanceType: new ec2.InstanceType('m7g.large'),
      additionalInstanceTypes: [new ec2.InstanceType('c7g.large')],
      minCapacity: 1,
      maxCapacity: 4,
    });
    this.gpu = this.cluster.addAsgCapacity('Gpu', {
      instanceType: new ec2.InstanceType('g5.xlarge'),
      additionalInstanceTypes: [new ec2.InstanceType('g4dn.xlarge')],
      gpu: true,
      // Room for a canary rollout of the GPU endpoint at maxTasks: both fleets side by side.
      maxCapacity: 4,
    });
    this.managed = this.cluster.addManagedInstances('Managed', { maxVCpus: 8, spot: true });
  }
}
