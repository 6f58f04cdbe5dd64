import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { checkRange, show, ValidationError } from './errors';
import type { WorkloadManagedInstances } from './managed-instances';

/** The Windows Server families Fargate runs (x86_64 only, on-demand Fargate only). @internal */
export const FARGATE_WINDOWS_FAMILIES: readonly ecs.OperatingSystemFamily[] = [
  ecs.OperatingSystemFamily.WINDOWS_SERVER_2019_CORE,
  ecs.OperatingSystemFamily.WINDOWS_SERVER_2019_FULL,
  ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE,
  ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_FULL,
];

/** Where a workload's tasks run. */
export enum CapacityKind {
  /** AWS Fargate (on-demand, Spot or both). */
  FARGATE = 'FARGATE',
  /** EC2 container instances of an Auto Scaling group capacity provider. */
  EC2 = 'EC2',
  /** EC2 instances of an ECS Managed Instances capacity provider. */
  MANAGED_INSTANCES = 'MANAGED_INSTANCES',
}

/** Options for `Capacity.fargateSpot`. */
export interface FargateSpotOptions {
  /**
   * Relative share of tasks placed on Fargate Spot.
   * @default 1
   */
  readonly spotWeight?: number;

  /**
   * Number of tasks always placed on on-demand Fargate before weights apply.
   * @default 0
   */
  readonly onDemandBase?: number;

  /**
   * Relative share of tasks placed on on-demand Fargate (beyond `onDemandBase`).
   * @default 0
   */
  readonly onDemandWeight?: number;
}

/** Options for `Capacity.ec2`. */
export interface Ec2CapacityOptions {
  /**
   * Number of tasks always placed on this provider before weights apply.
   * @default 0
   */
  readonly base?: number;
}

/** Options for `Capacity.fargateWindows`. */
export interface FargateWindowsOptions {
  /**
   * Windows Server version and edition of the tasks: `WINDOWS_SERVER_2019_CORE`,
   * `WINDOWS_SERVER_2019_FULL`, `WINDOWS_SERVER_2022_CORE` or `WINDOWS_SERVER_2022_FULL`. It must
   * match the image's base (a `ltsc2022` image runs on 2022 only). Core images are smaller and start
   * faster; Full adds the GUI libraries some .NET Framework applications load.
   * @default ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE
   */
  readonly operatingSystemFamily?: ecs.OperatingSystemFamily;
}

/** Options for `Capacity.managedInstances`. */
export interface ManagedInstancesCapacityOptions {
  /**
   * Number of tasks always placed on this provider before weights apply.
   * @default 0
   */
  readonly base?: number;
}

/**
 * The capacity provider strategy of a workload: Fargate, Fargate Spot, EC2 Auto Scaling group or
 * ECS Managed Instances capacity providers.
 */
export class Capacity {
  /** On-demand Fargate only. */
  public static fargate(): Capacity {
    return new Capacity(CapacityKind.FARGATE, [{ capacityProvider: 'FARGATE', weight: 1 }], undefined);
  }

  /**
   * Fargate Spot (up to 70 % cheaper, interruptible with a 2-minute warning), optionally mixed with
   * on-demand Fargate.
   */
  public static fargateSpot(options: FargateSpotOptions = {}): Capacity {
    const spotWeight = options.spotWeight ?? 1;
    const onDemandBase = options.onDemandBase ?? 0;
    const onDemandWeight = options.onDemandWeight ?? 0;
    const strategies: ecs.CapacityProviderStrategy[] = [{ capacityProvider: 'FARGATE_SPOT', weight: spotWeight }];
    if (onDemandBase > 0 || onDemandWeight > 0) {
      strategies.push({ capacityProvider: 'FARGATE', base: onDemandBase, weight: onDemandWeight });
    }
    return new Capacity(CapacityKind.FARGATE, strategies, options);
  }

  /**
   * Windows containers on on-demand Fargate (x86_64; Fargate Spot does not run Windows). Tasks take
   * 1, 2 or 4 vCPUs (`cpu` 1024, 2048 or 4096, default 1024) with 2 GiB of memory or more, and the
   * Windows Server license is billed per vCPU-hour on top of the Fargate price. Windows containers
   * have a writable root file system and run as the image's user (see the README's Windows section).
   */
  public static fargateWindows(options: FargateWindowsOptions = {}): Capacity {
    return new Capacity(CapacityKind.FARGATE, [{ capacityProvider: 'FARGATE', weight: 1 }], undefined, undefined, undefined,
      options.operatingSystemFamily ?? ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE);
  }

  /**
   * EC2 instances of an Auto Scaling group capacity provider (see `WorkloadCluster.addAsgCapacity`);
   * the tasks run Windows containers when the provider was added with `windows`.
   */
  public static ec2(provider: ecs.AsgCapacityProvider, options: Ec2CapacityOptions = {}): Capacity {
    return new Capacity(CapacityKind.EC2,
      [{ capacityProvider: provider.capacityProviderName, base: options.base, weight: 1 }],
      options, provider);
  }

  /**
   * ECS Managed Instances (see `WorkloadCluster.addManagedInstances`): task definitions with the
   * MANAGED_INSTANCES compatibility and awsvpc networking, checked at synth against the instance
   * requirements (architecture, GPUs, largest vCPU and memory).
   */
  public static managedInstances(capacity: WorkloadManagedInstances, options: ManagedInstancesCapacityOptions = {}): Capacity {
    return new Capacity(CapacityKind.MANAGED_INSTANCES,
      [{ capacityProvider: capacity.capacityProvider.capacityProviderName, base: options.base, weight: 1 }],
      options, undefined, capacity);
  }

  /** Fargate, EC2 or Managed Instances. */
  public readonly kind: CapacityKind;
  /** The capacity provider strategy items. */
  public readonly strategies: ecs.CapacityProviderStrategy[];
  /** The EC2 capacity provider, for `Capacity.ec2`. */
  public readonly provider?: ecs.AsgCapacityProvider;
  /** The Managed Instances capacity, for `Capacity.managedInstances`. */
  public readonly managedInstancesCapacity?: WorkloadManagedInstances;
  /**
   * Operating system of the Fargate tasks, for `Capacity.fargateWindows` (undefined: Linux on
   * Fargate; on EC2 the capacity provider's AMI decides).
   */
  public readonly operatingSystemFamily?: ecs.OperatingSystemFamily;
  private readonly options: FargateSpotOptions & Ec2CapacityOptions;

  private constructor(
    kind: CapacityKind,
    strategies: ecs.CapacityProviderStrategy[],
    options: FargateSpotOptions | Ec2CapacityOptions | undefined,
    provider?: ecs.AsgCapacityProvider,
    managedInstancesCapacity?: WorkloadManagedInstances,
    operatingSystemFamily?: ecs.OperatingSystemFamily,
  ) {
    this.kind = kind;
    this.strategies = strategies;
    this.options = options ?? {};
    this.provider = provider;
    this.managedInstancesCapacity = managedInstancesCapacity;
    this.operatingSystemFamily = operatingSystemFamily;
  }

  /** Whether the tasks run on Fargate. */
  public get isFargate(): boolean {
    return this.kind === CapacityKind.FARGATE;
  }

  /** Whether the tasks run on ECS Managed Instances. */
  public get isManagedInstances(): boolean {
    return this.kind === CapacityKind.MANAGED_INSTANCES;
  }

  /** Whether the tasks run Windows containers on Fargate (`Capacity.fargateWindows`). */
  public get isFargateWindows(): boolean {
    return this.operatingSystemFamily?.isWindows() ?? false;
  }

  /** Whether any share of the tasks runs on Fargate Spot. */
  public get usesSpot(): boolean {
    return this.strategies.some(s => s.capacityProvider === 'FARGATE_SPOT');
  }

  /**
   * Throws a `ValidationError` (attributed to `scope`) when the strategy cannot be deployed.
   */
  public validate(scope: IConstruct, prop: string = 'capacity'): void {
    const o = this.options;
    const fix = 'ECS accepts base 0–100000 and weight 0–1000.';
    checkRange(scope, `${prop}.spotWeight`, o.spotWeight, 0, 1000, fix);
    checkRange(scope, `${prop}.onDemandWeight`, o.onDemandWeight, 0, 1000, fix);
    checkRange(scope, `${prop}.onDemandBase`, o.onDemandBase, 0, 100000, fix);
    checkRange(scope, `${prop}.base`, o.base, 0, 100000, fix);
    const family = this.operatingSystemFamily;
    if (family && !FARGATE_WINDOWS_FAMILIES.some(f => f._operatingSystemFamily === family._operatingSystemFamily)) {
      throw new ValidationError(scope,
        `${prop} runs ${show(family._operatingSystemFamily)} on Fargate, but Fargate runs Windows Server 2019 and 2022 only. Use ` +
        `${FARGATE_WINDOWS_FAMILIES.map(f => `ecs.OperatingSystemFamily.${f._operatingSystemFamily}`).join(', ')}, ` +
        'or run other versions on EC2 with cluster.addAsgCapacity(id, { windows: ecs.WindowsOptimizedVersion.SERVER_2025, ... }).');
    }
    if (this.strategies.every(s => (s.weight ?? 0) === 0)) {
      throw new ValidationError(scope,
        `${prop} has every weight at 0, so ECS could place no task beyond the base. Give spotWeight or onDemandWeight a value of at least 1.`);
    }
  }
}
