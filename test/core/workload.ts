import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { Capacity, WorkloadCluster, WorkloadContainerOptions } from '../../src';
import { PlacementOptions, resolveCapacity } from '../../src/core/service';
import { buildWorkloadTask, WorkloadTask } from '../../src/core/task-definition';

/** Props of {@link TestWorkload}: what a real workload construct takes. */
export interface TestWorkloadProps extends WorkloadContainerOptions, PlacementOptions {
  readonly cluster: WorkloadCluster;
  readonly capacity?: Capacity;
  readonly memoryReservationMiB?: number;
  readonly taskLevelResources?: boolean;
  readonly defaultContainerPort?: number;
  readonly constructEnvironment?: { [key: string]: string };
  readonly networkMode?: ecs.NetworkMode;
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The smallest construct built the way every workload construct is: resolve the capacity (Fargate by
 * default), then build the task with the core builder.
 */
export class TestWorkload extends Construct {
  public readonly capacity: Capacity;
  public readonly task: WorkloadTask;

  constructor(scope: Construct, id: string, props: TestWorkloadProps) {
    super(scope, id);
    this.capacity = resolveCapacity(this, props.cluster, props.capacity, Capacity.fargate(), props);
    this.task = buildWorkloadTask(this, { ...props, capacity: this.capacity });
  }
}

/** A public image, so that no ECR permission appears unless a test asks for it. */
export const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
