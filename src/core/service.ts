import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { Capacity } from './capacity';
import { WorkloadCluster } from './cluster';
import { ValidationError } from './errors';

/** EC2 placement settings of a workload's tasks. */
export interface PlacementOptions {
  /**
   * How tasks are spread over EC2 container instances (`ecs.PlacementStrategy.spreadAcrossInstances()`,
   * `packedByCpu()`, `randomly()`, ...). EC2 capacity only.
   * @default - ECS defaults (spread across Availability Zones)
   */
  readonly placementStrategies?: ecs.PlacementStrategy[];

  /**
   * Which EC2 container instances may run the tasks (`ecs.PlacementConstraint.memberOf(...)`,
   * `distinctInstances()`). EC2 capacity only.
   * @default - any instance of the capacity provider
   */
  readonly placementConstraints?: ecs.PlacementConstraint[];
}

/**
 * Validates a workload's capacity against its cluster and placement settings and returns the
 * capacity to use. @internal
 */
export function resolveCapacity(
  scope: Construct,
  cluster: WorkloadCluster,
  capacity: Capacity | undefined,
  fallback: Capacity,
  placement: PlacementOptions = {},
): Capacity {
  const resolved = capacity ?? fallback;
  resolved.validate(scope);
  if (resolved.isFargate) {
    if (placement.placementStrategies?.length) {
      throw new ValidationError(scope,
        `placementStrategies (${placement.placementStrategies.length} given) apply to EC2 capacity only; Fargate places tasks itself. ` +
        'Remove placementStrategies or run the workload on EC2 capacity with Capacity.ec2(provider).');
    }
    if (placement.placementConstraints?.length) {
      throw new ValidationError(scope,
        `placementConstraints (${placement.placementConstraints.length} given) apply to EC2 capacity only; Fargate places tasks itself. ` +
        'Remove placementConstraints or run the workload on EC2 capacity with Capacity.ec2(provider).');
    }
  } else if (resolved.provider && ownsCluster(cluster) && !cluster.asgCapacity.some(c => c.capacityProvider === resolved.provider)) {
    // With an existing cluster, providers come from where that cluster is defined (see addAsgCapacity).
    throw new ValidationError(scope,
      `capacity uses capacity provider '${resolved.provider.node.path}', which was not added to cluster '${cluster.node.path}'. ` +
      'Create it with cluster.addAsgCapacity(...) on the same cluster.');
  }
  return resolved;
}

/** Whether the WorkloadCluster created its ECS cluster (rather than being given an existing one). */
function ownsCluster(cluster: WorkloadCluster): boolean {
  return cluster.node.tryFindChild('Cluster') === cluster.cluster;
}

/** A security group for a workload's tasks, with all outbound traffic allowed. @internal */
export function taskSecurityGroup(scope: Construct, cluster: WorkloadCluster): ec2.SecurityGroup {
  return new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: cluster.vpc,
    description: `Tasks of ${scope.node.path}`,
    allowAllOutbound: true,
  });
}
