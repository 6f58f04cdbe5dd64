import { Names, Size, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfnTasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { checkName, checkOrder, checkRange, isUnresolved, show, ValidationError } from './errors';
import { instanceGpus } from './instance-types';
import { acknowledgeResourceWildcards } from './policy-findings';
import { WorkloadRole } from './roles';

/** Props of `WorkloadCluster.addManagedInstances`. */
export interface ManagedInstancesOptions {
  /**
   * Fewest vCPUs of an instance type ECS may launch.
   * @default 2
   */
  readonly minVCpus?: number;

  /**
   * Most vCPUs of an instance type ECS may launch. Tasks whose `cpu` needs more (1024 units per
   * vCPU) are refused at synth.
   * @default 16
   */
  readonly maxVCpus?: number;

  /**
   * Least memory (MiB) of an instance type ECS may launch.
   * @default 4096
   */
  readonly minMemoryMiB?: number;

  /**
   * Most memory (MiB) of an instance type ECS may launch. Tasks whose `memoryLimitMiB` needs more
   * are refused at synth.
   * @default - no upper bound
   */
  readonly maxMemoryMiB?: number;

  /**
   * CPU architecture of the instances: ARM64 (AWS Graviton) or X86_64 (Intel and AMD). Tasks on
   * this capacity must use images of that architecture.
   * @default - ecs.CpuArchitecture.ARM64, or ecs.CpuArchitecture.X86_64 with `minGpus > 0`
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Fewest GPUs an instance type must have. 0 keeps instances with accelerators out (they cost
   * more); with 1 or more, only GPU instance types of `gpuManufacturer` are launched.
   * @default 0
   */
  readonly minGpus?: number;

  /**
   * Most GPUs an instance type may have.
   * @default - `minGpus` (0 without GPUs)
   */
  readonly maxGpus?: number;

  /**
   * Manufacturer of the GPUs. ECS reserves GPUs for tasks on NVIDIA GPUs only.
   * @default - ec2.AcceleratorManufacturer.NVIDIA with `minGpus > 0`
   */
  readonly gpuManufacturer?: ec2.AcceleratorManufacturer;

  /**
   * Instance types ECS may launch (and no other), e.g. `['g6.xlarge', 'g5.*']`; `*` is a wildcard.
   * Not with `excludedInstanceTypes`.
   * @default - every type that meets the other requirements
   */
  readonly allowedInstanceTypes?: string[];

  /**
   * Instance types ECS must not launch, e.g. `['t*', 'c5.large']`. Not with `allowedInstanceTypes`.
   * @default - none
   */
  readonly excludedInstanceTypes?: string[];

  /**
   * Launch Spot instances (interruptible, up to 90 % cheaper); ECS drains the tasks of an instance
   * on its two-minute interruption notice.
   * @default false
   */
  readonly spot?: boolean;

  /**
   * Subnets the instances are launched in.
   * @default - the private subnets of the cluster's VPC
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the instances.
   * @default - the cluster's instance security group (`cluster.connections`: no inbound rule)
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Size in GiB of each instance's task volume (images, container logs, scratch space).
   * CloudFormation has no key setting for this volume: it is encrypted when the account turns EBS
   * encryption by default on.
   * @default - 80 GiB (ECS's default)
   */
  readonly storageSizeGiB?: number;

  /**
   * CloudWatch detailed monitoring (1-minute metrics) of the instances, about 2.10 USD per instance a
   * month; without it, 5-minute metrics at no charge.
   * @default true
   */
  readonly detailedMonitoring?: boolean;

  /**
   * Name of the capacity provider: up to 255 letters, digits, `_` and `-`, not starting with `aws`,
   * `ecs` or `fargate`.
   * @default - generated
   */
  readonly capacityProviderName?: string;
}

/** An ECS Managed Instances capacity provider of a `WorkloadCluster`, with what workloads need to know of it. */
export interface WorkloadManagedInstances {
  /** The capacity provider. */
  readonly capacityProvider: ecs.ManagedInstancesCapacityProvider;
  /** CPU architecture of the instances. */
  readonly cpuArchitecture: ecs.CpuArchitecture;
  /** Fewest vCPUs of an instance. */
  readonly minVCpus: number;
  /** Most vCPUs of an instance. */
  readonly maxVCpus: number;
  /** Least memory (MiB) of an instance. */
  readonly minMemoryMiB: number;
  /** Most memory (MiB) of an instance, if bounded. */
  readonly maxMemoryMiB?: number;
  /** Fewest GPUs of an instance (0 without GPUs). */
  readonly minGpus: number;
  /** Most GPUs of an instance. */
  readonly maxGpus: number;
  /** Manufacturer of the GPUs, if the instances have GPUs. */
  readonly gpuManufacturer?: ec2.AcceleratorManufacturer;
  /** Whether the instances are Spot instances. */
  readonly spot: boolean;
  /** The instance types ECS may launch, if restricted. */
  readonly allowedInstanceTypes?: string[];
}

/** What `addManagedInstances` needs from its cluster. @internal */
export interface ManagedInstancesContext {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  readonly defaultSecurityGroups: ec2.ISecurityGroup[];
}

/**
 * Builds a Managed Instances capacity provider and its instance profile, validated, and adds it to
 * the cluster. @internal
 */
export function buildManagedInstances(scope: Construct, context: ManagedInstancesContext, props: ManagedInstancesOptions): WorkloadManagedInstances {
  const minGpus = props.minGpus ?? 0;
  const maxGpus = props.maxGpus ?? minGpus;
  const minVCpus = props.minVCpus ?? 2;
  const maxVCpus = props.maxVCpus ?? 16;
  const minMemoryMiB = props.minMemoryMiB ?? 4096;
  const spot = props.spot ?? false;
  checkRange(scope, 'minVCpus', minVCpus, 1, 1024, 'Give the fewest vCPUs an instance type must have.');
  checkRange(scope, 'maxVCpus', maxVCpus, 1, 1024, 'Give the most vCPUs an instance type may have.');
  checkOrder(scope, 'minVCpus', minVCpus, 'maxVCpus', maxVCpus);
  checkRange(scope, 'minMemoryMiB', minMemoryMiB, 512, 33554432, 'Give the least memory (MiB) an instance type must have.');
  checkRange(scope, 'maxMemoryMiB', props.maxMemoryMiB, 512, 33554432, 'Give the most memory (MiB) an instance type may have.');
  checkOrder(scope, 'minMemoryMiB', minMemoryMiB, 'maxMemoryMiB', props.maxMemoryMiB);
  checkRange(scope, 'minGpus', minGpus, 0, 16, 'EC2 instance types have at most 16 GPUs.');
  checkRange(scope, 'maxGpus', props.maxGpus, 0, 16, 'EC2 instance types have at most 16 GPUs.');
  checkOrder(scope, 'minGpus', minGpus, 'maxGpus', maxGpus);
  checkRange(scope, 'storageSizeGiB', props.storageSizeGiB, 1, 16384, 'Give the task volume size in GiB.');
  checkName(scope, 'capacityProviderName', props.capacityProviderName, 255, /[A-Za-z0-9_-]/, 'letters, digits, \'_\' and \'-\'');
  const reserved = props.capacityProviderName === undefined || isUnresolved(props.capacityProviderName)
    ? undefined : ['aws', 'ecs', 'fargate'].find(p => props.capacityProviderName!.startsWith(p));
  if (reserved) {
    throw new ValidationError(scope,
      `capacityProviderName ${show(props.capacityProviderName)} starts with '${reserved}', a prefix ECS reserves for its own capacity providers. ` +
      'Rename it, or leave it unset to let CloudFormation generate one.');
  }
  if (props.gpuManufacturer !== undefined && minGpus === 0) {
    throw new ValidationError(scope,
      `gpuManufacturer (${props.gpuManufacturer}) was given with minGpus 0, which keeps instances with accelerators out. Set minGpus to 1 or more, or remove gpuManufacturer.`);
  }
  const gpuManufacturer = minGpus > 0 ? props.gpuManufacturer ?? ec2.AcceleratorManufacturer.NVIDIA : undefined;
  if (gpuManufacturer !== undefined && gpuManufacturer !== ec2.AcceleratorManufacturer.NVIDIA) {
    throw new ValidationError(scope,
      `gpuManufacturer is ${show(gpuManufacturer)}, but ECS reserves GPUs for tasks (gpuCount) on NVIDIA GPUs only. Use ec2.AcceleratorManufacturer.NVIDIA (the default).`);
  }
  const cpuArchitecture = props.cpuArchitecture ?? (minGpus > 0 ? ecs.CpuArchitecture.X86_64 : ecs.CpuArchitecture.ARM64);
  const arm = cpuArchitecture._cpuArchitecture === ecs.CpuArchitecture.ARM64._cpuArchitecture;
  if (arm && minGpus > 0) {
    throw new ValidationError(scope,
      `cpuArchitecture is ARM64 with minGpus ${minGpus}, but this library runs GPU tasks on x86_64 only. Set cpuArchitecture to ecs.CpuArchitecture.X86_64 (the default with minGpus > 0).`);
  }
  if (props.allowedInstanceTypes?.length && props.excludedInstanceTypes?.length) {
    throw new ValidationError(scope,
      `allowedInstanceTypes (${props.allowedInstanceTypes.join(', ')}) and excludedInstanceTypes (${props.excludedInstanceTypes.join(', ')}) were both given; ` +
      'EC2 accepts one or the other. Keep allowedInstanceTypes, or list the types to avoid in excludedInstanceTypes only.');
  }
  for (const [i, t] of (props.allowedInstanceTypes ?? []).entries()) {
    if (minGpus > 0 && !isUnresolved(t) && instanceGpus(t) === 0) {
      throw new ValidationError(scope,
        `allowedInstanceTypes[${i}] ${show(t)} has no GPU, but minGpus is ${minGpus}, so ECS could never launch it. ` +
        'List GPU instance types only (e.g. g5.xlarge, g6.xlarge), or set minGpus to 0.');
    }
  }

  // The AWS managed infrastructure policy passes only instance profiles and roles whose name starts with ecsInstanceRole.
  const profileName = `ecsInstanceRole${Names.uniqueResourceName(scope, { maxLength: 64 - 'ecsInstanceRole'.length })}`;
  const instanceRole = new WorkloadRole(scope, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    roleName: profileName,
    description: `ECS Managed Instances of ${scope.node.path}`,
  });
  const cluster = context.cluster;
  const containerInstances = cluster.stack.formatArn({ service: 'ecs', resource: 'container-instance', resourceName: `${cluster.clusterName}/*` });
  // The ECS agent's calls, as aws-cdk-lib's default instance profile for Managed Instances grants them.
  instanceRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:DiscoverPollEndpoint'], resources: ['*'] }));
  instanceRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['ecs:RegisterContainerInstance', 'ecs:SubmitAttachmentStateChanges', 'ecs:SubmitTaskStateChange'],
    resources: [cluster.clusterArn],
  }));
  instanceRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['ecs:Poll', 'ecs:StartTelemetrySession', 'ecs:PutSystemLogEvents'],
    resources: [containerInstances],
  }));
  Validations.of(instanceRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ecs:DiscoverPollEndpoint supports no resource-level permissions; AWS requires Resource "*" for it.',
  });
  acknowledgeResourceWildcards(instanceRole, [{
    resource: containerInstances,
    reason: 'Container instance ids exist only once ECS launches the instances; the wildcard covers only the container instances of this cluster.',
  }]);
  const instanceProfile = new iam.InstanceProfile(scope, 'InstanceProfile', {
    role: instanceRole,
    instanceProfileName: profileName,
  });

  const capacityProvider = new ecs.ManagedInstancesCapacityProvider(scope, 'CapacityProvider', {
    capacityProviderName: props.capacityProviderName,
    ec2InstanceProfile: instanceProfile,
    subnets: context.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnets,
    securityGroups: props.securityGroups ?? context.defaultSecurityGroups,
    taskVolumeStorage: props.storageSizeGiB !== undefined ? Size.gibibytes(props.storageSizeGiB) : undefined,
    monitoring: props.detailedMonitoring ?? true ? ecs.InstanceMonitoring.DETAILED : ecs.InstanceMonitoring.BASIC,
    capacityOptionType: spot ? ecs.CapacityOptionType.SPOT : ecs.CapacityOptionType.ON_DEMAND,
    propagateTags: ecs.PropagateManagedInstancesTags.CAPACITY_PROVIDER,
    instanceRequirements: {
      vCpuCountMin: minVCpus,
      vCpuCountMax: maxVCpus,
      memoryMin: Size.mebibytes(minMemoryMiB),
      memoryMax: props.maxMemoryMiB !== undefined ? Size.mebibytes(props.maxMemoryMiB) : undefined,
      cpuManufacturers: arm ? [ec2.CpuManufacturer.AWS] : [ec2.CpuManufacturer.INTEL, ec2.CpuManufacturer.AMD],
      acceleratorCountMin: minGpus > 0 ? minGpus : undefined,
      acceleratorCountMax: maxGpus,
      acceleratorTypes: minGpus > 0 ? [ec2.AcceleratorType.GPU] : undefined,
      acceleratorManufacturers: gpuManufacturer ? [gpuManufacturer] : undefined,
      allowedInstanceTypes: props.allowedInstanceTypes?.length ? props.allowedInstanceTypes : undefined,
      excludedInstanceTypes: props.excludedInstanceTypes?.length ? props.excludedInstanceTypes : undefined,
    },
  });
  // ECS documents this AWS managed policy for the infrastructure role, and keeps it current as Managed
  // Instances changes. Metadata rather than Validations.acknowledge, which rejects ids with '::' inside.
  capacityProvider.infrastructureRole.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, {
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForManagedInstances]':
      'The ECS developer guide prescribes this AWS managed policy for the Managed Instances infrastructure role: ECS launches, tags and ' +
      'terminates the instances with it, and AWS updates it as ECS Managed Instances gains features (a copy here would fall behind and break launches).',
  });
  cluster.addManagedInstancesCapacityProvider(capacityProvider);
  return {
    capacityProvider,
    cpuArchitecture,
    minVCpus,
    maxVCpus,
    minMemoryMiB,
    maxMemoryMiB: props.maxMemoryMiB,
    minGpus,
    maxGpus,
    gpuManufacturer,
    spot,
    allowedInstanceTypes: props.allowedInstanceTypes?.length ? [...props.allowedInstanceTypes] : undefined,
  };
}

/**
 * A Step Functions launch target for Managed Instances: aws-cdk-lib's launch targets accept only
 * Fargate- or EC2-compatible task definitions. @internal
 */
export class ManagedInstancesLaunchTarget implements sfnTasks.IEcsLaunchTarget {
  constructor(private readonly strategies: ecs.CapacityProviderStrategy[]) {}

  public bind(_task: sfnTasks.EcsRunTask, _options: sfnTasks.LaunchTargetBindOptions): sfnTasks.EcsLaunchTargetConfig {
    return {
      parameters: {
        CapacityProviderStrategy: this.strategies.map(s => ({ CapacityProvider: s.capacityProvider, Base: s.base, Weight: s.weight })),
      },
    };
  }
}
