import { AspectPriority, Aspects, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import type { DashboardSection, WorkloadDashboard } from './dashboard';
import { checkDirectoryJoin, joinDirectory, WindowsDirectoryJoinOptions } from './domain-join';
import { checkLogRetention, checkName, checkOrder, checkRange, isUnresolved, show, ValidationError } from './errors';
import { buildManagedInstances, ManagedInstancesOptions, WorkloadManagedInstances } from './managed-instances';
import { acknowledgeReplication, buildTopic, checkRemovalPolicy, enableEventBridge, suppressGuardRule } from './resources';
import { WorkloadRole } from './roles';
import { skipCreationStackTraces } from './synthesis';
import { WindowsAgentUserData, windowsAgentSetting } from './windows';

/** Key prefix of the ECS Exec session logs in `execSessionLogBucket`. @internal */
export const EXEC_LOG_PREFIX = 'ecs-exec';

/** Props of `WorkloadCluster`. */
export interface WorkloadClusterProps {
  /**
   * VPC to place the cluster in.
   * @default - a new VPC over 2 AZs with public and private subnets, `natGateways` NAT gateways and
   * VPC flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * An existing ECS cluster to run the workloads on (requires `vpc`). Its Fargate and Fargate Spot
   * capacity providers must already be associated; `addAsgCapacity` is not available on it.
   * @default - a new cluster
   */
  readonly cluster?: ecs.ICluster;

  /**
   * Number of NAT gateways of the new VPC (each costs about 32 USD a month plus data). With 0 the
   * tasks and instances have no route to the internet, so the cluster adds the VPC endpoints they need
   * instead: an S3 gateway endpoint (free) and interface endpoints for ECR (`ecr.api`, `ecr.dkr`),
   * CloudWatch Logs and SQS, plus `ecs`, `ecs-agent` and `ecs-telemetry` once EC2 capacity is added
   * (each interface endpoint costs about 7.30 USD a month per AZ, 2 AZs). Images must then come from
   * ECR in this Region. Not allowed with `vpc`.
   * @default 1
   */
  readonly natGateways?: number;

  /**
   * Let `cdk destroy` delete the stack: the load balancers of this cluster's inference services are
   * created without deletion protection (unless they set `deletionProtection`), and the EC2 capacity
   * providers without managed termination protection (unless they set `managedTerminationProtection`),
   * whose scale-in protection flags would otherwise keep the Auto Scaling groups alive. Keep it off in
   * production; see "Tearing a stack down" in the README for the whole procedure.
   * @default false
   */
  readonly allowDestroy?: boolean;

  /**
   * Customer-managed KMS key shared by the workloads' log groups, queues and topics.
   * @default - a new key with rotation (1 USD a month)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Container Insights level of a new cluster.
   * @default ecs.ContainerInsights.ENHANCED
   */
  readonly containerInsights?: ecs.ContainerInsights;

  /**
   * Remove all rules from the default security group of a new VPC. aws-cdk-lib does this with a
   * Lambda-backed custom resource; no resource of this library uses the default security group.
   * @default false
   */
  readonly restrictDefaultSecurityGroup?: boolean;

  /**
   * Retention of the VPC flow logs of a new VPC.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;

  /**
   * What happens to the cluster's stateful resources when they leave the stack (stack deletion, or
   * a change that replaces them): the KMS key (when this construct creates it), the VPC flow log
   * group and the access log bucket. `RETAIN` keeps them (and their data) in the account. With
   * `DESTROY`, the key is scheduled for deletion (after 30 days), after which nothing it encrypted
   * can be read, and CloudFormation fails to delete the access log bucket while it still holds
   * objects. Workloads have a `removalPolicy` of their own.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Bucket that receives a copy of every ECS Exec session log (see `enableExec` on the workloads),
   * under `ecs-exec/`, encrypted as the bucket requires. Not with `cluster`.
   * @default - sessions are logged to `execLogGroup` only
   */
  readonly execSessionLogBucket?: s3.IBucket;
}

/** Props of `WorkloadCluster.addAsgCapacity`. */
export interface AsgCapacityOptions {
  /**
   * EC2 instance type of the group's instances.
   * Its architecture picks the ECS-optimized AMI (ARM64 or x86_64). With `windows`, an x86_64 type.
   */
  readonly instanceType: ec2.InstanceType;

  /**
   * More instance types of the same architecture that the group may launch.
   * Spot capacity is far more reliable across several types, and Control Tower's CT.AUTOSCALING.PR.6
   * asks for at least two.
   * @default - none
   */
  readonly additionalInstanceTypes?: ec2.InstanceType[];

  /** Most instances the group may run. */
  readonly maxCapacity: number;

  /**
   * Fewest instances the group runs (0 lets managed scaling stop every instance when idle).
   * @default 0
   */
  readonly minCapacity?: number;

  /**
   * Use the ECS-optimized GPU AMI (x86_64 only) so tasks can reserve GPUs.
   * @default false
   */
  readonly gpu?: boolean;

  /**
   * Run Windows container instances: the ECS-optimized Windows Server AMI of this version
   * (`ecs.EcsOptimizedImage.windows`), PowerShell user data that starts the ECS agent with task IAM
   * roles and awsvpc networking (tasks cut off from the instance metadata service), and a larger root
   * volume for Windows images. Workloads on this capacity run Windows containers (x86_64, no GPUs).
   * The instance price includes the Windows Server license. Keep Linux and Windows on separate
   * capacity providers: a task placed on the other OS fails to start.
   * @default - Linux (Amazon Linux 2023)
   */
  readonly windows?: ecs.WindowsOptimizedVersion;

  /**
   * Join the Windows instances (with `windows`) to this AWS Managed Microsoft AD directory, as ECS
   * requires for FSx for Windows File Server volumes. It is AWS's "seamless domain join": a Systems
   * Manager State Manager association runs `AWS-JoinDirectoryServiceDomain` once on every instance
   * of the group (found by its `aws:autoscaling:groupName` tag), with no credential in user data; the
   * instance role gets `ds:CreateComputer` on this directory and the Systems Manager Agent's calls,
   * which also make the instances managed nodes (Session Manager and Run Command reach them for
   * whoever your IAM policies allow). The instances need a route to the Systems Manager and
   * Directory Service APIs (not available on a cluster with `natGateways` 0) and to the domain
   * controllers, whose security group must admit them (AWS Managed Microsoft AD admits its VPC by
   * default).
   *
   * The join restarts each instance once, soon after it starts (when its Systems Manager Agent first
   * runs the association; with `machineImage`, the image needs that agent). ECS may place tasks on
   * the instance before then: a task that maps a share there fails to start, a running task stops
   * with the restart, and services start replacements; after the restart the ECS agent reconnects as
   * the same container instance. Computer objects stay in the directory when instances terminate:
   * remove stale ones with your directory tools.
   * @default - the instances do not join a domain
   */
  readonly joinDirectory?: WindowsDirectoryJoinOptions;

  /**
   * Run Spot instances (interruptible, up to 90 % cheaper). The ECS agent drains an instance's tasks
   * when it receives the two-minute interruption notice (`ECS_ENABLE_SPOT_INSTANCE_DRAINING`), and
   * Capacity Rebalancing launches a replacement as soon as EC2 signals an elevated interruption risk.
   * @default false
   */
  readonly spot?: boolean;

  /**
   * Managed scaling keeps the group's utilization at this percentage (100 = no spare instance).
   * @default 100
   */
  readonly targetCapacityPercent?: number;

  /**
   * Fewest instances managed scaling adds or removes at a time.
   * @default 1
   */
  readonly minimumScalingStepSize?: number;

  /**
   * Most instances managed scaling adds or removes at a time.
   * @default 10
   */
  readonly maximumScalingStepSize?: number;

  /**
   * Time a new instance needs before it counts towards the group's metrics.
   * @default Duration.seconds(300)
   */
  readonly instanceWarmupPeriod?: Duration;

  /**
   * Managed termination protection: scale-in never terminates an instance that runs tasks. The
   * instances keep their scale-in protection after the capacity provider is deleted, which makes
   * `cdk destroy` wait for the Auto Scaling group (see the cluster's `allowDestroy`).
   * @default - true (false when the cluster has `allowDestroy`)
   */
  readonly managedTerminationProtection?: boolean;

  /**
   * Managed instance draining: tasks are moved off an instance before it is terminated. With it off,
   * nothing drains instances (this library never installs aws-cdk-lib's Lambda-based drain hook).
   * @default true
   */
  readonly managedDraining?: boolean;

  /**
   * Size of the encrypted root volume in GiB (gp3, about 0.08 USD per GiB-month).
   * @default - 30 (Linux); 50 with `windows`, since Windows base images take several GiB each
   */
  readonly rootVolumeSizeGiB?: number;

  /**
   * Machine image of the instances (with `windows`, a Windows image with the ECS agent).
   * @default - the ECS-optimized Amazon Linux 2023 image matching the architecture (arm64, x86_64 or
   * GPU), or with `windows` the ECS-optimized Windows Server image of that version
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * Name of the capacity provider: up to 255 letters, digits, `_` and `-`, not starting with `aws`,
   * `ecs` or `fargate`.
   * @default - generated by CloudFormation
   */
  readonly capacityProviderName?: string;
}

/** An EC2 capacity provider of a `WorkloadCluster`, with what workloads need to know of it. */
export interface WorkloadAsgCapacity {
  /** The capacity provider. */
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** The instances' Auto Scaling group. */
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The instance types, the first being `instanceType`. */
  readonly instanceTypes: ec2.InstanceType[];
  /** CPU architecture of the instances. */
  readonly cpuArchitecture: ecs.CpuArchitecture;
  /** Whether the instances have GPUs. */
  readonly gpu: boolean;
  /** Whether the instances are Spot instances. */
  readonly spot: boolean;
  /** Windows Server version of the instances, when they run Windows (`windows` of `addAsgCapacity`). */
  readonly windowsVersion?: ecs.WindowsOptimizedVersion;
}

/**
 * An ECS cluster ready for workloads: a VPC (given or new, with flow logs), Container Insights,
 * Fargate and Fargate Spot capacity providers, a shared KMS key, and EC2 Auto Scaling group capacity
 * providers added with `addAsgCapacity`.
 *
 * @example
 * const cluster = new WorkloadCluster(this, 'Cluster');
 * cluster.addAsgCapacity('Graviton', {
 *   instanceType: new ec2.InstanceType('m7g.large'),
 *   maxCapacity: 4,
 * });
 */
export class WorkloadCluster extends Construct implements ec2.IConnectable {
  /** The VPC of the cluster. */
  public readonly vpc: ec2.IVpc;
  /** The ECS cluster. */
  public readonly cluster: ecs.ICluster;
  /** Key that encrypts the workloads' log groups, queues and topics. */
  public readonly encryptionKey: kms.IKey;
  /** Security group of the EC2 container instances (shared by every `addAsgCapacity`). */
  public readonly connections: ec2.Connections;
  /** Whether `cdk destroy` may delete the cluster's load balancers and Auto Scaling groups (see `allowDestroy`). */
  public readonly allowDestroy: boolean;
  /**
   * Container Insights level of the cluster this construct created (undefined for an existing
   * cluster, whose setting is not known here).
   */
  public readonly containerInsights?: ecs.ContainerInsights;
  /**
   * Log group of the ECS Exec sessions of workloads with `enableExec` (encrypted with the cluster key,
   * which also encrypts the sessions). Undefined for an existing cluster, whose own
   * `executeCommandConfiguration` applies.
   */
  public readonly execLogGroup?: logs.ILogGroup;
  /** Bucket that receives a copy of the ECS Exec session logs, if any. */
  public readonly execSessionLogBucket?: s3.IBucket;

  /**
   * Available once the cluster's capacity providers are associated with it. Every service of the
   * cluster depends on it: a service that names a capacity provider must be created after the
   * association and deleted before it, or `cdk destroy` fails with "The specified capacity provider
   * is in use".
   * @internal
   */
  public readonly _capacityProvidersAssociated: IDependable;
  /** Whether this construct made the VPC without NAT gateways (images come through VPC endpoints). @internal */
  public readonly _withoutNat: boolean;

  private readonly ownCluster?: ecs.Cluster;
  private _capacityEvents?: sns.Topic;
  private _accessLogs?: s3.Bucket;
  private readonly asgCapacities: WorkloadAsgCapacity[] = [];
  private readonly managedInstanceCapacities: WorkloadManagedInstances[] = [];
  private readonly removalPolicy: RemovalPolicy;
  private readonly associations = new DependencyGroup();
  private readonly vpcEndpointsForEc2?: () => void;
  private readonly vpcEndpointsForExec?: () => void;
  private readonly dashboardSections: DashboardSection[] = [];
  private readonly dashboards: WorkloadDashboard[] = [];

  /**
   * @param scope The construct that contains this cluster, usually a `Stack`.
   * @param id Construct id of the cluster, unique within `scope`.
   * @param props Settings of the cluster (see `WorkloadClusterProps`).
   */
  constructor(scope: Construct, id: string, props: WorkloadClusterProps = {}) {
    super(scope, id);
    skipCreationStackTraces(this);

    if (props.cluster && !props.vpc) {
      throw new ValidationError(this,
        `cluster (${props.cluster.clusterName}) was given without vpc. Pass the cluster's VPC as vpc too (ec2.Vpc.fromLookup or fromVpcAttributes).`);
    }
    this.allowDestroy = props.allowDestroy ?? false;
    this._capacityProvidersAssociated = this.associations;
    if (props.vpc && props.natGateways !== undefined) {
      throw new ValidationError(this,
        `natGateways (${props.natGateways}) only applies to a new VPC, but vpc was given. Remove natGateways.`);
    }
    checkRange(this, 'natGateways', props.natGateways, 0, 2,
      'The new VPC spans 2 AZs: use 0 (no egress: workloads need VPC endpoints), 1 (default) or 2 (one per AZ).');
    checkRemovalPolicy(this, 'removalPolicy', props.removalPolicy);
    checkLogRetention(this, 'flowLogRetention', props.flowLogRetention);
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = props.encryptionKey ?? this.createKey();
    this.vpc = props.vpc ?? this.createVpc(props);
    this._withoutNat = !props.vpc && props.natGateways === 0;
    if (this._withoutNat) {
      const endpoints = this.addVpcEndpoints(this.vpc as ec2.Vpc);
      this.vpcEndpointsForEc2 = endpoints.ec2;
      this.vpcEndpointsForExec = endpoints.exec;
    }

    if (props.cluster) {
      if (props.execSessionLogBucket) {
        throw new ValidationError(this,
          `execSessionLogBucket (${props.execSessionLogBucket.node.path}) configures the ECS Exec logging of a cluster this construct creates, but cluster was given. ` +
          'Configure executeCommandConfiguration on your cluster instead, and remove execSessionLogBucket.');
      }
      this.cluster = props.cluster;
    } else {
      // ECS Exec sessions (of workloads with enableExec) are encrypted with the cluster key and logged
      // to a log group of their own: an empty log group costs nothing.
      this.execLogGroup = new logs.LogGroup(this, 'ExecLogs', {
        encryptionKey: this.encryptionKey,
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: this.removalPolicy,
      });
      this.execSessionLogBucket = props.execSessionLogBucket;
      this.ownCluster = new ecs.Cluster(this, 'Cluster', {
        vpc: this.vpc,
        containerInsightsV2: props.containerInsights ?? ecs.ContainerInsights.ENHANCED,
        enableFargateCapacityProviders: true,
        executeCommandConfiguration: {
          kmsKey: this.encryptionKey,
          logging: ecs.ExecuteCommandLogging.OVERRIDE,
          logConfiguration: { cloudWatchLogGroup: this.execLogGroup, cloudWatchEncryptionEnabled: true },
        },
      });
      if (props.execSessionLogBucket) {
        // L1: with the bucket in the L2 configuration, aws-cdk-lib would grant s3:GetBucketLocation on
        // "*" to every task with ECS Exec; the workloads grant it on this bucket instead.
        const cfn = this.ownCluster.node.defaultChild as ecs.CfnCluster;
        cfn.addPropertyOverride('Configuration.ExecuteCommandConfiguration.LogConfiguration.S3BucketName', props.execSessionLogBucket.bucketName);
        cfn.addPropertyOverride('Configuration.ExecuteCommandConfiguration.LogConfiguration.S3EncryptionEnabled', true);
        cfn.addPropertyOverride('Configuration.ExecuteCommandConfiguration.LogConfiguration.S3KeyPrefix', EXEC_LOG_PREFIX);
      }
      this.cluster = this.ownCluster;
      this.containerInsights = props.containerInsights ?? ecs.ContainerInsights.ENHANCED;
      // aws-cdk-lib creates the capacity provider association in an aspect, at synthesis.
      const cluster = this.ownCluster;
      Aspects.of(cluster).add({
        visit: node => {
          const association = node === cluster ? cluster.node.tryFindChild(cluster.node.id) : undefined;
          if (association) this.associations.add(association);
        },
      }, { priority: AspectPriority.READONLY });
      if (this.containerInsights === ecs.ContainerInsights.ENHANCED) {
        suppressGuardRule(this.ownCluster, 'ecs_container_insights_enabled_check',
          'Container Insights "enhanced" is a superset of "enabled", which is all CT.ECS.PR.2 knows.');
      }
    }

    this.connections = new ec2.Connections({
      securityGroups: [new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
        vpc: this.vpc,
        description: `EC2 container instances of ${this.node.path}`,
        allowAllOutbound: true,
      })],
    });
  }

  /**
   * Topic that receives the launch and termination events of every `addAsgCapacity` group
   * (created with the first one). Subscribe to it to be told of capacity changes.
   */
  public get capacityEvents(): sns.ITopic | undefined {
    return this._capacityEvents;
  }

  /** The EC2 capacity providers added so far. */
  public get asgCapacity(): WorkloadAsgCapacity[] {
    return [...this.asgCapacities];
  }

  /** Shows a workload on every dashboard of this cluster, present and future. @internal */
  public _addDashboardSection(section: DashboardSection): void {
    this.dashboardSections.push(section);
    for (const d of this.dashboards) d._addSection(section);
  }

  /** Gives a new dashboard every workload of this cluster so far. @internal */
  public _attachDashboard(dashboard: WorkloadDashboard): void {
    this.dashboards.push(dashboard);
    for (const s of this.dashboardSections) dashboard._addSection(s);
  }

  /**
   * Adds an EC2 Auto Scaling group capacity provider: ECS-optimized AMI matching the architecture,
   * managed scaling, managed termination protection and draining, IMDSv2 only, encrypted root volume,
   * instances in private subnets with a least-privilege instance role.
   */
  public addAsgCapacity(id: string, props: AsgCapacityOptions): ecs.AsgCapacityProvider {
    if (!this.ownCluster) {
      throw new ValidationError(this,
        `addAsgCapacity('${id}') needs a cluster created by WorkloadCluster, but an existing cluster was given. ` +
        'Add the capacity provider to the existing cluster where it is defined, then pass it to workloads with Capacity.ec2(provider).');
    }
    if (this.node.tryFindChild(id)) {
      throw new ValidationError(this, `addAsgCapacity id '${id}' is already used in this cluster. Give each capacity provider its own id.`);
    }
    const scope = new Construct(this, id);
    const minCapacity = props.minCapacity ?? 0;
    checkRange(scope, 'maxCapacity', props.maxCapacity, 1, 10000, 'Give the most instances the group may run.');
    checkRange(scope, 'minCapacity', minCapacity, 0, 10000, 'Give the fewest instances the group runs (0 to scale to zero).');
    checkOrder(scope, 'minCapacity', minCapacity, 'maxCapacity', props.maxCapacity);
    checkRange(scope, 'targetCapacityPercent', props.targetCapacityPercent, 1, 100,
      'ECS managed scaling accepts 1–100 (100 keeps no spare instance).');
    checkRange(scope, 'minimumScalingStepSize', props.minimumScalingStepSize, 1, 10000, 'ECS accepts 1–10000.');
    checkRange(scope, 'maximumScalingStepSize', props.maximumScalingStepSize, 1, 10000, 'ECS accepts 1–10000.');
    checkOrder(scope, 'minimumScalingStepSize', props.minimumScalingStepSize ?? 1, 'maximumScalingStepSize', props.maximumScalingStepSize ?? 10);
    checkRange(scope, 'rootVolumeSizeGiB', props.rootVolumeSizeGiB, 30, 16384,
      'The ECS-optimized AMIs need at least 30 GiB (Linux and Windows alike); gp3 allows up to 16384 GiB.');
    const warmup = props.instanceWarmupPeriod?.toSeconds({ integral: false });
    checkRange(scope, 'instanceWarmupPeriod', warmup, 0, 10000, 'ECS accepts 0–10000 seconds.', { unit: 'seconds' });
    checkName(scope, 'capacityProviderName', props.capacityProviderName, 255, /[A-Za-z0-9_-]/, 'letters, digits, \'_\' and \'-\'');
    const reserved = props.capacityProviderName === undefined || isUnresolved(props.capacityProviderName)
      ? undefined : ['aws', 'ecs', 'fargate'].find(p => props.capacityProviderName!.startsWith(p));
    if (reserved) {
      throw new ValidationError(scope,
        `capacityProviderName ${show(props.capacityProviderName)} starts with '${reserved}', a prefix ECS reserves for its own capacity providers ` +
        '(names may not start with \'aws\', \'ecs\' or \'fargate\'). Rename it, or leave it unset to let CloudFormation generate one.');
    }

    const instanceTypes = [props.instanceType, ...props.additionalInstanceTypes ?? []];
    const gpu = props.gpu ?? false;
    const spot = props.spot ?? false;
    const arm = props.instanceType.architecture === ec2.InstanceArchitecture.ARM_64;
    for (const [i, t] of instanceTypes.entries()) {
      if ((t.architecture === ec2.InstanceArchitecture.ARM_64) !== arm) {
        throw new ValidationError(scope,
          `additionalInstanceTypes[${i - 1}] ${show(t.toString())} is ${arm ? 'x86_64' : 'ARM64'} but instanceType ${show(props.instanceType.toString())} is ${arm ? 'ARM64' : 'x86_64'}; ` +
          'one AMI serves the whole group. Use instance types of one architecture.');
      }
    }
    if (new Set(instanceTypes.map(t => t.toString())).size !== instanceTypes.length) {
      throw new ValidationError(scope, `additionalInstanceTypes repeats an instance type (${instanceTypes.join(', ')}). List each type once.`);
    }
    if (gpu && arm) {
      throw new ValidationError(scope,
        `gpu is true but instanceType ${show(props.instanceType.toString())} is ARM64, and the ECS GPU AMI is x86_64 only. ` +
        'Pick an x86_64 GPU instance type such as g5.xlarge or g6.xlarge.');
    }
    const windows = props.windows;
    if (windows !== undefined && arm) {
      throw new ValidationError(scope,
        `windows is ${show(windows)} but instanceType ${show(props.instanceType.toString())} is ARM64, and the ECS-optimized Windows Server AMIs are x86_64 only. ` +
        'Pick an x86_64 instance type such as m6i.large or m7i.large.');
    }
    if (windows !== undefined && gpu) {
      throw new ValidationError(scope,
        `windows is ${show(windows)} with gpu true, but ECS reserves GPUs for Linux containers only (there is no ECS-optimized Windows GPU AMI). ` +
        'Remove gpu, or add a separate Linux GPU capacity provider.');
    }
    if (props.joinDirectory) checkDirectoryJoin(scope, props.joinDirectory, { windows: windows !== undefined, withoutNat: this._withoutNat });
    const managedTerminationProtection = props.managedTerminationProtection ?? !this.allowDestroy;
    this.vpcEndpointsForEc2?.();

    const role = new WorkloadRole(scope, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `ECS container instances of ${scope.node.path}`,
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::ecs:Submit*]',
      reason: 'The ECS agent policy aws-cdk-lib attaches: ecs:Submit* is exactly the three state-change calls of the agent, scoped to this cluster.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecs:DiscoverPollEndpoint, ecr:GetAuthorizationToken and the agent\'s log calls support no resource-level permissions; ecs:Poll is bound to this cluster by condition.' +
        (props.joinDirectory ? ' For joinDirectory: ds:DescribeDirectories supports no resource-level permissions, and the Systems Manager Agent\'s registration, association and message-channel calls are granted on "*" as AWS\'s AmazonSSMManagedInstanceCore grants them.' : ''),
    });

    const hardwareType = gpu ? ecs.AmiHardwareType.GPU : arm ? ecs.AmiHardwareType.ARM : ecs.AmiHardwareType.STANDARD;
    const machineImage = props.machineImage ?? (windows !== undefined
      ? ecs.EcsOptimizedImage.windows(windows)
      : ecs.EcsOptimizedImage.amazonLinux2023(hardwareType));
    // aws-cdk-lib's cluster writes PowerShell for Windows images (it tells them apart by the image's OS type).
    const userData = windows !== undefined ? new WindowsAgentUserData() : ec2.UserData.forLinux();

    const launchTemplate = new ec2.LaunchTemplate(scope, 'LaunchTemplate', {
      machineImage,
      userData,
      role,
      securityGroup: this.connections.securityGroups[0],
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [{
        // The root device of the ECS-optimized AMIs: /dev/xvda on Amazon Linux, /dev/sda1 on Windows.
        deviceName: windows !== undefined ? '/dev/sda1' : '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeSizeGiB ?? (windows !== undefined ? 50 : 30), {
          encrypted: true,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          deleteOnTermination: true,
        }),
      }],
    });

    const autoScalingGroup = new autoscaling.AutoScalingGroup(scope, 'AutoScalingGroup', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      mixedInstancesPolicy: {
        launchTemplate,
        launchTemplateOverrides: instanceTypes.map(instanceType => ({ instanceType })),
        instancesDistribution: {
          onDemandBaseCapacity: 0,
          onDemandPercentageAboveBaseCapacity: spot ? 0 : 100,
          spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        },
      },
      minCapacity,
      maxCapacity: props.maxCapacity,
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      groupMetrics: [autoscaling.GroupMetrics.all()],
      // Spot: launch a replacement as soon as EC2 signals an elevated interruption risk.
      capacityRebalance: spot ? true : undefined,
      notifications: [{ topic: this.capacityEventsTopic(), scalingEvents: autoscaling.ScalingEvents.ALL }],
    });
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      Validations.of(autoScalingGroup).acknowledge({
        id: `${pack}-EC2IMDSv2Enabled`,
        reason: 'The launch template requires IMDSv2 (HttpTokens required, hop limit 1); the rule does not look through MixedInstancesPolicy.',
      });
    }
    Validations.of(autoScalingGroup).acknowledge({
      id: 'AwsSolutions-EC26',
      reason: 'The launch template encrypts the root volume; the rule does not look through MixedInstancesPolicy.',
    });
    // L1: the L2 sets only subnets; Control Tower (CT.AUTOSCALING.PR.1) also wants the zones listed.
    (autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup).availabilityZones =
      this.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).availabilityZones;

    const capacityProvider = new ecs.AsgCapacityProvider(scope, 'CapacityProvider', {
      autoScalingGroup,
      capacityProviderName: props.capacityProviderName,
      enableManagedScaling: true,
      targetCapacityPercent: props.targetCapacityPercent ?? 100,
      minimumScalingStepSize: props.minimumScalingStepSize ?? 1,
      maximumScalingStepSize: props.maximumScalingStepSize ?? 10,
      instanceWarmupPeriod: warmup ?? 300,
      enableManagedTerminationProtection: managedTerminationProtection,
      enableManagedDraining: props.managedDraining ?? true,
      machineImageType: ecs.MachineImageType.AMAZON_LINUX_2,
    });
    if (windows !== undefined && spot) {
      // Before the cluster's lines: the Windows agent reads its settings when Initialize-ECSAgent starts it.
      autoScalingGroup.addUserData(windowsAgentSetting('ECS_ENABLE_SPOT_INSTANCE_DRAINING', 'true'));
    }
    // No Lambda: aws-cdk-lib's legacy drain hook (Lambda + topic) is never added; managed draining replaces it.
    // addAsgCapacityProvider reads taskDrainTime (0 = no hook) though its options type does not declare it.
    const noDrainHook = { taskDrainTime: Duration.seconds(0) } as unknown as ecs.AddAutoScalingGroupCapacityOptions;
    this.ownCluster.addAsgCapacityProvider(capacityProvider, noDrainHook);
    if (windows === undefined) {
      if (gpu) {
        autoScalingGroup.addUserData('echo ECS_ENABLE_GPU_SUPPORT=true >> /etc/ecs/ecs.config');
      }
      if (spot) {
        // The agent drains the instance's tasks on the two-minute Spot interruption notice.
        autoScalingGroup.addUserData('echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config');
      }
      // Tasks in awsvpc mode must not reach the instance's credentials through IMDS (on Windows: -AwsvpcBlockIMDS).
      autoScalingGroup.addUserData('echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config');
    }

    if (props.joinDirectory) joinDirectory(scope, role, autoScalingGroup, props.joinDirectory);

    this.asgCapacities.push({
      capacityProvider,
      autoScalingGroup,
      instanceTypes,
      gpu,
      spot,
      cpuArchitecture: arm ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      windowsVersion: windows,
    });
    return capacityProvider;
  }

  /**
   * Adds an ECS Managed Instances capacity provider: AWS picks, launches, patches and drains EC2
   * instances that meet the requirements (vCPUs, memory, architecture, GPUs, Spot), with no AMI,
   * user data or Auto Scaling group to maintain. The instances run in the private subnets with the
   * cluster's instance security group and an instance profile limited to the ECS agent's calls on
   * this cluster. Pass the result to workloads with `Capacity.managedInstances(...)`. Besides the
   * EC2 price, ECS charges a management fee per instance-hour.
   */
  public addManagedInstances(id: string, props: ManagedInstancesOptions = {}): WorkloadManagedInstances {
    if (!this.ownCluster) {
      throw new ValidationError(this,
        `addManagedInstances('${id}') needs a cluster created by WorkloadCluster, but an existing cluster was given. ` +
        'Add an ecs.ManagedInstancesCapacityProvider to the existing cluster where it is defined, or let WorkloadCluster create the cluster (remove the cluster prop).');
    }
    if (this.node.tryFindChild(id)) {
      throw new ValidationError(this, `addManagedInstances id '${id}' is already used in this cluster. Give each capacity provider its own id.`);
    }
    const scope = new Construct(this, id);
    this.vpcEndpointsForEc2?.();
    const capacity = buildManagedInstances(scope, {
      vpc: this.vpc,
      cluster: this.ownCluster,
      defaultSecurityGroups: this.connections.securityGroups,
    }, props);
    // Managed Instances capacity providers belong to the cluster itself (no association resource):
    // services that use one start after it and are deleted before it.
    this.associations.add(capacity.capacityProvider);
    this.managedInstanceCapacities.push(capacity);
    return capacity;
  }

  /** The Managed Instances capacity providers added so far. */
  public get managedInstances(): WorkloadManagedInstances[] {
    return [...this.managedInstanceCapacities];
  }

  /** The first Managed Instances capacity provider with GPUs, if any. */
  public get gpuManagedInstances(): WorkloadManagedInstances | undefined {
    return this.managedInstanceCapacities.find(c => c.minGpus > 0);
  }

  /** The first EC2 capacity provider with GPU instances, if any. */
  public get gpuCapacity(): WorkloadAsgCapacity | undefined {
    return this.asgCapacities.find(c => c.gpu);
  }

  /**
   * Bucket that receives the S3 server access logs and load balancer access logs of this cluster's
   * workloads (created on first use, retained on stack deletion, logs expire after `accessLogRetention`).
   * Log delivery supports only S3-managed encryption, so this bucket does not use the cluster key.
   */
  public get accessLogsBucket(): s3.IBucket {
    if (!this._accessLogs) {
      this._accessLogs = new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        versioned: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        objectLockEnabled: true,
        removalPolicy: this.removalPolicy,
        lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      });
      enableEventBridge(this._accessLogs);
      acknowledgeReplication(this._accessLogs);
      const why = 'S3 server access log and load balancer log delivery support only S3-managed (SSE-S3) encryption.';
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
        Validations.of(this._accessLogs).acknowledge({ id: `${pack}-S3DefaultEncryptionKMS`, reason: why });
      }
      suppressGuardRule(this._accessLogs, 's3_bucket_default_encryption_kms_check', why);
      suppressGuardRule(this._accessLogs, 's3_bucket_logging_enabled_check',
        'This is the access log bucket; logging it into itself would loop.');
      for (const id of ['AwsSolutions-S1', 'NIST.800.53.R5-S3BucketLoggingEnabled', 'HIPAA.Security-S3BucketLoggingEnabled']) {
        Validations.of(this._accessLogs).acknowledge({ id, reason: 'This is the access log bucket; logging it into itself would loop.' });
      }
    }
    return this._accessLogs;
  }

  private createKey(): kms.Key {
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the logs, queues and topics of the workloads of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: this.removalPolicy,
    });
    const stack = Stack.of(this);
    // CloudWatch Logs encrypts log groups with the key only when the key policy lets it.
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
      },
    }));
    // Control Tower CT.KMS.PR.3: only AWS services may create grants on the key.
    key.addToResourcePolicy(new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }));
    // EC2 Auto Scaling publishes capacity events to the encrypted topic with its service-linked role.
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
          'kms:CallerAccount': stack.account,
        },
      },
    }));
    return key;
  }

  private capacityEventsTopic(): sns.Topic {
    this._capacityEvents ??= buildTopic(this, 'CapacityEvents', { encryptionKey: this.encryptionKey });
    return this._capacityEvents;
  }

  /**
   * Adds the VPC endpoints ECS Exec sessions need in a VPC without NAT gateways (`ssmmessages` for the
   * session channels, `kms` for the cluster key that encrypts them), once, when the first workload of
   * the cluster sets `enableExec`. Nothing with NAT gateways or a VPC of the user's. @internal
   */
  public _addExecEndpoints(): void {
    this.vpcEndpointsForExec?.();
  }

  /**
   * The VPC endpoints that replace the internet for a VPC without NAT gateways: image pulls (ECR and
   * its S3 layers), logs and the worker's queue now; the ECS agent's endpoints when the first EC2
   * capacity is added (Fargate tasks do not need them), and ECS Exec's when the first workload enables
   * it. Returns the functions that add the latter two.
   */
  private addVpcEndpoints(vpc: ec2.Vpc): { ec2: () => void; exec: () => void } {
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    // One security group for every interface endpoint: HTTPS from the private subnets, where the tasks and instances are.
    const securityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: `VPC endpoints of ${this.node.path}`,
      allowAllOutbound: false,
    });
    for (const subnet of vpc.selectSubnets(subnets).subnets) {
      securityGroup.addIngressRule(ec2.Peer.ipv4(subnet.ipv4CidrBlock), ec2.Port.tcp(443), 'HTTPS from the private subnets');
    }
    const add = (id: string, service: ec2.InterfaceVpcEndpointAwsService) =>
      vpc.addInterfaceEndpoint(id, { service, subnets, privateDnsEnabled: true, open: false, securityGroups: [securityGroup] });
    add('EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR);
    add('EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER);
    add('LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS);
    add('SqsEndpoint', ec2.InterfaceVpcEndpointAwsService.SQS);
    const once = (addAll: () => void) => {
      let added = false;
      return () => {
        if (added) return;
        added = true;
        addAll();
      };
    };
    return {
      ec2: once(() => {
        add('EcsEndpoint', ec2.InterfaceVpcEndpointAwsService.ECS);
        add('EcsAgentEndpoint', ec2.InterfaceVpcEndpointAwsService.ECS_AGENT);
        add('EcsTelemetryEndpoint', ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY);
      }),
      exec: once(() => {
        add('SsmMessagesEndpoint', ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES);
        add('KmsEndpoint', ec2.InterfaceVpcEndpointAwsService.KMS);
      }),
    };
  }

  private createVpc(props: WorkloadClusterProps): ec2.Vpc {
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.encryptionKey,
      removalPolicy: this.removalPolicy,
    });
    const stack = Stack.of(this);
    const flowLogRole = new WorkloadRole(this, 'FlowLogsRole', {
      // Confused-deputy protection: only flow logs of this account may assume the role.
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:ec2:${stack.region}:${stack.account}:vpc-flow-log/*` },
        },
      }),
    });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways ?? 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      flowLogs: {
        All: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup, flowLogRole), trafficType: ec2.FlowLogTrafficType.ALL },
      },
      restrictDefaultSecurityGroup: props.restrictDefaultSecurityGroup ?? false,
    });
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      Validations.of(vpc).acknowledge({
        id: `${pack}-VPCNoUnrestrictedRouteToIGW`,
        reason: 'The public subnets route to the internet gateway for the NAT gateway and internet-facing load balancers only; no task or instance is placed in them.',
      });
      if (!(props.restrictDefaultSecurityGroup ?? false)) {
        Validations.of(vpc).acknowledge({
          id: `${pack}-VPCDefaultSecurityGroupClosed`,
          reason: 'No resource of this library uses the default security group. Closing it takes a Lambda-backed custom resource: opt in with restrictDefaultSecurityGroup, or let the landing zone close it.',
        });
      }
    }
    return vpc;
  }
}
