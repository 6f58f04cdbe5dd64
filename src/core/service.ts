import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import { Construct, IConstruct } from 'constructs';
import { Capacity } from './capacity';
import { WorkloadCluster } from './cluster';
import { ebsInfrastructureRole, serviceManagedEbsConfiguration } from './ebs-volumes';
import { ValidationError } from './errors';
import type { WorkloadTask } from './task-definition';
import { _markAttached, BoundVolume } from './volumes';

/** EC2 placement settings of a workload's tasks. */
export interface PlacementOptions {
  /**
   * How the tasks are spread over the EC2 container instances.
   * For example `ecs.PlacementStrategy.spreadAcrossInstances()`, `packedByCpu()` or `randomly()`.
   * EC2 Auto Scaling group capacity only: with Fargate or Managed Instances capacity, a non-empty
   * list is refused at synth.
   * @default - ECS's default: a service spreads its tasks across Availability Zones, and a
   * `ScheduledTask`'s runs go to any instance with room for them
   */
  readonly placementStrategies?: ecs.PlacementStrategy[];

  /**
   * Which EC2 container instances may run the tasks.
   * For example `ecs.PlacementConstraint.memberOf(...)` or `distinctInstances()`. EC2 Auto Scaling
   * group capacity only: with Fargate or Managed Instances capacity, a non-empty list is refused at
   * synth.
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
  const placesItself = resolved.isFargate ? 'Fargate places tasks itself'
    : resolved.isManagedInstances ? 'on ECS Managed Instances, ECS places tasks by its own algorithm (spread across Availability Zones, then packed)'
      : undefined;
  if (placesItself) {
    const fix = resolved.isFargate ? 'run the workload on EC2 capacity with Capacity.ec2(provider)'
      : 'narrow the instances with the requirements of cluster.addManagedInstances (instance types, architecture, GPUs), or run the workload on EC2 capacity with Capacity.ec2(provider)';
    if (placement.placementStrategies?.length) {
      throw new ValidationError(scope,
        `placementStrategies (${placement.placementStrategies.length} given) apply to EC2 capacity only; ${placesItself}. ` +
        `Remove placementStrategies or ${fix}.`);
    }
    if (placement.placementConstraints?.length) {
      throw new ValidationError(scope,
        `placementConstraints (${placement.placementConstraints.length} given) apply to EC2 capacity only; ${placesItself}. ` +
        `Remove placementConstraints or ${fix}.`);
    }
  }
  if (resolved.provider && ownsCluster(cluster) && !cluster.asgCapacity.some(c => c.capacityProvider === resolved.provider)) {
    // With an existing cluster, providers come from where that cluster is defined (see addAsgCapacity).
    throw new ValidationError(scope,
      `capacity uses capacity provider '${resolved.provider.node.path}', which was not added to cluster '${cluster.node.path}'. ` +
      'Create it with cluster.addAsgCapacity(...) on the same cluster.');
  }
  const managed = resolved.managedInstancesCapacity;
  if (managed && !cluster.managedInstances.some(m => m.capacityProvider === managed.capacityProvider)) {
    throw new ValidationError(scope,
      `capacity uses Managed Instances capacity provider '${managed.capacityProvider.node.path}', which was not added to cluster '${cluster.node.path}'. ` +
      'Create it with cluster.addManagedInstances(...) on the same cluster.');
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

/**
 * Orders what starts the workload's tasks (a service, a schedule) after what they need when both are
 * in one stack: the cluster's capacity provider association (deleted after the service, or
 * `cdk destroy` fails with "The specified capacity provider is in use"), the execution role with its
 * policy (image pull and logs of the first tasks; aws-cdk-lib orders services after the task role
 * only), and the mount targets of the EFS file systems the tasks mount (a task that starts before
 * them fails with `ResourceInitializationError`). Across stacks, the stack order already does this.
 * @internal
 */
export function startAfterDependencies(starter: IConstruct, cluster: WorkloadCluster, task: WorkloadTask): void {
  starter.node.addDependency(cluster._capacityProvidersAssociated);
  if (task.taskDefinition.executionRole) starter.node.addDependency(task.taskDefinition.executionRole);
  for (const v of task.volumes) {
    if (v.fileSystem instanceof efs.FileSystem && Stack.of(v.fileSystem) === Stack.of(starter)) {
      starter.node.addDependency(v.fileSystem.mountTargetsAvailable);
    }
  }
}

/**
 * Opens NFS (2049) from the tasks to every EFS file system they mount. The file system's ingress rule
 * is a "remote" rule: when the file system lives in another stack, the rule is placed in the tasks'
 * stack (the file system's stack cannot refer back to the tasks: a reference cycle). The tasks'
 * security groups allow all outbound traffic, so they need no egress rule.
 * @internal
 */
export function allowNfs(tasks: ec2.Connections, volumes: BoundVolume[], description?: (index: number) => string): void {
  for (const [i, v] of volumes.entries()) {
    for (const fileSystemGroup of v.fileSystem?.connections.securityGroups ?? []) {
      for (const taskGroup of tasks.securityGroups) {
        fileSystemGroup.addIngressRule(taskGroup, ec2.Port.tcp(2049), description?.(i), /* remoteRule */ true);
      }
    }
  }
}

/**
 * Wires the volumes of a service's tasks that need more than the task definition: an EBS volume gets
 * an `ecs.ServiceManagedVolume` with an infrastructure role of the service's own (least privilege,
 * see `ebsInfrastructureRole`); the service is created after the role and its policy and deleted
 * before them, so ECS can still detach and delete the volumes of the last tasks. FSx and S3 Files
 * volumes are wired by `attachTaskVolumes`.
 * @internal
 */
export function attachServiceVolumes(service: ecs.BaseService, cluster: WorkloadCluster, task: WorkloadTask, capacity: Capacity): void {
  const workload = service.node.scope as Construct;
  const ebs = task.volumes.filter(v => v.ebs);
  if (ebs.length > 1) {
    throw new ValidationError(workload,
      `${ebs.map(v => `${v.prop} '${v.volume!.name}'`).join(' and ')} are EBS volumes, but ECS attaches one EBS volume per task. ` +
      'Keep one (size it for both uses, with a directory each).');
  }
  for (const v of ebs) {
    const role = ebsInfrastructureRole(workload, 'EbsInfrastructureRole', cluster, v.ebs!.snapshotId);
    service.addVolume(new ecs.ServiceManagedVolume(workload, 'EbsVolume', {
      name: v.volume!.name,
      managedEBSVolume: serviceManagedEbsConfiguration(v.ebs!, role, cluster),
    }));
    service.node.addDependency(role);
    _markAttached(v);
  }
  attachTaskVolumes(service, service.connections, task, capacity);
}

/**
 * Opens the network paths of the shared file systems a workload's tasks mount, for whatever starts
 * them (`starter`: a service or a schedule):
 * - an FSx for Windows File Server share: SMB (445) to the file system's security groups from the
 *   security groups of the EC2 instances of the capacity provider (the Windows host, not the task,
 *   maps the share and hands it to the container);
 * - an S3 Files file system: NFS (2049) from the tasks (`tasks`) to its mount targets, which are
 *   created before the starter when both are in one stack.
 * Ingress rules are remote rules, placed in the tasks' stack like `allowNfs`. EBS volumes are left to
 * `attachServiceVolumes`: ECS attaches them to the tasks of REPLICA services only.
 * @internal
 */
export function attachTaskVolumes(starter: IConstruct, tasks: ec2.Connections, task: WorkloadTask, capacity: Capacity): void {
  const workload = starter.node.scope as Construct;
  for (const v of task.volumes) {
    if (v.smbTo) {
      const hosts = capacity.provider?.autoScalingGroup.connections.securityGroups ?? [];
      for (const fileSystemGroup of v.smbTo) {
        for (const host of hosts) {
          fileSystemGroup.addIngressRule(host, ec2.Port.tcp(445), `SMB from the container instances of ${workload.node.path} (volume ${v.volume!.name})`, true);
        }
      }
      _markAttached(v);
    }
    if (v.s3Files) {
      for (const mountTargetGroup of v.s3Files.connections.securityGroups) {
        for (const taskGroup of tasks.securityGroups) {
          mountTargetGroup.addIngressRule(taskGroup, ec2.Port.tcp(2049), `NFS from the tasks of ${workload.node.path} (volume ${v.volume!.name})`, true);
        }
      }
      if (Stack.of(v.s3Files) === Stack.of(starter)) starter.node.addDependency(v.s3Files.mountTargetsAvailable);
      _markAttached(v);
    }
  }
}
