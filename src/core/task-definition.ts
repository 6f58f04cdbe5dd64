import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Capacity } from './capacity';
import { WorkloadAsgCapacity, WorkloadCluster } from './cluster';
import { WorkloadContainerOptions } from './container-options';
import { checkLogRetention, checkName, checkOrder, checkRange, isUnresolved, show, ValidationError } from './errors';
import { checkExec, grantExec } from './exec';
import { instanceCpuUnits, instanceGpus, instanceMemoryMiB, largestInstance } from './instance-types';
import type { WorkloadManagedInstances } from './managed-instances';
import { checkRemovalPolicy } from './resources';
import { acknowledgeEcrAuthWildcard, taskRole } from './roles';
import { BoundVolume, checkVolumesForPlatform, WorkloadVolumeKind } from './volumes';
import { acknowledgeWindowsTask, checkWindowsTask, FARGATE_WINDOWS_CPU, WorkloadPlatform, workloadPlatform } from './windows';

/** Valid Fargate memory values (MiB) for each task CPU value. */
export const FARGATE_MEMORY_BY_CPU: { readonly [cpu: number]: readonly number[] } = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

function steps(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** @internal What a workload's task is built from. */
export interface WorkloadTaskProps extends WorkloadContainerOptions {
  readonly cluster: WorkloadCluster;
  /** Validated capacity (see `resolveCapacity`). */
  readonly capacity: Capacity;
  /** Network mode. Default awsvpc. */
  readonly networkMode?: ecs.NetworkMode;
  /** Port used when `containerPort` is not given; undefined = no port mapping. */
  readonly defaultContainerPort?: number;
  /** Name of the port mapping (Service Connect finds the port by it). Default: unnamed. */
  readonly containerPortName?: string;
  /** Soft memory limit of the main container (EC2); replaces the task-level memory. */
  readonly memoryReservationMiB?: number;
  /** Environment variables the construct injects (documented per construct). */
  readonly constructEnvironment?: { [key: string]: string };
  /** Whether the task needs task-level cpu/memory (Fargate always does). */
  readonly taskLevelResources?: boolean;
  /** Extra Linux settings of the main container (daemons). */
  readonly privileged?: boolean;
  readonly pidMode?: ecs.PidMode;
  /** Removal policy of the log group (the construct's `removalPolicy`). Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * With `enableExec`: grant the ECS Exec session permissions here, because no ECS service starts
   * the task (aws-cdk-lib's services grant them themselves).
   */
  readonly grantExecSession?: boolean;
}

/** @internal The task a builder produced. */
export interface WorkloadTask {
  readonly taskDefinition: ecs.TaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly logGroup: logs.LogGroup;
  readonly volumes: BoundVolume[];
}

/**
 * Builds a workload's task definition: our secure defaults, then the user's values, then what the
 * construct requires. Validates every value against what ECS and Fargate accept.
 * @internal
 */
export function buildWorkloadTask(scope: Construct, props: WorkloadTaskProps): WorkloadTask {
  const fargate = props.capacity.isFargate;
  const asg = props.cluster.asgCapacity.find(c => c.capacityProvider === props.capacity.provider);
  const managed = props.capacity.managedInstancesCapacity;
  const taskLevel = fargate || managed !== undefined || (props.taskLevelResources ?? true);
  const platform = workloadPlatform(props.capacity, asg);
  const windows = platform.windows;
  // Fargate runs Windows tasks with 1 vCPU or more.
  const cpu = props.cpu ?? (windows && fargate ? 1024 : 256);
  // Default memory: the smallest Fargate accepts with this CPU (512 MiB with the default 256 CPU units).
  const memory = props.memoryLimitMiB ?? (props.memoryReservationMiB !== undefined && !taskLevel
    ? undefined
    : FARGATE_MEMORY_BY_CPU[cpu]?.[0] ?? 512);
  const gpuCount = props.gpuCount ?? 0;
  const networkMode = props.networkMode ?? ecs.NetworkMode.AWS_VPC;
  if (windows) {
    checkWindowsTask(scope, platform, {
      fargate,
      networkMode,
      cpuArchitecture: props.cpuArchitecture,
      gpuCount: props.gpuCount,
      readonlyRootFilesystem: props.readonlyRootFilesystem,
      user: props.user,
      privileged: props.privileged,
      pidMode: props.pidMode,
      sidecars: props.sidecars,
    });
  }
  // Which volumes the OS and capacity can mount (FSx for Windows, EBS, S3 Files, EFS, Docker drivers, path forms).
  checkVolumesForPlatform(scope, props.volumes ?? [], { windows, fargate, managedInstances: managed !== undefined });
  const cpuArchitecture = props.cpuArchitecture ?? asg?.cpuArchitecture ?? managed?.cpuArchitecture
    ?? (gpuCount > 0 || windows ? ecs.CpuArchitecture.X86_64 : ecs.CpuArchitecture.ARM64);
  if (asg && props.cpuArchitecture && props.cpuArchitecture._cpuArchitecture !== asg.cpuArchitecture._cpuArchitecture) {
    throw new ValidationError(scope,
      `cpuArchitecture is ${props.cpuArchitecture._cpuArchitecture} but capacity provider '${asg.capacityProvider.node.path}' runs ` +
      `${asg.cpuArchitecture._cpuArchitecture} instances. Remove cpuArchitecture (it follows the capacity) or pick a capacity provider of that architecture.`);
  }
  if (asg && gpuCount > 0 && !asg.gpu) {
    throw new ValidationError(scope,
      `gpuCount is ${gpuCount} but capacity provider '${asg.capacityProvider.node.path}' has no GPUs. Use a provider added with addAsgCapacity(id, { gpu: true, ... }).`);
  }
  if (managed) checkManagedInstances(scope, managed, props, cpu, memory, gpuCount);
  const sidecars = props.sidecars ?? [];

  validateResources(scope, fargate, cpu, memory, props, platform);
  if (asg && taskLevel) checkFitsInstances(scope, asg, cpu, memory, gpuCount);
  checkRange(scope, 'gpuCount', props.gpuCount, 0, 16, 'ECS instances have at most 16 GPUs.');
  if (gpuCount > 0 && fargate) {
    throw new ValidationError(scope,
      `gpuCount is ${gpuCount}, but Fargate has no GPUs. Add a GPU capacity provider with cluster.addAsgCapacity(id, { gpu: true, ... }) ` +
      'or GPU Managed Instances with cluster.addManagedInstances(id, { minGpus: 1 }), and run the workload on it.');
  }
  if (gpuCount > 0 && cpuArchitecture._cpuArchitecture === ecs.CpuArchitecture.ARM64._cpuArchitecture) {
    throw new ValidationError(scope,
      'cpuArchitecture is ARM64 with gpuCount > 0, but the ECS GPU AMI is x86_64 only. Set cpuArchitecture to ecs.CpuArchitecture.X86_64.');
  }
  const stopTimeout = props.stopTimeout ?? Duration.seconds(30);
  checkRange(scope, 'stopTimeout', stopTimeout.toSeconds({ integral: false }), 2, 120,
    'ECS waits at most 120 seconds between SIGTERM and SIGKILL; finish or checkpoint work within that.', { unit: 'seconds' });
  checkHealthCheck(scope, 'healthCheck', props.healthCheck);
  checkExec(scope, props);
  if (sidecars.length > 9) {
    throw new ValidationError(scope,
      `sidecars has ${sidecars.length} containers: with the main container that makes ${sidecars.length + 1}, but an ECS task definition ` +
      'holds at most 10 containers. Run at most 9 sidecars (merge some, or move them to a workload of their own).');
  }
  checkRemovalPolicy(scope, 'removalPolicy', props.removalPolicy);
  checkLogRetention(scope, 'logRetention', props.logRetention);
  const names = new Set<string>(['main']);
  for (const [i, s] of sidecars.entries()) {
    checkName(scope, `sidecars[${i}].name`, s.name, 255, /[A-Za-z0-9_-]/, 'letters, digits, \'_\' and \'-\' (ECS container names)');
    checkHealthCheck(scope, `sidecars[${i}].healthCheck`, s.healthCheck);
    if (names.has(s.name)) {
      throw new ValidationError(scope, `sidecars[${i}].name ${show(s.name)} is used twice (or is the reserved 'main'). Give every container its own name.`);
    }
    names.add(s.name);
    checkRange(scope, `sidecars[${i}].memoryLimitMiB`, s.memoryLimitMiB, 6, 122880, 'Docker needs at least 6 MiB per container.');
    const waitsFor = s.mainContainerWaitsFor;
    if ((s.essential ?? false) && (waitsFor === ecs.ContainerDependencyCondition.COMPLETE || waitsFor === ecs.ContainerDependencyCondition.SUCCESS)) {
      throw new ValidationError(scope,
        `sidecars[${i}] ('${s.name}') is essential and the main container waits for it to ${waitsFor}, but an essential container that exits stops the whole task (ECS rejects the pair). ` +
        'Set essential: false for an init container, or wait for START / HEALTHY.');
    }
  }
  const sidecarCpu = sidecars.reduce((sum, s) => sum + (s.cpu ?? 0), 0);
  if (taskLevel && !isUnresolved(cpu) && !sidecars.some(s => isUnresolved(s.cpu)) && sidecarCpu > cpu) {
    throw new ValidationError(scope,
      `sidecars reserve ${sidecarCpu} CPU units in all, more than the task's cpu (${cpu}). Raise cpu or lower the sidecars' cpu.`);
  }

  const role = taskRole(scope, 'TaskRole', `Application permissions of ${scope.node.path}`);
  const executionRole = taskRole(scope, 'ExecutionRole', `Image pull, logs and secrets of ${scope.node.path}`);
  acknowledgeEcrAuthWildcard(executionRole);

  // Main container's hard limit: what the sidecars leave of the task memory.
  const sidecarMemory = sidecars.reduce((sum, s) => sum + (s.memoryLimitMiB ?? 128), 0);
  const mainMemory = memory === undefined || isUnresolved(memory) ? undefined : memory - sidecarMemory;
  if (mainMemory !== undefined && mainMemory < 64) {
    throw new ValidationError(scope,
      `sidecars reserve ${sidecarMemory} MiB of the task's ${memory} MiB, leaving ${mainMemory} MiB for the main container. ` +
      'Raise memoryLimitMiB or lower the sidecars\' memoryLimitMiB.');
  }

  const taskDefinition = new ecs.TaskDefinition(scope, 'TaskDefinition', {
    compatibility: fargate ? ecs.Compatibility.FARGATE : managed ? ecs.Compatibility.MANAGED_INSTANCES : ecs.Compatibility.EC2,
    cpu: taskLevel ? String(cpu) : undefined,
    memoryMiB: taskLevel && memory !== undefined ? String(memory) : undefined,
    networkMode,
    // aws-cdk-lib rejects runtimePlatform on EC2 task definitions; there the capacity provider's AMI
    // fixes the architecture and the operating system (checked above).
    runtimePlatform: fargate || managed
      ? { operatingSystemFamily: props.capacity.operatingSystemFamily ?? ecs.OperatingSystemFamily.LINUX, cpuArchitecture }
      : undefined,
    taskRole: role,
    executionRole,
    pidMode: props.pidMode,
  });

  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    encryptionKey: props.cluster.encryptionKey,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  const logging = (prefix: string) => ecs.LogDrivers.awsLogs({
    logGroup,
    streamPrefix: prefix,
    mode: ecs.AwsLogDriverMode.NON_BLOCKING,
    maxBufferSize: Size.mebibytes(25),
  });

  const port = props.containerPort ?? props.defaultContainerPort;
  checkRange(scope, 'containerPort', port, 1, 65535, 'Give the TCP port the application listens on.');
  // ECS ignores task-level CPU for Windows containers on EC2 and places them by their containers' reservations.
  const windowsEc2Cpu = windows && !fargate && taskLevel && !isUnresolved(cpu) && !sidecars.some(s => isUnresolved(s.cpu))
    ? cpu - sidecarCpu : undefined;
  const container = taskDefinition.addContainer('Main', {
    containerName: 'main',
    image: props.image,
    essential: true,
    memoryLimitMiB: mainMemory,
    memoryReservationMiB: props.memoryReservationMiB,
    command: props.command,
    entryPoint: props.entryPoint,
    environment: { ...props.environment, ...props.constructEnvironment },
    secrets: props.secrets,
    portMappings: port !== undefined ? [{ containerPort: port, protocol: ecs.Protocol.TCP, name: props.containerPortName }] : undefined,
    healthCheck: props.healthCheck,
    stopTimeout,
    gpuCount: gpuCount > 0 ? gpuCount : undefined,
    cpu: windowsEc2Cpu,
    // Windows containers: ECS supports neither a read-only root file system nor a container user (checked above).
    readonlyRootFilesystem: windows ? undefined : props.readonlyRootFilesystem ?? !props.enableExec,
    user: windows ? undefined : props.user ?? '1000',
    privileged: props.privileged,
    // ECS Exec: an init process reaps the processes the SSM agent leaves behind, as AWS recommends (Linux only).
    linuxParameters: props.enableExec && !windows ? new ecs.LinuxParameters(scope, 'ExecLinuxParameters', { initProcessEnabled: true }) : undefined,
    logging: logging('main'),
  });

  const images: { prop: string; container: ecs.ContainerDefinition }[] = [{ prop: 'image', container }];
  for (const [i, s] of sidecars.entries()) {
    const sidecar = taskDefinition.addContainer(`Sidecar${s.name}`, {
      containerName: s.name,
      image: s.image,
      essential: s.essential ?? false,
      cpu: s.cpu,
      memoryLimitMiB: s.memoryLimitMiB ?? 128,
      command: s.command,
      environment: s.environment,
      secrets: s.secrets,
      healthCheck: s.healthCheck,
      readonlyRootFilesystem: windows ? undefined : s.readonlyRootFilesystem ?? true,
      user: windows ? undefined : s.user ?? '1000',
      logging: logging(s.name),
    });
    const condition = s.mainContainerWaitsFor ?? ecs.ContainerDependencyCondition.START;
    if (condition === ecs.ContainerDependencyCondition.HEALTHY && !s.healthCheck) {
      throw new ValidationError(scope,
        `sidecars '${s.name}'.mainContainerWaitsFor is HEALTHY, but the sidecar has no healthCheck, so it never becomes healthy. Add a healthCheck or wait for START.`);
    }
    container.addContainerDependencies({ container: sidecar, condition });
    images.push({ prop: `sidecars[${i}].image`, container: sidecar });
  }

  for (const { prop, container: c } of props.cluster._withoutNat ? images : []) {
    if (!isUnresolved(c.imageName) && !/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//.test(c.imageName)) {
      throw new ValidationError(scope,
        `${prop} ${show(c.imageName)} is not in a private ECR repository, but cluster '${props.cluster.node.path}' has natGateways 0: ` +
        'its tasks reach AWS only through VPC endpoints, so they cannot pull from other registries. Copy the image into ECR ' +
        '(ecs.ContainerImage.fromEcrRepository or fromAsset), or give the cluster a NAT gateway.');
    }
  }
  if (Object.keys(props.environment ?? {}).length === 0 && Object.keys(props.constructEnvironment ?? {}).length > 0) {
    // Only the construct's own variables (resource names and URLs, never secrets) are set directly.
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: `The only plain environment variables are the construct's own (${Object.keys(props.constructEnvironment ?? {}).join(', ')}): resource names and URLs, no secrets. Secrets go through 'secrets'.`,
    });
  }

  // Names are checked before binding: two EFS volumes of one name would otherwise collide on their access point's construct id.
  const volumeNames = new Set<string>();
  for (const [i, v] of (props.volumes ?? []).entries()) {
    checkName(scope, `volumes[${i}].name`, v.name, 255, /[A-Za-z0-9_-]/, 'letters, digits, \'_\' and \'-\' (ECS volume names)');
    if (volumeNames.has(v.name)) {
      throw new ValidationError(scope, `volumes name ${show(v.name)} is used twice. Give each volume its own name.`);
    }
    volumeNames.add(v.name);
  }
  const mountPaths = new Map<string, string>();
  for (const v of props.volumes ?? []) {
    const other = mountPaths.get(v.containerPath);
    if (other !== undefined) {
      throw new ValidationError(scope,
        `volumes '${other}' and '${v.name}' are both mounted at containerPath ${show(v.containerPath)}; Docker refuses to start a container with two mounts on one path. Give each volume its own containerPath.`);
    }
    mountPaths.set(v.containerPath, v.name);
  }
  const volumes = (props.volumes ?? []).map((v, i) => v._bind(scope, props.capacity.kind, taskDefinition, container, `volumes[${i}]`));
  if (props.enableExec) grantExec(scope, props.cluster, taskDefinition, { grantSession: props.grantExecSession ?? false });
  if (windows) acknowledgeWindowsTask(taskDefinition, platform);
  return { taskDefinition, container, logGroup, volumes };
}

/**
 * Checks a task against the instance requirements of its Managed Instances capacity: ECS launches
 * only instance types within them, so a task that needs more CPU, memory or GPUs than the largest
 * allowed type, another architecture or GPUs the instances lack would never be placed.
 */
function checkManagedInstances(scope: Construct, managed: WorkloadManagedInstances, props: WorkloadTaskProps,
  cpu: number, memory: number | undefined, gpuCount: number): void {
  const provider = `Managed Instances capacity provider '${managed.capacityProvider.node.path}'`;
  if (props.cpuArchitecture && props.cpuArchitecture._cpuArchitecture !== managed.cpuArchitecture._cpuArchitecture) {
    throw new ValidationError(scope,
      `cpuArchitecture is ${props.cpuArchitecture._cpuArchitecture} but ${provider} launches ${managed.cpuArchitecture._cpuArchitecture} instances. ` +
      'Remove cpuArchitecture (it follows the capacity) or use Managed Instances of that architecture (addManagedInstances cpuArchitecture).');
  }
  const networkMode = props.networkMode ?? ecs.NetworkMode.AWS_VPC;
  if (networkMode !== ecs.NetworkMode.AWS_VPC) {
    throw new ValidationError(scope,
      `networkMode is ${show(networkMode)}, but workloads on Managed Instances run in awsvpc mode (each task its own network interface and security group). Use ecs.NetworkMode.AWS_VPC.`);
  }
  if (gpuCount > 0 && managed.minGpus === 0) {
    throw new ValidationError(scope,
      `gpuCount is ${gpuCount} but ${provider} launches instances without GPUs. Use Managed Instances added with addManagedInstances(id, { minGpus: ${gpuCount} }).`);
  }
  if (!isUnresolved(gpuCount) && gpuCount > 0 && gpuCount > managed.maxGpus) {
    throw new ValidationError(scope,
      `gpuCount (${gpuCount}) is more than the ${managed.maxGpus} GPU${managed.maxGpus === 1 ? '' : 's'} (maxGpus) of the instances of ${provider}, so ECS can place the task on none of them. ` +
      `Lower gpuCount to at most ${managed.maxGpus}, or raise maxGpus of the Managed Instances.`);
  }
  if (gpuCount > 0 && managed.gpuManufacturer !== ec2.AcceleratorManufacturer.NVIDIA) {
    throw new ValidationError(scope,
      `gpuCount is ${gpuCount}, but the GPUs of ${provider} are ${show(managed.gpuManufacturer)}; ECS reserves NVIDIA GPUs only. Use Managed Instances with gpuManufacturer NVIDIA.`);
  }
  const cpuMax = managed.maxVCpus * 1024;
  if (!isUnresolved(cpu) && !isUnresolved(managed.maxVCpus) && cpu > cpuMax) {
    throw new ValidationError(scope,
      `cpu (${cpu}) is more than the ${cpuMax} CPU units (${managed.maxVCpus} vCPUs x 1024, maxVCpus) of the largest instance ${provider} may launch, ` +
      `so ECS can place the task on none of them. Lower cpu to at most ${cpuMax}, or raise maxVCpus of the Managed Instances.`);
  }
  const memoryMax = managed.maxMemoryMiB;
  if (memory !== undefined && memoryMax !== undefined && !isUnresolved(memory) && !isUnresolved(memoryMax) && memory > memoryMax) {
    throw new ValidationError(scope,
      `memoryLimitMiB (${memory}) is more than the ${memoryMax} MiB (maxMemoryMiB) of the largest instance ${provider} may launch ` +
      '(ECS registers somewhat less), so ECS can place the task on none of them. Lower memoryLimitMiB, or raise maxMemoryMiB of the Managed Instances.');
  }
  for (const [i, v] of (props.volumes ?? []).entries()) {
    if (v.kind === WorkloadVolumeKind.DOCKER) {
      throw new ValidationError(scope,
        `volumes[${i}] '${v.name}' is a Docker volume, which ECS Managed Instances do not support. Use WorkloadVolume.efs or WorkloadVolume.bindMount, or run the workload on EC2 Auto Scaling group capacity.`);
    }
  }
}

function validateResources(scope: Construct, fargate: boolean, cpu: number, memory: number | undefined, props: WorkloadTaskProps,
  platform: WorkloadPlatform): void {
  if (isUnresolved(cpu) || isUnresolved(memory)) return;
  if (fargate && platform.windows && !FARGATE_WINDOWS_CPU.includes(cpu)) {
    throw new ValidationError(scope,
      `cpu ${show(cpu)} is not a CPU value Fargate takes for Windows tasks (${platform.where}). ` +
      `Use one of ${FARGATE_WINDOWS_CPU.join(', ')} (1, 2 or 4 vCPUs; 1024 by default).`);
  }
  if (fargate) {
    const allowed = FARGATE_MEMORY_BY_CPU[cpu];
    if (!allowed) {
      throw new ValidationError(scope,
        `cpu ${show(cpu)} is not a Fargate CPU value. Use one of ${Object.keys(FARGATE_MEMORY_BY_CPU).join(', ')} (1024 = 1 vCPU).`);
    }
    if (memory === undefined || !allowed.includes(memory)) {
      throw new ValidationError(scope,
        `memoryLimitMiB ${show(memory)} is not valid with cpu ${cpu} on Fargate. Valid memoryLimitMiB values for cpu ${cpu}: ${describe(allowed)}.`);
    }
    if (props.memoryReservationMiB !== undefined) {
      throw new ValidationError(scope,
        `memoryReservationMiB (${props.memoryReservationMiB}) applies to EC2 capacity only; Fargate reserves the task memory. Remove it or run on EC2 capacity.`);
    }
    return;
  }
  checkRange(scope, 'cpu', cpu, 128, 196608, 'EC2 task CPU is given in CPU units (1024 = 1 vCPU).');
  checkRange(scope, 'memoryLimitMiB', memory, 6, 3145728, 'Docker needs at least 6 MiB per container.');
  checkRange(scope, 'memoryReservationMiB', props.memoryReservationMiB, 6, 3145728, 'Docker needs at least 6 MiB per container.');
  if (memory !== undefined && props.memoryReservationMiB !== undefined && props.memoryReservationMiB > memory) {
    throw new ValidationError(scope,
      `memoryReservationMiB (${props.memoryReservationMiB}) exceeds memoryLimitMiB (${memory}); the soft limit must not exceed the hard limit. Lower memoryReservationMiB.`);
  }
}

/**
 * Throws when an EC2 task needs more CPU units (1024 per vCPU), memory or GPUs than every instance type
 * of its capacity provider has: ECS places a task only on an instance with room for all of it, so such a
 * task stays PROVISIONING (or fails to start) forever. Skipped when an instance type is not in our table.
 */
function checkFitsInstances(scope: Construct, asg: WorkloadAsgCapacity, cpu: number, memory: number | undefined, gpuCount: number): void {
  const provider = `capacity provider '${asg.capacityProvider.node.path}'`;
  const largest = (figure: (type: string) => number | undefined) => largestInstance(asg.instanceTypes, figure);
  const cpuMax = largest(instanceCpuUnits);
  if (!isUnresolved(cpu) && cpuMax && cpu > cpuMax.value) {
    throw new ValidationError(scope,
      `cpu (${cpu}) is more than the ${cpuMax.value} CPU units (${cpuMax.value / 1024} vCPUs x 1024) of ${cpuMax.type}, the largest instance type of ` +
      `${provider}, so ECS can place the task on none of its instances. Lower cpu to at most ${cpuMax.value}, or use larger instance types.`);
  }
  const memoryMax = largest(instanceMemoryMiB);
  if (memory !== undefined && !isUnresolved(memory) && memoryMax && memory > memoryMax.value) {
    throw new ValidationError(scope,
      `memoryLimitMiB (${memory}) is more than the ${memoryMax.value} MiB installed in ${memoryMax.type}, the largest instance type of ` +
      `${provider} (ECS registers somewhat less), so ECS can place the task on none of its instances. Lower memoryLimitMiB, or use larger instance types.`);
  }
  const gpuMax = largest(instanceGpus);
  if (!isUnresolved(gpuCount) && gpuMax && gpuCount > gpuMax.value) {
    throw new ValidationError(scope,
      `gpuCount (${gpuCount}) is more than the ${gpuMax.value} GPU${gpuMax.value === 1 ? '' : 's'} of ${gpuMax.type}, the instance type with the most GPUs of ` +
      `${provider}, so ECS can place the task on none of its instances. Lower gpuCount to at most ${gpuMax.value}, or use instance types with more GPUs.`);
  }
}

/** The limits ECS puts on a container health check (aws-cdk-lib checks some of them with an error of its own). */
function checkHealthCheck(scope: Construct, prop: string, hc: ecs.HealthCheck | undefined): void {
  if (!hc) return;
  const interval = hc.interval?.toSeconds({ integral: false });
  const timeout = hc.timeout?.toSeconds({ integral: false });
  checkRange(scope, `${prop}.interval`, interval, 5, 300, 'ECS runs a health check every 5 to 300 seconds.', { unit: 'seconds' });
  checkRange(scope, `${prop}.timeout`, timeout, 2, 120, 'ECS waits 2 to 120 seconds for a health check.', { unit: 'seconds' });
  checkRange(scope, `${prop}.retries`, hc.retries, 1, 10, 'ECS retries a failed health check 1 to 10 times.');
  checkRange(scope, `${prop}.startPeriod`, hc.startPeriod?.toSeconds({ integral: false }), 0, 300,
    'ECS ignores failed health checks for 0 to 300 seconds after start; for a longer warm-up, use the service\'s health check grace period.', { unit: 'seconds' });
  checkOrder(scope, `${prop}.timeout`, timeout ?? 5, `${prop}.interval`, interval ?? 30);
}

function describe(values: readonly number[]): string {
  if (values.length <= 4) return values.join(', ');
  const step = values[1] - values[0];
  return `${values[0]} to ${values[values.length - 1]} in steps of ${step} (${values.join(', ')})`;
}
