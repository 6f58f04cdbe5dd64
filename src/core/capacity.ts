import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { checkRange, ValidationError } from './errors';
import type { WorkloadManagedInstances } from './managed-instances';

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

  /** EC2 instances of an Auto Scaling group capacity provider (see `WorkloadCluster.addAsgCapacity`). */
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
  private readonly options: FargateSpotOptions & Ec2CapacityOptions;

  private constructor(
    kind: CapacityKind,
    strategies: ecs.CapacityProviderStrategy[],
    options: FargateSpotOptions | Ec2CapacityOptions | undefined,
    provider?: ecs.AsgCapacityProvider,
    managedInstancesCapacity?: WorkloadManagedInstances,
  ) {
    this.kind = kind;
    this.strategies = strategies;
    this.options = options ?? {};
    this.provider = provider;
    this.managedInstancesCapacity = managedInstancesCapacity;
  }

  /** Whether the tasks run on Fargate. */
  public get isFargate(): boolean {
    return this.kind === CapacityKind.FARGATE;
  }

  /** Whether the tasks run on ECS Managed Instances. */
  public get isManagedInstances(): boolean {
    return this.kind === CapacityKind.MANAGED_INSTANCES;
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
    if (this.strategies.every(s => (s.weight ?? 0) === 0)) {
      throw new ValidationError(scope,
        `${prop} has every weight at 0, so ECS could place no task beyond the base. Give spotWeight or onDemandWeight a value of at least 1.`);
    }
  }
}
