import { Annotations, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Capacity } from '../core/capacity';
import { WorkloadAsgCapacity, WorkloadCluster } from '../core/cluster';
import { WorkloadContainerBaseOptions } from '../core/container-options';
import { graph } from '../core/dashboard';
import { checkRange, isUnresolved, show, ValidationError } from '../core/errors';
import { instanceCpuUnits, instanceMemoryMiB, largestInstance, smallestKnownInstance } from '../core/instance-types';
import { suppressGuardRule } from '../core/resources';
import { allowNfs, attachTaskVolumes, PlacementOptions, resolveCapacity, startAfterDependencies, taskSecurityGroup } from '../core/service';
import { skipCreationStackTraces } from '../core/synthesis';
import { buildWorkloadTask } from '../core/task-definition';
import { checkAbsolute, WorkloadVolume } from '../core/volumes';
import { warn, WarningId } from '../core/warnings';

/** Host ports ECS reserves on every container instance (SSH, Docker, the ECS agent): see PortMapping.hostPort in the ECS API reference. */
const RESERVED_HOST_PORTS: readonly number[] = [22, 2375, 2376, 51678, 51679, 51680];

/** A path of the EC2 container instance mounted into the agent's container. */
export interface HostMount {
  /** Absolute path on the container instance, e.g. `/var/log` (on Windows instances a drive path such as `C:\ProgramData\Amazon\ECS\log`). */
  readonly hostPath: string;

  /** Absolute path where the host path appears in the container, e.g. `/host/var/log` (on Windows a drive path such as `C:\host\ecs-log`). */
  readonly containerPath: string;

  /**
   * Whether the container may only read. Make a mount writable only for the agent's own state
   * (e.g. a position database under `/var/lib/<agent>`).
   * @default true
   */
  readonly readOnly?: boolean;

  /**
   * Volume name in the task definition (letters, digits, `-` and `_`).
   * @default - `host` followed by the host path, e.g. `host-var-log` for `/var/log`
   */
  readonly name?: string;
}

/**
 * Props of `DaemonAgent`.
 *
 * A daemon has no task-level CPU or memory: ECS reserves `cpu` and `memoryReservationMiB` and
 * enforces `memoryLimitMiB` on its containers, on every instance it runs on. It takes no placement
 * strategy (ECS places one task on every instance) and no capacity (it runs on the instances of
 * `capacityProvider`).
 */
export interface DaemonAgentProps extends WorkloadContainerBaseOptions {
  /** The cluster whose EC2 container instances run the agent (it needs `addAsgCapacity`). */
  readonly cluster: WorkloadCluster;

  /**
   * CPU units (1024 = 1 vCPU) that ECS reserves for the agent's container on every instance.
   * With the sidecars' `cpu`, it must fit the instance types of the capacity provider, which have
   * 1024 CPU units per vCPU (checked at synth): more than the largest type has is an error, since
   * ECS could place the agent on none of them; more than the smallest type has is a warning, since
   * the agent would be missing on those instances. At least 128.
   * @default 256
   */
  readonly cpu?: number;

  /**
   * Hard memory limit in MiB of the agent's container and its sidecars together.
   * The agent's container gets what the sidecars leave, and that must be at least
   * `memoryReservationMiB`. A container that exceeds its hard limit is stopped and restarted, so a
   * leaking agent cannot starve every instance at once.
   * @default - 512, or twice `memoryReservationMiB` plus the sidecars' limits when that is larger (and
   * always at least 64 more than the sidecars' limits)
   */
  readonly memoryLimitMiB?: number;

  /**
   * Port the agent listens on, published on the same port of every instance it runs on.
   * In `AWS_VPC` mode it is published on the agent's own network interface instead. Outside
   * `AWS_VPC` mode, the ports ECS reserves on the instances (22, 2375, 2376, 51678, 51679, 51680)
   * are refused at synth.
   * @default - no port mapping
   */
  readonly containerPort?: number;

  /**
   * Which EC2 container instances of the capacity provider run the agent.
   * For example `ecs.PlacementConstraint.memberOf('attribute:role == logging')`. The construct
   * already keeps the agent on the instance types of `capacityProvider`. A DAEMON service takes no
   * placement strategy, so this construct has no `placementStrategies` (passing one from JavaScript
   * is refused at synth).
   * @default - every instance of the capacity provider
   */
  readonly placementConstraints?: ecs.PlacementConstraint[];

  /**
   * Memory (MiB) ECS reserves for the agent's container on every instance (its soft limit). The
   * container may use more when the instance has it free, up to its hard limit (`memoryLimitMiB`
   * minus the sidecars).
   */
  readonly memoryReservationMiB: number;

  /**
   * The EC2 capacity provider whose instances run the agent (one task on each). A placement
   * constraint on the provider's instance types keeps the agent off other providers' instances, and
   * the image architecture follows the provider's. To cover providers of both architectures, create
   * one `DaemonAgent` per provider.
   * @default - the first capacity provider added with `cluster.addAsgCapacity` that has no GPUs (the
   * first one, with a warning, when all have GPUs)
   */
  readonly capacityProvider?: ecs.AsgCapacityProvider;

  /**
   * Paths of the container instance mounted into the agent's container, read-only unless stated.
   * @default - none
   */
  readonly hostMounts?: HostMount[];

  /**
   * Network mode of the agent's task. `BRIDGE` keeps the agent off the instance's network namespace
   * and away from the instance role (IMDSv2 with hop limit 1 does not answer from a bridged
   * container), while `containerPort` is still published on the same port of the instance. `HOST`
   * shares the instance's network stack (and lets the agent reach the instance role through IMDS).
   * `AWS_VPC` gives the agent its own ENI, which takes one of the instance's few ENI slots.
   * On Windows instances (a capacity provider added with `windows`) only `NAT` (Docker's Windows NAT
   * network, ECS's default there) and `AWS_VPC` are supported; in `NAT` mode a container reaches its
   * task role only after running the network bootstrap script of the ECS guide ("Windows IAM roles
   * for tasks"), and host port 80 belongs to the instance's credential proxy.
   * @default - ecs.NetworkMode.BRIDGE (ecs.NetworkMode.NAT on Windows instances)
   */
  readonly networkMode?: ecs.NetworkMode;

  /**
   * Run the agent's container privileged (every capability and device of the host). Some security
   * and eBPF agents need it. Adds a warning.
   * @default false
   */
  readonly privileged?: boolean;

  /**
   * Share the instance's process namespace (`pidMode: host`), so the agent sees every process on the
   * instance. Adds a warning.
   * @default false
   */
  readonly hostPidMode?: boolean;

  /**
   * What happens to the agent's log group when it leaves the stack (stack deletion, or a change that
   * replaces it). `RETAIN` keeps it and the logs in it; `DESTROY` deletes them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Props of other ECS service constructs that a DAEMON service cannot take (checked for JavaScript callers). */
const REPLICA_ONLY_PROPS: { readonly [prop: string]: string } = {
  desiredCount: 'DAEMON places exactly one task on every matching container instance, so there is no desired count',
  minCapacity: 'DAEMON runs one task per instance and cannot be scaled; scale the capacity provider\'s instances instead',
  maxCapacity: 'DAEMON runs one task per instance and cannot be scaled; scale the capacity provider\'s instances instead',
  capacity: 'DAEMON services run on EC2 only, with launch type EC2; pick the instances with capacityProvider ' +
    '(on ECS Managed Instances, use ManagedDaemonAgent with capacity: Capacity.managedInstances(...): an ECS Managed Daemon)',
  capacityProviderStrategies: 'ECS rejects a capacity provider strategy on a DAEMON service; pick the instances with capacityProvider',
};


/**
 * An agent that runs exactly one task on every EC2 container instance of a capacity provider: an ECS
 * service with the DAEMON scheduling strategy for log shippers, metrics collectors and security agents.
 *
 * The service uses launch type EC2 with no desired count, no capacity provider strategy and no placement
 * strategy (ECS rejects them with DAEMON), and deploys with minimum healthy 0 % / maximum 100 % (the
 * old task on an instance stops before the new one starts). The task runs in `BRIDGE` network mode
 * with container-level memory (`memoryReservationMiB`) and CPU, as a non-root user with a read-only
 * root filesystem, logs to an encrypted log group with retention, and its task role has no permission
 * until you grant one.
 *
 * @example
 * declare const cluster: WorkloadCluster;
 * const graviton = cluster.addAsgCapacity('Graviton', {
 *   instanceType: new ec2.InstanceType('m7g.large'),
 *   maxCapacity: 4,
 * });
 * const agent = new workloads.DaemonAgent(this, 'LogAgent', {
 *   cluster,
 *   capacityProvider: graviton,
 *   image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'),
 *   cpu: 128,
 *   memoryReservationMiB: 64,
 *   memoryLimitMiB: 256,
 *   hostMounts: [{ hostPath: '/var/log/ecs', containerPath: '/host/var/log/ecs' }],
 * });
 */
export class DaemonAgent extends Construct implements ec2.IConnectable, iam.IGrantable {
  /** The DAEMON-strategy ECS service. */
  public readonly service: ecs.Ec2Service;
  /** The agent's task definition. */
  public readonly taskDefinition: ecs.TaskDefinition;
  /** The agent's main container. */
  public readonly container: ecs.ContainerDefinition;
  /** The task role: the agent's own AWS permissions (none until granted). */
  public readonly taskRole: iam.IRole;
  /** The task role, as the principal that grants are made to. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** Log group of the agent's containers (encrypted with the cluster key). */
  public readonly logGroup: logs.ILogGroup;
  /** The capacity provider whose instances run the agent. */
  public readonly capacityProvider: ecs.AsgCapacityProvider;
  /**
   * Network access to the agent, through the security group that guards it.
   * In `AWS_VPC` mode that is the agent's own security group. In the other modes it is the security
   * group of the cluster's container instances (where `containerPort` is published), so rules added
   * here apply to every EC2 instance of the cluster.
   */
  public readonly connections: ec2.Connections;

  private readonly cluster: WorkloadCluster;

  /**
   * @param scope The construct that contains this agent, usually a `Stack`.
   * @param id Construct id of the agent, unique within `scope`.
   * @param props Settings of the agent (see `DaemonAgentProps`).
   */
  constructor(scope: Construct, id: string, props: DaemonAgentProps) {
    super(scope, id);
    skipCreationStackTraces(this);
    this.cluster = props.cluster;
    rejectReplicaProps(this, props);
    // Not a prop of the type (ECS rejects a placement strategy on a DAEMON service); JavaScript callers may pass it anyway.
    const placementStrategies = (props as PlacementOptions).placementStrategies;
    if (placementStrategies?.length) {
      throw new ValidationError(this,
        `placementStrategies (${placementStrategies.length} given) cannot be used: DAEMON places exactly one task on every ` +
        'container instance that meets the placement constraints, so there is nothing to spread or pack. Remove placementStrategies; ' +
        'use placementConstraints to choose the instances.');
    }

    const asg = this.targetCapacity(props);
    this.capacityProvider = asg.capacityProvider;
    const capacity = resolveCapacity(this, props.cluster, Capacity.ec2(asg.capacityProvider), Capacity.ec2(asg.capacityProvider));

    const windows = asg.windowsVersion !== undefined;
    const networkMode = props.networkMode ?? (windows ? ecs.NetworkMode.NAT : ecs.NetworkMode.BRIDGE);
    if (networkMode === ecs.NetworkMode.NAT && !windows) {
      throw new ValidationError(this,
        `networkMode ${show(networkMode)} is for Windows containers only; the instances of '${asg.capacityProvider.node.path}' run Linux. Use BRIDGE (default), HOST, AWS_VPC or NONE.`);
    }
    // On Windows the task role's credential proxy listens on port 80 of every instance.
    const reservedHostPorts = windows ? [80, ...RESERVED_HOST_PORTS] : RESERVED_HOST_PORTS;
    checkRange(this, 'containerPort', props.containerPort, 1, 65535, 'Give the TCP port the agent listens on.');
    if (props.containerPort !== undefined && networkMode === ecs.NetworkMode.NONE) {
      throw new ValidationError(this,
        `containerPort (${props.containerPort}) cannot be published with networkMode NONE, which gives the agent no network. Remove containerPort or use BRIDGE.`);
    }
    const port = props.containerPort;
    if (port !== undefined && !isUnresolved(port) && networkMode !== ecs.NetworkMode.AWS_VPC && reservedHostPorts.includes(port)) {
      throw new ValidationError(this,
        `containerPort (${port}) is published on the same port of every instance (networkMode ${networkMode}), but ECS reserves host ports ` +
        `${reservedHostPorts.join(', ')} (${windows ? 'the task credential proxy, ' : ''}SSH, Docker and the ECS agent), so the agent can never be placed. Use another port, or networkMode AWS_VPC.`);
    }

    const sidecarMemory = (props.sidecars ?? []).reduce((sum, s) => sum + (s.memoryLimitMiB ?? 128), 0);
    this.checkMemory(props, sidecarMemory);
    this.checkFitsInstances(props, asg, sidecarMemory);
    // A hard limit by default: a leaking agent is restarted instead of starving every instance at once.
    const memoryLimitMiB = props.memoryLimitMiB ?? (isUnresolved(props.memoryReservationMiB) ? 512
      : Math.max(512, 2 * props.memoryReservationMiB + sidecarMemory, 64 + sidecarMemory));
    const volumes = [...props.volumes ?? [], ...this.hostMountVolumes(props, windows)];

    const task = buildWorkloadTask(this, {
      ...props,
      containerPort: undefined, // published below on the same host port
      memoryLimitMiB,
      volumes,
      cluster: props.cluster,
      capacity,
      networkMode,
      taskLevelResources: false,
      memoryReservationMiB: props.memoryReservationMiB,
      privileged: props.privileged,
      pidMode: props.hostPidMode ? ecs.PidMode.HOST : undefined,
    });
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;
    this.logGroup = task.logGroup;
    this.taskRole = task.taskDefinition.taskRole;
    this.grantPrincipal = this.taskRole;

    // L1: the builder sets CPU only at task level; a daemon reserves it on its main container (index 0).
    const cpu = props.cpu ?? 256;
    (task.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride('ContainerDefinitions.0.Cpu', cpu);

    if (props.containerPort !== undefined) {
      // A daemon listens on a fixed port of its instance, so that the instance's other tasks can find it.
      this.container.addPortMappings({ containerPort: props.containerPort, hostPort: props.containerPort, protocol: ecs.Protocol.TCP });
    }

    const awsVpc = networkMode === ecs.NetworkMode.AWS_VPC;
    const securityGroup = awsVpc ? taskSecurityGroup(this, props.cluster) : undefined;
    this.connections = new ec2.Connections({
      securityGroups: securityGroup ? [securityGroup] : props.cluster.connections.securityGroups,
      defaultPort: props.containerPort !== undefined ? ec2.Port.tcp(props.containerPort) : undefined,
    });

    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster: props.cluster.cluster,
      taskDefinition: this.taskDefinition,
      daemon: true,
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      placementConstraints: [
        ecs.PlacementConstraint.memberOf(`attribute:ecs.instance-type in [${asg.instanceTypes.map(t => t.toString()).join(', ')}]`),
        // Linux and Windows instances may share instance types: a task on the other OS never starts.
        ...windows || props.cluster.asgCapacity.some(c => c.windowsVersion !== undefined)
          ? [ecs.PlacementConstraint.memberOf(`attribute:ecs.os-type == ${windows ? 'windows' : 'linux'}`)] : [],
        ...props.placementConstraints ?? [],
      ],
      securityGroups: securityGroup ? [securityGroup] : undefined,
      vpcSubnets: awsVpc ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : undefined,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      enableExecuteCommand: props.enableExec,
    });
    // aws-cdk-lib asks every service for a circuit breaker, daemons included (aws/aws-cdk#38102).
    Annotations.of(this.service).acknowledgeWarning('@aws-cdk/aws-ecs:shouldUseCircuitBreaker',
      'The deployment circuit breaker counts failed tasks against a desired count, which a DAEMON service does not have.');
    allowNfs(this.connections, task.volumes, i => `NFS from the tasks of ${this.node.path} (volume ${i})`);
    startAfterDependencies(this.service, props.cluster, task);
    attachTaskVolumes(this.service, this.connections, task, capacity);

    this.warn(props, networkMode, asg, sidecarMemory);
    this.acknowledgeOptIns(props, networkMode);
    this.node.addValidation({ validate: () => this.validateService() });
    props.cluster._addDashboardSection({
      workload: this,
      title: `Daemon agent ${this.node.path}`,
      widgets: () => [
        graph('Agents running and container instances', [
          this.metricRunningTaskCount({ label: 'Agents running (minimum)' }),
          new cloudwatch.Metric({
            namespace: 'ECS/ContainerInsights',
            metricName: 'ContainerInstanceCount',
            dimensionsMap: { ClusterName: props.cluster.cluster.clusterName },
            statistic: 'Maximum',
            period: Duration.minutes(1),
            label: 'Container instances in the cluster',
          }),
        ]),
        graph('Utilization of what the agents reserve', [
          this.metricCpuUtilization({ period: Duration.minutes(1), label: 'CPU %' }),
          this.metricMemoryUtilization({ period: Duration.minutes(1), label: 'Memory %' }),
        ]),
      ],
      operatorAlarms: () => [],
      scalingAlarms: () => [],
    });
  }

  /** Average CPU use of the agent's tasks, as a percentage of the CPU they reserve. */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricCpuUtilization(props);
  }

  /** Average memory use of the agent's tasks, as a percentage of the memory they reserve. */
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricMemoryUtilization(props);
  }

  /**
   * Number of the agent's running tasks (Container Insights, on by default in `WorkloadCluster`):
   * compare it with the number of instances to find instances without the agent.
   */
  public metricRunningTaskCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: this.cluster.cluster.clusterName, ServiceName: this.service.serviceName },
      statistic: cloudwatch.Stats.MINIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  private targetCapacity(props: DaemonAgentProps): WorkloadAsgCapacity {
    const all = props.cluster.asgCapacity;
    if (all.length === 0) {
      throw new ValidationError(this,
        `cluster '${props.cluster.node.path}' has no EC2 capacity, and DAEMON services run on EC2 container instances only (not on Fargate). ` +
        'Add instances with cluster.addAsgCapacity(id, { instanceType, maxCapacity }) before creating the DaemonAgent ' +
        '(an existing cluster passed to WorkloadCluster cannot take addAsgCapacity).');
    }
    if (props.capacityProvider === undefined) {
      // A daemon's reservation on a GPU instance takes room the GPU tasks were sized for.
      const chosen = all.find(c => !c.gpu) ?? all[0];
      if (chosen.gpu) {
        warn(this, WarningId.DAEMON_AGENT_GPU_CAPACITY,
          `capacityProvider is not set and cluster '${props.cluster.node.path}' has only GPU capacity, so the agent runs on ` +
          `'${chosen.capacityProvider.node.path}' and its reservation (memoryReservationMiB, cpu) is taken from every GPU instance: a GPU task ` +
          'sized to the whole instance will no longer fit and managed scaling may add instances up to maxCapacity for it. Pass capacityProvider ' +
          'to confirm, and size the GPU tasks to leave room for the agent.');
      }
      return chosen;
    }
    const found = all.find(c => c.capacityProvider === props.capacityProvider);
    if (!found) {
      throw new ValidationError(this,
        `capacityProvider '${props.capacityProvider.node.path}' was not added to cluster '${props.cluster.node.path}' ` +
        `(its EC2 capacity providers: ${all.map(c => `'${c.capacityProvider.node.path}'`).join(', ')}). ` +
        'Pass one of those, or create the provider with cluster.addAsgCapacity(...) on this cluster.');
    }
    return found;
  }

  /**
   * A daemon must fit on every instance of its capacity provider: ECS registers 1024 CPU units per
   * vCPU and somewhat less memory than installed, and places the agent only where all of it fits.
   * More than the largest instance type has: never placed (an error); more than the smallest has:
   * missing on those instances (the warnings daemon-agent-cpu and daemon-agent-memory).
   */
  private checkFitsInstances(props: DaemonAgentProps, asg: WorkloadAsgCapacity, sidecarMemory: number): void {
    const sidecars = props.sidecars ?? [];
    const cpu = props.cpu ?? 256;
    if (!isUnresolved(cpu) && !sidecars.some(s => isUnresolved(s.cpu))) {
      const sidecarCpu = sidecars.reduce((sum, s) => sum + (s.cpu ?? 0), 0);
      const reserved = cpu + sidecarCpu;
      const parts = sidecarCpu > 0 ? `cpu (${cpu}) plus ${sidecarCpu} CPU units of sidecars reserve` : `cpu (${cpu}) reserves`;
      const largest = largestInstance(asg.instanceTypes, instanceCpuUnits);
      if (largest && reserved > largest.value) {
        throw new ValidationError(this,
          `${parts} ${reserved} CPU units on every instance, more than the ${largest.value} (${largest.value / 1024} vCPUs x 1024) of ` +
          `${largest.type}, the largest instance type of capacity provider '${asg.capacityProvider.node.path}', so ECS can place the agent ` +
          `on none of its instances. Lower cpu to at most ${largest.value - sidecarCpu}, or use larger instance types.`);
      }
      const smallest = smallestKnownInstance(asg.instanceTypes, instanceCpuUnits);
      if (smallest && reserved > smallest.value) {
        warn(this, WarningId.DAEMON_AGENT_CPU,
          `${parts} ${reserved} CPU units on every instance, more than the ${smallest.value} (${smallest.value / 1024} vCPUs x 1024) of ` +
          `${smallest.type}, the smallest instance type of capacity provider '${asg.capacityProvider.node.path}'. ECS cannot place the agent ` +
          'on those instances. Lower cpu or use larger instance types.');
      }
    }
    if (isUnresolved(props.memoryReservationMiB)) return;
    const reservedMemory = props.memoryReservationMiB + sidecarMemory;
    const largestMemory = largestInstance(asg.instanceTypes, instanceMemoryMiB);
    if (largestMemory && reservedMemory > largestMemory.value) {
      const parts = sidecarMemory > 0
        ? `memoryReservationMiB (${props.memoryReservationMiB}) plus ${sidecarMemory} MiB of sidecars reserve`
        : `memoryReservationMiB (${props.memoryReservationMiB}) reserves`;
      throw new ValidationError(this,
        `${parts} ${reservedMemory} MiB on every instance, more than the ${largestMemory.value} MiB installed in ${largestMemory.type}, the largest ` +
        `instance type of capacity provider '${asg.capacityProvider.node.path}', so ECS can place the agent on none of its instances. ` +
        'Lower memoryReservationMiB (or the sidecars\' memoryLimitMiB), or use larger instance types.');
    }
  }

  private checkMemory(props: DaemonAgentProps, sidecarMemory: number): void {
    checkRange(this, 'memoryReservationMiB', props.memoryReservationMiB, 6, 3145728,
      'Give the memory (MiB) ECS reserves for the agent on every instance; Docker needs at least 6 MiB.');
    if (props.memoryLimitMiB === undefined || isUnresolved(props.memoryLimitMiB) || isUnresolved(props.memoryReservationMiB)) return;
    const mainLimit = props.memoryLimitMiB - sidecarMemory;
    if (props.memoryReservationMiB > mainLimit) {
      const of = sidecarMemory > 0 ? ` (memoryLimitMiB ${props.memoryLimitMiB} minus ${sidecarMemory} MiB for the sidecars)` : '';
      throw new ValidationError(this,
        `memoryReservationMiB (${props.memoryReservationMiB}) exceeds the agent container's hard limit of ${mainLimit} MiB${of}; ` +
        'the soft limit must not exceed the hard limit. Lower memoryReservationMiB or raise memoryLimitMiB.');
    }
  }

  private hostMountVolumes(props: DaemonAgentProps, windows: boolean): WorkloadVolume[] {
    const names = new Set((props.volumes ?? []).map(v => v.name));
    const paths = new Set((props.volumes ?? []).map(v => v.containerPath));
    // Windows instances and containers take drive paths (C:\ProgramData\...).
    const checkPath = windows ? checkWindowsAbsolute : checkAbsolute;
    return (props.hostMounts ?? []).map((m, i) => {
      checkPath(this, `hostMounts[${i}].hostPath`, m.hostPath);
      checkPath(this, `hostMounts[${i}].containerPath`, m.containerPath);
      const name = m.name ?? defaultVolumeName(m.hostPath);
      if (!isUnresolved(name) && !/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
        throw new ValidationError(this,
          `hostMounts[${i}].name ${show(name)} is not a valid volume name. Use up to 255 letters, digits, '-' and '_'.`);
      }
      if (names.has(name)) {
        throw new ValidationError(this,
          `hostMounts[${i}].name ${show(name)} is already used by another volume or host mount. Give this mount its own name.`);
      }
      if (paths.has(m.containerPath)) {
        throw new ValidationError(this,
          `hostMounts[${i}].containerPath ${show(m.containerPath)} is already the mount point of another volume or host mount. Mount it elsewhere.`);
      }
      names.add(name);
      paths.add(m.containerPath);
      return WorkloadVolume.bindMount({ name, hostPath: m.hostPath, containerPath: m.containerPath, readOnly: m.readOnly ?? true });
    });
  }

  private warn(props: DaemonAgentProps, networkMode: ecs.NetworkMode, asg: WorkloadAsgCapacity, sidecarMemory: number): void {
    if (props.privileged) {
      warn(this, WarningId.DAEMON_AGENT_PRIVILEGED,
        'privileged is true: the agent\'s container gets every capability and device of its instance, so whoever controls its image ' +
        'controls every instance it runs on. Prefer the narrowest mounts and capabilities the agent documents.');
    }
    if (props.hostPidMode) {
      warn(this, WarningId.DAEMON_AGENT_PRIVILEGED,
        'hostPidMode is true: the agent sees (and, as root, can signal or trace) every process of its instance, including other tasks.');
    }
    for (const [i, m] of (props.hostMounts ?? []).entries()) {
      if (/^\/(var\/)?run\/docker\.sock$/.test(m.hostPath)) {
        warn(this, WarningId.DAEMON_AGENT_DOCKER_SOCKET,
          `hostMounts[${i}] mounts the Docker socket ${show(m.hostPath)}: whoever reaches it can start privileged containers, i.e. is root on the instance.`);
      }
    }
    if (networkMode === ecs.NetworkMode.HOST) {
      warn(this, WarningId.DAEMON_AGENT_HOST_NETWORK,
        'networkMode is HOST: the agent shares its instance\'s network stack and can reach the instance metadata service, hence the ' +
        'credentials of the instance role (ECS agent permissions). Use BRIDGE unless the agent must see host network traffic.');
    }

    if (isUnresolved(props.memoryReservationMiB)) return;
    const reserved = props.memoryReservationMiB + sidecarMemory;
    const smallest = smallestKnownInstance(asg.instanceTypes, instanceMemoryMiB);
    if (smallest && reserved > smallest.value) {
      const parts = sidecarMemory > 0
        ? `memoryReservationMiB (${props.memoryReservationMiB}) plus ${sidecarMemory} MiB of sidecars reserve`
        : `memoryReservationMiB (${props.memoryReservationMiB}) reserves`;
      warn(this, WarningId.DAEMON_AGENT_MEMORY,
        `${parts} ${reserved} MiB on every instance, more than the ${smallest.value} MiB of ${smallest.type}, the smallest instance type of ` +
        `capacity provider '${asg.capacityProvider.node.path}' (ECS registers somewhat less than that). ECS cannot place the agent on those ` +
        'instances. Lower memoryReservationMiB or use larger instance types.');
    }

    const shared = props.cluster.asgCapacity
      .filter(c => c !== asg)
      .flatMap(c => c.instanceTypes.map(t => ({ type: t.toString(), provider: c.capacityProvider.node.path })))
      .filter(o => asg.instanceTypes.some(t => t.toString() === o.type));
    if (shared.length > 0) {
      warn(this, WarningId.DAEMON_AGENT_SHARED_INSTANCE_TYPES,
        `The agent is kept on capacity provider '${asg.capacityProvider.node.path}' by instance type, but ` +
        `${shared.map(s => `${s.type} (of '${s.provider}')`).join(', ')} also belong to other providers, so the agent runs there too.`);
    }
  }

  /** Control Tower findings on choices this construct makes for daemons, or that the user opted into. */
  private acknowledgeOptIns(props: DaemonAgentProps, networkMode: ecs.NetworkMode): void {
    if (networkMode !== ecs.NetworkMode.AWS_VPC) {
      const why = networkMode === ecs.NetworkMode.BRIDGE
        ? 'Bridge mode (the default) keeps the agent in its own network namespace, unable to reach the instance role through IMDSv2 (hop limit 1), and publishes only containerPort.'
        : networkMode === ecs.NetworkMode.NAT && props.networkMode === undefined
          ? 'On Windows instances the default is Docker\'s NAT network (ECS\'s default for Windows), which keeps the agent in its own network compartment behind the instance (IMDSv2 hop limit 1) and publishes only containerPort.'
          : `networkMode ${networkMode} was chosen explicitly with the DaemonAgent networkMode prop.`;
      suppressGuardRule(this.taskDefinition, 'ecs_awsvpc_networking_enabled_check',
        'A daemon runs on every instance: in awsvpc mode it would hold one of each instance\'s few ENIs (a c5.large has 3, the primary included, unless ENI trunking is on). ' + why);
    }
    const users = [props.user ?? '1000', ...(props.sidecars ?? []).map(sc => sc.user ?? '1000')];
    const allNonRoot = users.every(u => !isUnresolved(u) && !u.split(':').some(part => ['root', '0'].includes(part.toLowerCase())));
    if (networkMode === ecs.NetworkMode.HOST && allNonRoot) {
      // The rule passes host-mode containers only when they are privileged AND non-root. Root users stay the user's finding.
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
        Validations.of(this.taskDefinition).acknowledge({
          id: `${pack}-ECSTaskDefinitionUserForHostMode`,
          reason: 'Host network mode was chosen explicitly (DaemonAgent networkMode HOST, with the warning cdk-ecs-workloads:daemon-agent-host-network) and ' +
            `every container runs as a non-root user (${users.join(', ')}). The rule also wants each container privileged, which grants more access, ` +
            'not less; containers stay unprivileged unless the user sets privileged.',
        });
      }
    }
    if (props.privileged) {
      suppressGuardRule(this.taskDefinition, 'ecs_containers_nonprivileged_check',
        'The user opted in with the DaemonAgent prop privileged: true for a host agent that needs it; the construct adds the warning cdk-ecs-workloads:daemon-agent-privileged.');
    }
    if (props.hostPidMode) {
      suppressGuardRule(this.taskDefinition, 'ecs_task_definition_pid_mode_check',
        'The user opted in with the DaemonAgent prop hostPidMode: true for a host agent that must see the instance\'s processes; the construct adds the warning cdk-ecs-workloads:daemon-agent-privileged.');
    }
  }

  private validateService(): string[] {
    const errors: string[] = [];
    if (this.service.node.tryFindChild('TaskCount')) {
      errors.push('service.autoScaleTaskCount() was called, but a DAEMON service runs one task per container instance and has no ' +
        'task count to scale. Remove it; scale the capacity provider\'s instances instead (managed scaling).');
    }
    const desired = (this.service.node.defaultChild as ecs.CfnService).desiredCount;
    if (desired !== undefined) {
      errors.push(`the service's desiredCount is set (${show(desired)}), but a DAEMON service places one task per container instance. Remove it.`);
    }
    return errors;
  }
}

function rejectReplicaProps(scope: Construct, props: DaemonAgentProps): void {
  const given = props as unknown as { [key: string]: unknown };
  for (const [prop, why] of Object.entries(REPLICA_ONLY_PROPS)) {
    if (given[prop] !== undefined) {
      throw new ValidationError(scope, `${prop} (${describeValue(given[prop])}) is not a DaemonAgent prop: ${why}. Remove ${prop}.`);
    }
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return `a ${value.constructor?.name ?? 'object'}`;
  return Array.isArray(value) ? `${value.length} given` : show(value);
}

function checkWindowsAbsolute(scope: Construct, prop: string, path: string): void {
  if (isUnresolved(path)) return;
  if (!/^[A-Za-z]:\\/.test(path) || path.includes('..')) {
    throw new ValidationError(scope,
      `${prop} must be an absolute Windows path without '..' (the agent runs on Windows instances), got ${show(path)}. Start it with a drive, e.g. 'C:\\ProgramData\\Amazon\\ECS\\log'.`);
  }
}

function defaultVolumeName(hostPath: string): string {
  if (isUnresolved(hostPath)) return 'host';
  const slug = hostPath.split(/[^A-Za-z0-9_]+/).filter(Boolean).join('-');
  return slug ? `host-${slug}` : 'host-root';
}
