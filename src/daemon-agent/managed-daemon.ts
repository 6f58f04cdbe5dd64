import { Duration, Names, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HostMount } from './daemon-agent';
import { Capacity } from '../core/capacity';
import { WorkloadCluster } from '../core/cluster';
import { SidecarContainerOptions, WorkloadContainerBaseOptions } from '../core/container-options';
import { checkLogRetention, checkName, checkOrder, checkRange, isUnresolved, show, ValidationError } from '../core/errors';
import type { WorkloadManagedInstances } from '../core/managed-instances';
import { checkRemovalPolicy } from '../core/resources';
import { acknowledgeEcrAuthWildcard, taskRole } from '../core/roles';
import { skipCreationStackTraces } from '../core/synthesis';
import { checkAbsolute, WorkloadVolumeKind } from '../core/volumes';
import { warn, WarningId } from '../core/warnings';

/** Each volume kind as the messages name it. */
const VOLUME_KIND_NAMES: Record<WorkloadVolumeKind, string> = {
  [WorkloadVolumeKind.EFS]: 'an EFS',
  [WorkloadVolumeKind.BIND_MOUNT]: 'a bind mount',
  [WorkloadVolumeKind.DOCKER]: 'a Docker',
  [WorkloadVolumeKind.EBS]: 'an EBS',
  [WorkloadVolumeKind.FSX_WINDOWS]: 'an FSx for Windows File Server',
  [WorkloadVolumeKind.S3_FILES]: 'an S3 Files',
};

/** Props of `ManagedDaemonAgent`. */
export interface ManagedDaemonAgentProps extends WorkloadContainerBaseOptions {
  /** The cluster whose Managed Instances run the agent. */
  readonly cluster: WorkloadCluster;

  /**
   * The Managed Instances that run the agent, one task on each:
   * `Capacity.managedInstances(cluster.addManagedInstances(...))`.
   */
  readonly capacity: Capacity;

  /**
   * CPU units (1024 = 1 vCPU) the agent's container reserves on every instance; with the sidecars'
   * `cpu`, it must fit `maxVCpus` of the Managed Instances (checked at synth). At least 128.
   * @default 256
   */
  readonly cpu?: number;

  /** Memory (MiB) the agent's container reserves on every instance (its soft limit). */
  readonly memoryReservationMiB: number;

  /**
   * Hard memory limit in MiB of the agent's container and its sidecars together (the task memory).
   * A container that exceeds its hard limit is stopped and restarted.
   * @default - 512, or twice `memoryReservationMiB` plus the sidecars' limits when that is larger
   */
  readonly memoryLimitMiB?: number;

  /**
   * Paths of the instance mounted into the agent's container, read-only unless stated.
   * @default - none
   */
  readonly hostMounts?: HostMount[];

  /**
   * Run the agent's container privileged (every capability and device of the instance). Adds a warning.
   * @default false
   */
  readonly privileged?: boolean;

  /**
   * Percentage of the instances ECS drains at a time when it rolls out a new daemon revision
   * (0–100): ECS replaces the daemon task of an instance by draining the instance.
   * @default - ECS's default (25 %)
   */
  readonly drainPercent?: number;

  /**
   * Time ECS waits after each successful deployment step before the next one, in whole minutes.
   * @default - no wait
   */
  readonly bakeTime?: Duration;

  /**
   * What happens to the agent's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Props of DaemonAgent, or of other services, that a managed daemon cannot take, and why (checked for JavaScript callers). */
const UNSUPPORTED: { readonly [prop: string]: string } = {
  containerPort: 'daemon task definitions have no port mappings; the agent listens on the instance\'s network only as its image configures it',
  networkMode: 'daemon task definitions have no network mode setting',
  hostPidMode: 'daemon task definitions have no PID mode setting',
  placementConstraints: 'a daemon runs on every instance of its capacity providers; choose the instances with the capacity (addManagedInstances requirements)',
  placementStrategies: 'a daemon runs exactly one task on every instance of its capacity providers',
  capacityProvider: 'managed daemons run on Managed Instances only; pass capacity: Capacity.managedInstances(...)',
  desiredCount: 'a daemon runs one task on every instance, so there is no desired count',
  minCapacity: 'a daemon runs one task per instance and cannot be scaled',
  maxCapacity: 'a daemon runs one task per instance and cannot be scaled',
  enableExec: 'this construct does not grant ECS Exec to managed daemons yet; use a DaemonAgent on Auto Scaling group capacity for ECS Exec',
};

/**
 * An agent that runs exactly one task on every instance of an ECS Managed Instances capacity
 * provider, as an ECS Managed Daemon: ECS starts it before the instance's other tasks, and drains
 * and replaces an instance whose daemon task stops.
 *
 * The daemon task definition reserves `cpu` and `memoryReservationMiB` on every instance, runs as a
 * non-root user with a read-only root filesystem, logs to a log group encrypted with the cluster key,
 * and its task role has no permission until you grant one.
 *
 * @example
 * declare const cluster: WorkloadCluster;
 * const managed = cluster.addManagedInstances('Managed', { maxVCpus: 8 });
 * new workloads.ManagedDaemonAgent(this, 'LogAgent', {
 *   cluster,
 *   capacity: workloads.Capacity.managedInstances(managed),
 *   image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'),
 *   cpu: 128,
 *   memoryReservationMiB: 64,
 *   hostMounts: [{ hostPath: '/var/log', containerPath: '/host/var/log' }],
 * });
 */
export class ManagedDaemonAgent extends Construct implements iam.IGrantable {
  /** The daemon (`AWS::ECS::Daemon`). */
  public readonly daemon: ecs.CfnDaemon;
  /** The daemon task definition (`AWS::ECS::DaemonTaskDefinition`). */
  public readonly daemonTaskDefinition: ecs.CfnDaemonTaskDefinition;
  /** The task role: the agent's own AWS permissions (none until granted). */
  public readonly taskRole: iam.IRole;
  /** The execution role: image pull, logs and secrets. */
  public readonly executionRole: iam.IRole;
  /** The task role, as the principal that grants are made to. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** Log group of the agent's containers (encrypted with the cluster key). */
  public readonly logGroup: logs.ILogGroup;
  /** The Managed Instances that run the agent. */
  public readonly managedInstances: WorkloadManagedInstances;

  /**
   * @param scope The construct that contains this agent, usually a `Stack`.
   * @param id Construct id of the agent, unique within `scope`.
   * @param props Settings of the agent (see `ManagedDaemonAgentProps`).
   */
  constructor(scope: Construct, id: string, props: ManagedDaemonAgentProps) {
    super(scope, id);
    skipCreationStackTraces(this);
    const given = props as unknown as { [key: string]: unknown };
    for (const [prop, why] of Object.entries(UNSUPPORTED)) {
      if (given[prop] !== undefined && given[prop] !== false) {
        throw new ValidationError(this, `${prop} (${show(given[prop])}) is not supported by a managed daemon: ${why}. Remove ${prop}.`);
      }
    }
    const managed = props.capacity.managedInstancesCapacity;
    if (!managed) {
      throw new ValidationError(this,
        `capacity is ${props.capacity.kind}, but ECS Managed Daemons run on ECS Managed Instances only. ` +
        'Pass capacity: Capacity.managedInstances(cluster.addManagedInstances(...)), or use DaemonAgent on Auto Scaling group capacity.');
    }
    if (!props.cluster.managedInstances.some(m => m.capacityProvider === managed.capacityProvider)) {
      throw new ValidationError(this,
        `capacity uses Managed Instances capacity provider '${managed.capacityProvider.node.path}', which was not added to cluster '${props.cluster.node.path}'. ` +
        'Create it with cluster.addManagedInstances(...) on the same cluster.');
    }
    this.managedInstances = managed;
    if (props.cpuArchitecture && props.cpuArchitecture._cpuArchitecture !== managed.cpuArchitecture._cpuArchitecture) {
      throw new ValidationError(this,
        `cpuArchitecture is ${props.cpuArchitecture._cpuArchitecture} but Managed Instances capacity provider '${managed.capacityProvider.node.path}' launches ` +
        `${managed.cpuArchitecture._cpuArchitecture} instances. Remove cpuArchitecture (it follows the capacity), or use Managed Instances of that architecture.`);
    }
    if ((props.gpuCount ?? 0) > 0) {
      throw new ValidationError(this,
        `gpuCount (${props.gpuCount}) cannot be reserved by a managed daemon: daemon container definitions have no GPU resource requirement. Remove gpuCount.`);
    }
    const sidecars = props.sidecars ?? [];
    const cpu = props.cpu ?? 256;
    const sidecarMemory = sidecars.reduce((sum, s) => sum + (s.memoryLimitMiB ?? 128), 0);
    const sidecarCpu = sidecars.reduce((sum, s) => sum + (s.cpu ?? 0), 0);
    this.validate(props, managed, cpu, sidecarCpu, sidecarMemory);
    const memoryLimitMiB = props.memoryLimitMiB ?? (isUnresolved(props.memoryReservationMiB) ? 512
      : Math.max(512, 2 * props.memoryReservationMiB + sidecarMemory, 64 + sidecarMemory));

    const taskRoleResource = taskRole(this, 'TaskRole', `Application permissions of ${this.node.path}`);
    const executionRole = taskRole(this, 'ExecutionRole', `Image pull, logs and secrets of ${this.node.path}`);
    acknowledgeEcrAuthWildcard(executionRole);
    this.taskRole = taskRoleResource;
    this.executionRole = executionRole;
    this.grantPrincipal = taskRoleResource;

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.cluster.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.logGroup = logGroup;
    // Image and log bindings grant pull and log rights to the execution role of the "task definition" they are given.
    const binding = { taskDefinition: { obtainExecutionRole: () => executionRole } } as unknown as ecs.ContainerDefinition;
    const logging = (prefix: string) => {
      const config = ecs.LogDrivers.awsLogs({
        logGroup, streamPrefix: prefix, mode: ecs.AwsLogDriverMode.NON_BLOCKING, maxBufferSize: Size.mebibytes(25),
      }).bind(this, binding);
      return { logDriver: config.logDriver, options: config.options };
    };
    const secrets = (given_: { [key: string]: ecs.Secret } | undefined) => Object.entries(given_ ?? {}).map(([name, secret]) => {
      secret.grantRead(executionRole);
      return { name, valueFrom: secret.arn };
    });
    const environment = (vars: { [key: string]: string } | undefined) =>
      Object.entries(vars ?? {}).map(([name, value]) => ({ name, value }));

    const volumes = this.volumes(props);
    const main: ecs.CfnDaemonTaskDefinition.DaemonContainerDefinitionProperty = {
      name: 'main',
      image: props.image.bind(this, binding).imageName,
      essential: true,
      cpu,
      memory: memoryLimitMiB - sidecarMemory,
      memoryReservation: props.memoryReservationMiB,
      command: props.command,
      entryPoint: props.entryPoint,
      environment: environment(props.environment),
      secrets: secrets(props.secrets),
      healthCheck: renderHealthCheck(props.healthCheck),
      stopTimeout: (props.stopTimeout ?? Duration.seconds(30)).toSeconds(),
      readonlyRootFilesystem: props.readonlyRootFilesystem ?? true,
      user: props.user ?? '1000',
      privileged: props.privileged,
      mountPoints: volumes.map(v => ({ sourceVolume: v.name, containerPath: v.containerPath, readOnly: v.readOnly })),
      logConfiguration: logging('main'),
      dependsOn: sidecars.map(s => ({ containerName: s.name, condition: s.mainContainerWaitsFor ?? ecs.ContainerDependencyCondition.START })),
    };
    const sidecarDefinitions = sidecars.map((s: SidecarContainerOptions): ecs.CfnDaemonTaskDefinition.DaemonContainerDefinitionProperty => ({
      name: s.name,
      image: s.image.bind(this, binding).imageName,
      essential: s.essential ?? false,
      cpu: s.cpu,
      memory: s.memoryLimitMiB ?? 128,
      command: s.command,
      environment: environment(s.environment),
      secrets: secrets(s.secrets),
      healthCheck: renderHealthCheck(s.healthCheck),
      readonlyRootFilesystem: s.readonlyRootFilesystem ?? true,
      user: s.user ?? '1000',
      logConfiguration: logging(s.name),
    }));

    // L1: aws-cdk-lib has no L2 for ECS Managed Daemons.
    this.daemonTaskDefinition = new ecs.CfnDaemonTaskDefinition(this, 'TaskDefinition', {
      family: Names.uniqueId(this),
      taskRoleArn: taskRoleResource.roleArn,
      executionRoleArn: executionRole.roleArn,
      cpu: String(cpu + sidecarCpu),
      memory: String(memoryLimitMiB),
      containerDefinitions: [main, ...sidecarDefinitions],
      volumes: volumes.map(v => ({ name: v.name, host: v.hostPath !== undefined ? { sourcePath: v.hostPath } : undefined })),
    });
    // L1: aws-cdk-lib has no L2 for ECS Managed Daemons.
    this.daemon = new ecs.CfnDaemon(this, 'Resource', {
      clusterArn: props.cluster.cluster.clusterArn,
      capacityProviderArns: [Stack.of(this).formatArn({
        service: 'ecs', resource: 'capacity-provider', resourceName: managed.capacityProvider.capacityProviderName,
      })],
      daemonTaskDefinitionArn: this.daemonTaskDefinition.attrDaemonTaskDefinitionArn,
      enableEcsManagedTags: true,
      deploymentConfiguration: props.drainPercent !== undefined || props.bakeTime !== undefined ? {
        drainPercent: props.drainPercent,
        bakeTimeInMinutes: props.bakeTime?.toMinutes(),
      } : undefined,
    });
    // The first daemon tasks pull the image and write logs with the execution role's policy; the
    // daemon is deleted before the capacity provider it runs on.
    this.daemon.node.addDependency(executionRole, taskRoleResource, props.cluster._capacityProvidersAssociated);

    if (props.privileged) {
      warn(this, WarningId.DAEMON_AGENT_PRIVILEGED,
        'privileged is true: the agent\'s container gets every capability and device of its instance, so whoever controls its image ' +
        'controls every instance it runs on. Prefer the narrowest mounts and capabilities the agent documents.');
    }
    for (const [i, m] of (props.hostMounts ?? []).entries()) {
      if (/^\/(var\/)?run\/docker\.sock$/.test(m.hostPath)) {
        warn(this, WarningId.DAEMON_AGENT_DOCKER_SOCKET,
          `hostMounts[${i}] mounts the Docker socket ${show(m.hostPath)}: whoever reaches it can start privileged containers, i.e. is root on the instance.`);
      }
    }
  }

  private validate(props: ManagedDaemonAgentProps, managed: WorkloadManagedInstances, cpu: number, sidecarCpu: number, sidecarMemory: number): void {
    const provider = `Managed Instances capacity provider '${managed.capacityProvider.node.path}'`;
    checkRange(this, 'cpu', cpu, 128, 196608, 'Give the CPU units (1024 = 1 vCPU) the agent reserves on every instance.');
    checkRange(this, 'memoryReservationMiB', props.memoryReservationMiB, 6, 3145728,
      'Give the memory (MiB) ECS reserves for the agent on every instance; Docker needs at least 6 MiB.');
    checkRange(this, 'drainPercent', props.drainPercent, 0, 100, 'ECS drains 0 to 100 % of the instances at a time.', { integer: false });
    const bake = props.bakeTime?.toMinutes({ integral: false });
    if (bake !== undefined && !Number.isInteger(bake)) {
      throw new ValidationError(this, `bakeTime (${props.bakeTime!.toHumanString()}) must be a whole number of minutes; ECS counts the bake time in minutes.`);
    }
    checkRange(this, 'stopTimeout', props.stopTimeout?.toSeconds({ integral: false }), 2, 120,
      'ECS waits at most 120 seconds between SIGTERM and SIGKILL.', { unit: 'seconds' });
    checkRemovalPolicy(this, 'removalPolicy', props.removalPolicy);
    checkLogRetention(this, 'logRetention', props.logRetention);
    const sidecars = props.sidecars ?? [];
    checkHealthCheck(this, 'healthCheck', props.healthCheck);
    for (const [i, s] of sidecars.entries()) checkHealthCheck(this, `sidecars[${i}].healthCheck`, s.healthCheck);
    if (sidecars.length > 9) {
      throw new ValidationError(this,
        `sidecars has ${sidecars.length} containers: with the main container that makes ${sidecars.length + 1}, but a task definition holds at most 10 containers. Run at most 9 sidecars.`);
    }
    const names = new Set<string>(['main']);
    for (const [i, s] of sidecars.entries()) {
      checkName(this, `sidecars[${i}].name`, s.name, 255, /[A-Za-z0-9_-]/, 'letters, digits, \'_\' and \'-\' (ECS container names)');
      if (names.has(s.name)) {
        throw new ValidationError(this, `sidecars[${i}].name ${show(s.name)} is used twice (or is the reserved 'main'). Give every container its own name.`);
      }
      names.add(s.name);
      if (s.mainContainerWaitsFor === ecs.ContainerDependencyCondition.HEALTHY && !s.healthCheck) {
        throw new ValidationError(this,
          `sidecars '${s.name}'.mainContainerWaitsFor is HEALTHY, but the sidecar has no healthCheck, so it never becomes healthy. Add a healthCheck or wait for START.`);
      }
    }
    if (props.memoryLimitMiB !== undefined && !isUnresolved(props.memoryLimitMiB) && !isUnresolved(props.memoryReservationMiB)) {
      const mainLimit = props.memoryLimitMiB - sidecarMemory;
      if (props.memoryReservationMiB > mainLimit) {
        throw new ValidationError(this,
          `memoryReservationMiB (${props.memoryReservationMiB}) exceeds the agent container's hard limit of ${mainLimit} MiB; the soft limit must not ` +
          'exceed the hard limit. Lower memoryReservationMiB or raise memoryLimitMiB.');
      }
    }
    const reservedCpu = cpu + sidecarCpu;
    const cpuMax = managed.maxVCpus * 1024;
    if (!isUnresolved(cpu) && reservedCpu > cpuMax) {
      throw new ValidationError(this,
        `cpu (${cpu}) and the sidecars reserve ${reservedCpu} CPU units on every instance, more than the ${cpuMax} (${managed.maxVCpus} vCPUs x 1024, maxVCpus) ` +
        `of the largest instance ${provider} may launch. Lower cpu to at most ${cpuMax - sidecarCpu}, or raise maxVCpus.`);
    }
    if (!isUnresolved(cpu) && reservedCpu > managed.minVCpus * 1024) {
      warn(this, WarningId.DAEMON_AGENT_CPU,
        `cpu (${cpu}) and the sidecars reserve ${reservedCpu} CPU units on every instance, more than the ${managed.minVCpus * 1024} of the smallest instances ` +
        `${provider} may launch (minVCpus ${managed.minVCpus}): ECS cannot place the agent on those. Lower cpu or raise minVCpus.`);
    }
    if (!isUnresolved(props.memoryReservationMiB)) {
      const reserved = props.memoryReservationMiB + sidecarMemory;
      if (managed.maxMemoryMiB !== undefined && reserved > managed.maxMemoryMiB) {
        throw new ValidationError(this,
          `memoryReservationMiB (${props.memoryReservationMiB}) and the sidecars reserve ${reserved} MiB on every instance, more than the ${managed.maxMemoryMiB} MiB ` +
          `(maxMemoryMiB) of the largest instance ${provider} may launch. Lower memoryReservationMiB, or raise maxMemoryMiB.`);
      }
      if (reserved > managed.minMemoryMiB) {
        warn(this, WarningId.DAEMON_AGENT_MEMORY,
          `memoryReservationMiB (${props.memoryReservationMiB}) and the sidecars reserve ${reserved} MiB on every instance, more than the ${managed.minMemoryMiB} MiB ` +
          `of the smallest instances ${provider} may launch (minMemoryMiB): ECS cannot place the agent on those. Lower memoryReservationMiB or raise minMemoryMiB.`);
      }
    }
    for (const [i, v] of (props.volumes ?? []).entries()) {
      if (v.kind !== WorkloadVolumeKind.BIND_MOUNT) {
        throw new ValidationError(this,
          `volumes[${i}] '${v.name}' is ${VOLUME_KIND_NAMES[v.kind]} volume, but daemon task definitions take host volumes only. ` +
          'Use hostMounts or WorkloadVolume.bindMount, or run the agent as a DaemonAgent on Auto Scaling group capacity.');
      }
    }
  }

  private volumes(props: ManagedDaemonAgentProps): { name: string; containerPath: string; hostPath?: string; readOnly: boolean }[] {
    const out: { name: string; containerPath: string; hostPath?: string; readOnly: boolean }[] = [];
    for (const [i, v] of (props.volumes ?? []).entries()) {
      checkAbsolute(this, `volumes[${i}].containerPath`, v.containerPath);
      // WorkloadVolume keeps its options private; a bind mount's hostPath is the one a daemon needs.
      const hostPath = (v as unknown as { options: { hostPath?: string } }).options.hostPath;
      out.push({ name: v.name, containerPath: v.containerPath, hostPath, readOnly: v.readOnly });
    }
    for (const [i, m] of (props.hostMounts ?? []).entries()) {
      checkAbsolute(this, `hostMounts[${i}].hostPath`, m.hostPath);
      checkAbsolute(this, `hostMounts[${i}].containerPath`, m.containerPath);
      const name = m.name ?? defaultVolumeName(m.hostPath);
      if (!isUnresolved(name) && !/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
        throw new ValidationError(this, `hostMounts[${i}].name ${show(name)} is not a valid volume name. Use up to 255 letters, digits, '-' and '_'.`);
      }
      if (out.some(o => o.name === name)) {
        throw new ValidationError(this, `hostMounts[${i}].name ${show(name)} is already used by another volume or host mount. Give this mount its own name.`);
      }
      if (out.some(o => o.containerPath === m.containerPath)) {
        throw new ValidationError(this,
          `hostMounts[${i}].containerPath ${show(m.containerPath)} is already the mount point of another volume or host mount. Mount it elsewhere.`);
      }
      out.push({ name, containerPath: m.containerPath, hostPath: m.hostPath, readOnly: m.readOnly ?? true });
    }
    return out;
  }
}

/** The limits ECS documents for a daemon container's health check. */
function checkHealthCheck(scope: Construct, prop: string, hc: ecs.HealthCheck | undefined): void {
  if (!hc) return;
  const interval = hc.interval?.toSeconds({ integral: false });
  const timeout = hc.timeout?.toSeconds({ integral: false });
  checkRange(scope, `${prop}.interval`, interval, 5, 300, 'ECS runs a health check every 5 to 300 seconds.', { unit: 'seconds' });
  checkRange(scope, `${prop}.timeout`, timeout, 2, 60, 'ECS waits 2 to 60 seconds for a daemon health check.', { unit: 'seconds' });
  checkRange(scope, `${prop}.retries`, hc.retries, 1, 10, 'ECS retries a failed health check 1 to 10 times.');
  checkRange(scope, `${prop}.startPeriod`, hc.startPeriod?.toSeconds({ integral: false }), 0, 300,
    'ECS ignores failed health checks for 0 to 300 seconds after start.', { unit: 'seconds' });
  checkOrder(scope, `${prop}.timeout`, timeout ?? 5, `${prop}.interval`, interval ?? 30);
}

/** A container health check as the daemon task definition takes it (the limits ECS documents for daemons). */
function renderHealthCheck(hc: ecs.HealthCheck | undefined): ecs.CfnDaemonTaskDefinition.HealthCheckProperty | undefined {
  if (!hc) return undefined;
  const command = hc.command.length === 1 ? ['CMD-SHELL', hc.command[0]]
    : ['CMD', 'CMD-SHELL'].includes(hc.command[0]) ? hc.command : ['CMD', ...hc.command];
  return {
    command,
    interval: hc.interval?.toSeconds() ?? 30,
    retries: hc.retries ?? 3,
    startPeriod: hc.startPeriod?.toSeconds(),
    timeout: hc.timeout?.toSeconds() ?? 5,
  };
}

function defaultVolumeName(hostPath: string): string {
  if (isUnresolved(hostPath)) return 'host';
  const slug = hostPath.split(/[^A-Za-z0-9_]+/).filter(Boolean).join('-');
  return slug ? `host-${slug}` : 'host-root';
}
