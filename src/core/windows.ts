import { Resource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { Capacity } from './capacity';
import type { WorkloadAsgCapacity } from './cluster';
import { show, ValidationError } from './errors';
import { suppressGuardRule } from './resources';

/** Task CPU values Fargate accepts for Windows (1, 2 or 4 vCPUs; memory as for Linux at those sizes). @internal */
export const FARGATE_WINDOWS_CPU: readonly number[] = [1024, 2048, 4096];

/**
 * Flags of the ECS agent's start on Windows: task IAM roles (off unless asked for on Windows), and
 * awsvpc tasks (their own ENI) without a route to the instance metadata service.
 */
const WINDOWS_AGENT_FLAGS = '-EnableTaskIAMRole -EnableTaskENI -AwsvpcBlockIMDS';

/**
 * PowerShell user data of Windows container instances. aws-cdk-lib's cluster writes the ECS agent's
 * start (`Initialize-ECSAgent -Cluster ...`) without the flags that turn on task IAM roles and awsvpc
 * networking on Windows; this adds them to that line. Commands added before the cluster's lines
 * (agent settings as machine environment variables) run before the agent starts.
 * @internal
 */
export class WindowsAgentUserData extends ec2.UserData {
  private readonly inner = ec2.UserData.forWindows();

  public addCommands(...commands: string[]): void {
    this.inner.addCommands(...commands.map(c => c.startsWith('Initialize-ECSAgent ') && !c.includes('-EnableTaskIAMRole') ? `${c} ${WINDOWS_AGENT_FLAGS}` : c));
  }

  public addOnExitCommands(...commands: string[]): void {
    this.inner.addOnExitCommands(...commands);
  }

  public render(): string {
    return this.inner.render();
  }

  public addS3DownloadCommand(params: ec2.S3DownloadOptions): string {
    return this.inner.addS3DownloadCommand(params);
  }

  public addExecuteFileCommand(params: ec2.ExecuteFileOptions): void {
    this.inner.addExecuteFileCommand(params);
  }

  public addSignalOnExitCommand(resource: Resource): void {
    this.inner.addSignalOnExitCommand(resource);
  }
}

/** A machine environment variable the Windows ECS agent reads when it starts. @internal */
export function windowsAgentSetting(name: string, value: string): string {
  return `[Environment]::SetEnvironmentVariable("${name}", "${value}", "Machine")`;
}

/** Whether a workload's tasks run Windows containers, and where (for messages). @internal */
export interface WorkloadPlatform {
  readonly windows: boolean;
  /** e.g. `Fargate (WINDOWS_SERVER_2022_CORE)` or `capacity provider 'Stack/Cluster/Win' (Windows Server 2022)`. */
  readonly where: string;
}

/** The platform of a workload on `capacity` (`asg`: its Auto Scaling group capacity, if any). @internal */
export function workloadPlatform(capacity: Capacity, asg: WorkloadAsgCapacity | undefined): WorkloadPlatform {
  if (capacity.operatingSystemFamily?.isWindows()) {
    return { windows: true, where: `Fargate (${capacity.operatingSystemFamily._operatingSystemFamily})` };
  }
  if (asg?.windowsVersion !== undefined) {
    return { windows: true, where: `capacity provider '${asg.capacityProvider.node.path}' (Windows Server ${asg.windowsVersion})` };
  }
  return { windows: false, where: '' };
}

/** What a Windows task is checked for. @internal */
export interface WindowsTaskSettings {
  readonly fargate: boolean;
  readonly networkMode: ecs.NetworkMode;
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  readonly gpuCount?: number;
  readonly readonlyRootFilesystem?: boolean;
  readonly user?: string;
  readonly privileged?: boolean;
  readonly pidMode?: ecs.PidMode;
  readonly sidecars?: readonly { readonly name: string; readonly readonlyRootFilesystem?: boolean; readonly user?: string }[];
}

/**
 * Refuses what ECS does not support for Windows containers ("Windows task definition parameters" of
 * the ECS developer guide, and "Fargate Windows" considerations), each with the fix. Volumes are
 * checked by `checkVolumesForPlatform`.
 * @internal
 */
export function checkWindowsTask(scope: Construct, platform: WorkloadPlatform, s: WindowsTaskSettings): void {
  const on = `the tasks run Windows containers on ${platform.where}`;
  const modes = s.fargate ? [ecs.NetworkMode.AWS_VPC] : [ecs.NetworkMode.AWS_VPC, ecs.NetworkMode.NAT];
  if (!modes.includes(s.networkMode)) {
    throw new ValidationError(scope,
      `networkMode is ${show(s.networkMode)}, but ${on}, where ECS supports ${s.fargate ? 'awsvpc only' : 'awsvpc and the default Windows NAT network only'}. ` +
      `Use ${s.fargate ? 'ecs.NetworkMode.AWS_VPC' : 'ecs.NetworkMode.AWS_VPC or ecs.NetworkMode.NAT'}.`);
  }
  if (s.cpuArchitecture && s.cpuArchitecture._cpuArchitecture !== ecs.CpuArchitecture.X86_64._cpuArchitecture) {
    throw new ValidationError(scope,
      `cpuArchitecture is ${s.cpuArchitecture._cpuArchitecture}, but ${on}, and Windows containers on ECS are x86_64 only. ` +
      'Remove cpuArchitecture (it defaults to X86_64 on Windows) or build the image for Linux ARM64 and run it on Linux capacity.');
  }
  if ((s.gpuCount ?? 0) > 0) {
    throw new ValidationError(scope,
      `gpuCount is ${s.gpuCount}, but ${on}; ECS reserves GPUs for Linux containers only. Remove gpuCount, or run the workload on a Linux GPU capacity provider.`);
  }
  if (s.readonlyRootFilesystem === true) {
    throw new ValidationError(scope,
      `readonlyRootFilesystem is true, but ${on}, and ECS does not support a read-only root file system for Windows containers. ` +
      'Remove readonlyRootFilesystem (Windows containers keep a writable one), and restrict writes with the image\'s user and NTFS permissions instead.');
  }
  if (s.user !== undefined) {
    throw new ValidationError(scope,
      `user is ${show(s.user)}, but ${on}, and ECS does not support the user parameter for Windows containers. ` +
      'Remove user and set the account in the image (USER ContainerUser in the Dockerfile; nanoserver images already run as ContainerUser).');
  }
  if (s.privileged) {
    throw new ValidationError(scope, `privileged is true, but ${on}, and ECS does not support privileged Windows containers. Remove privileged.`);
  }
  if (s.pidMode !== undefined) {
    throw new ValidationError(scope,
      `pidMode is ${show(s.pidMode)} (hostPidMode), but ${on}, and ECS does not support a process namespace mode for Windows containers. Remove it.`);
  }
  for (const [i, sc] of (s.sidecars ?? []).entries()) {
    if (sc.readonlyRootFilesystem === true) {
      throw new ValidationError(scope,
        `sidecars[${i}] ('${sc.name}') has readonlyRootFilesystem true, but ${on}, and ECS does not support a read-only root file system for Windows containers. Remove it.`);
    }
    if (sc.user !== undefined) {
      throw new ValidationError(scope,
        `sidecars[${i}] ('${sc.name}') has user ${show(sc.user)}, but ${on}, and ECS does not support the user parameter for Windows containers. ` +
        'Remove user and set the account in the sidecar\'s image (USER in its Dockerfile).');
    }
  }
}

/**
 * What ECS cannot enforce for Windows containers and this library therefore leaves off, acknowledged
 * for the compliance rules that ask for it.
 * @internal
 */
export function acknowledgeWindowsTask(taskDefinition: ecs.TaskDefinition, platform: WorkloadPlatform): void {
  suppressGuardRule(taskDefinition, 'ecs_containers_readonly_access_check',
    `The tasks run Windows containers on ${platform.where}: ECS does not support a read-only root file system (readonlyRootFilesystem) for Windows containers.`);
  suppressGuardRule(taskDefinition, 'ecs_task_definition_nonroot_user_check',
    `The tasks run Windows containers on ${platform.where}: ECS does not support the user parameter for Windows containers, so the image's USER applies ` +
    '(ContainerUser, the non-administrator account of the Windows base images, where the image sets it).');
}
