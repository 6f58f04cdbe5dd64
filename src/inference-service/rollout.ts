import { Duration, Fn, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { Capacity } from '../core/capacity';
import { WorkloadAsgCapacity } from '../core/cluster';
import { checkRange, isUnresolved, show, ValidationError } from '../core/errors';
import { instanceCpuUnits, instanceGpus, instanceMemoryMiB } from '../core/instance-types';
import { acknowledgeResourceWildcards } from '../core/policy-findings';
import { WorkloadRole } from '../core/roles';
import { warn, WarningId } from '../core/warnings';

/** Settings shared by the rollouts in which ECS shifts traffic between two target groups. */
export interface TrafficShiftRolloutOptions {
  /**
   * How long the old tasks keep running after all traffic reaches the new ones, while ECS still
   * watches the deployment alarms and can roll back at once (by shifting traffic back). Both
   * fleets run, and are paid for, during this time. ECS accepts 0–1440 minutes.
   * @default Duration.minutes(10) (ECS itself would keep both fleets for 36 hours)
   */
  readonly bakeTime?: Duration;

  /**
   * Port of a test listener that reaches the new tasks before production traffic does (for smoke
   * tests from a lifecycle hook or a pipeline). It accepts the same peers as the production listener.
   * @default - no test listener
   */
  readonly testListenerPort?: number;

  /**
   * Lambda functions ECS invokes at the stages of the rollout (`ecs.DeploymentLifecycleLambdaTarget`);
   * a hook that answers FAILED rolls the deployment back. ECS invokes Lambda functions only.
   * @default - no hooks
   */
  readonly lifecycleHooks?: ecs.IDeploymentLifecycleHookTarget[];
}

/** Options of `RolloutStrategy.blueGreen`. */
export interface BlueGreenRolloutOptions extends TrafficShiftRolloutOptions {}

/** Options of `RolloutStrategy.canary`. */
export interface CanaryRolloutOptions extends TrafficShiftRolloutOptions {
  /**
   * Share of production traffic the new tasks get first, in percent (multiples of 0.1 from 0.1 to 100).
   * @default 5
   */
  readonly stepPercent?: number;

  /**
   * How long the canary share runs before the rest of the traffic moves (0–1440 minutes).
   * @default Duration.minutes(10)
   */
  readonly stepBakeTime?: Duration;
}

/** Options of `RolloutStrategy.linear`. */
export interface LinearRolloutOptions extends TrafficShiftRolloutOptions {
  /**
   * Share of production traffic moved at each step, in percent (multiples of 0.1 from 3 to 100).
   * @default 10
   */
  readonly stepPercent?: number;

  /**
   * How long each step runs before the next (0–1440 minutes).
   * @default Duration.minutes(6)
   */
  readonly stepBakeTime?: Duration;
}

/**
 * How an `InferenceService` replaces its tasks when its task definition changes.
 *
 * Rolling replaces tasks in place; blue/green, canary and linear start a whole new fleet beside the
 * old one and move the load balancer's traffic to it (ECS native deployments), so a rollback is a
 * traffic shift back rather than a new rollout.
 */
export class RolloutStrategy {
  /**
   * Replace tasks in place: new tasks start (up to twice the desired count), old ones stop once the
   * new ones are healthy. The deployment circuit breaker rolls back a rollout whose tasks fail to start.
   */
  public static rolling(): RolloutStrategy {
    return new RolloutStrategy(ecs.DeploymentStrategy.ROLLING, {});
  }

  /** Start a full new fleet, then move all production traffic to it at once. */
  public static blueGreen(options: BlueGreenRolloutOptions = {}): RolloutStrategy {
    return new RolloutStrategy(ecs.DeploymentStrategy.BLUE_GREEN, options);
  }

  /** Start a full new fleet, move `stepPercent` of the traffic to it, wait `stepBakeTime`, then move the rest. */
  public static canary(options: CanaryRolloutOptions = {}): RolloutStrategy {
    return new RolloutStrategy(ecs.DeploymentStrategy.CANARY, options);
  }

  /** Start a full new fleet, then move traffic to it in equal steps of `stepPercent`, `stepBakeTime` apart. */
  public static linear(options: LinearRolloutOptions = {}): RolloutStrategy {
    return new RolloutStrategy(ecs.DeploymentStrategy.LINEAR, options);
  }

  /** The ECS deployment strategy. */
  public readonly strategy: ecs.DeploymentStrategy;
  /** @internal */
  public readonly _options: CanaryRolloutOptions & LinearRolloutOptions;

  private constructor(strategy: ecs.DeploymentStrategy, options: TrafficShiftRolloutOptions & { stepPercent?: number; stepBakeTime?: Duration }) {
    this.strategy = strategy;
    this._options = options;
  }

  /** Whether ECS shifts traffic between two target groups (every strategy but rolling). */
  public get shiftsTraffic(): boolean {
    return this.strategy !== ecs.DeploymentStrategy.ROLLING;
  }
}

/** The deployment alarms of an `InferenceService`: what rolls a rollout back. */
export interface InferenceDeploymentAlarmOptions {
  /**
   * Whether the construct creates its deployment alarms (5xx share, p99 latency, unhealthy tasks).
   * Alarms given in `alarms` are watched either way; with neither, ECS watches no alarm.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Share of requests the tasks answer with 5xx, in percent, above which the rollout rolls back
   * (two minutes in a row, at least 3 errors a minute). ALB only: an NLB counts no responses.
   * @default 5
   */
  readonly max5xxPercent?: number;

  /**
   * p99 target response time above which the rollout rolls back (three minutes in a row). ALB only.
   * Set it to your latency objective; `Duration.seconds(0)` turns this alarm off.
   * @default Duration.seconds(10)
   */
  readonly maxP99Latency?: Duration;

  /**
   * Whether a task that stays unhealthy for longer than the health check grace period (the time a
   * model needs to load) plus two minutes rolls the rollout back.
   * @default true
   */
  readonly unhealthyTasks?: boolean;

  /**
   * Further alarms to watch (your own model-quality or business metrics).
   * @default - none
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * What ECS does when an alarm fires during a rollout.
   * @default ecs.AlarmBehavior.ROLLBACK_ON_ALARM
   */
  readonly behavior?: ecs.AlarmBehavior;
}

/** What the service settings of a rollout are built from. @internal */
export interface RolloutContext {
  readonly strategy: RolloutStrategy;
  readonly listenerPort: number;
  readonly redirectHttp: boolean;
}

/** Validates a rollout strategy against the service's load balancer. @internal */
export function validateRollout(scope: IConstruct, context: RolloutContext): void {
  const strategy = context.strategy;
  const o = strategy._options;
  const name = strategy.strategy;
  checkRange(scope, 'rollout.bakeTime', o.bakeTime?.toMinutes({ integral: false }), 0, 1440,
    'ECS keeps both fleets for 0–1440 minutes after the traffic shift; give a whole number of minutes.', { unit: 'minutes' });
  checkRange(scope, 'rollout.stepBakeTime', o.stepBakeTime?.toMinutes({ integral: false }), 0, 1440,
    'ECS waits 0–1440 minutes between traffic shifts; give a whole number of minutes.', { unit: 'minutes' });
  if (o.stepPercent !== undefined && !isUnresolved(o.stepPercent)) {
    const min = name === ecs.DeploymentStrategy.LINEAR ? 3 : 0.1;
    const tenths = Math.round(o.stepPercent * 10);
    if (o.stepPercent < min || o.stepPercent > 100 || Math.abs(tenths - o.stepPercent * 10) > 1e-9) {
      throw new ValidationError(scope,
        `rollout.stepPercent must be a multiple of 0.1 from ${min} to 100 for a ${name.toLowerCase()} rollout, got ${show(o.stepPercent)}. ` +
        `Give e.g. ${name === ecs.DeploymentStrategy.LINEAR ? '10 (ten steps)' : '5 (a 5 % canary)'}.`);
    }
  }
  checkRange(scope, 'rollout.testListenerPort', o.testListenerPort, 1, 65535, 'Give the port the test listener opens.');
  if (o.testListenerPort !== undefined && !isUnresolved(o.testListenerPort)) {
    const taken = context.redirectHttp ? [context.listenerPort, 80] : [context.listenerPort];
    if (taken.includes(o.testListenerPort)) {
      throw new ValidationError(scope,
        `rollout.testListenerPort (${o.testListenerPort}) is already used by the ${o.testListenerPort === context.listenerPort ? 'production listener' : 'HTTP-to-HTTPS redirect'}. ` +
        'Pick another port, e.g. 8443 or 9000.');
    }
  }
}

/** The service props of a rollout strategy. @internal */
export function rolloutServiceProps(strategy: RolloutStrategy): Partial<ecs.BaseServiceOptions> {
  const o = strategy._options;
  if (!strategy.shiftsTraffic) {
    return { circuitBreaker: { enable: true, rollback: true } };
  }
  const minutes = (d: Duration) => Duration.minutes(d.toMinutes({ integral: false }));
  const props: { -readonly [K in keyof ecs.BaseServiceOptions]?: ecs.BaseServiceOptions[K] } = {
    deploymentStrategy: strategy.strategy,
    bakeTime: minutes(o.bakeTime ?? Duration.minutes(10)),
    lifecycleHooks: o.lifecycleHooks,
  };
  if (strategy.strategy === ecs.DeploymentStrategy.CANARY) {
    props.canaryConfiguration = { stepPercent: o.stepPercent ?? 5, stepBakeTime: o.stepBakeTime ?? Duration.minutes(10) };
  } else if (strategy.strategy === ecs.DeploymentStrategy.LINEAR) {
    props.linearConfiguration = { stepPercent: o.stepPercent ?? 10, stepBakeTime: o.stepBakeTime ?? Duration.minutes(6) };
  }
  return props;
}

/**
 * The role ECS assumes to move traffic between the two target groups: the actions of the AWS managed
 * policy `AmazonECSInfrastructureRolePolicyForLoadBalancers`, on this service's target groups,
 * listeners and rules only. @internal
 */
export function trafficShiftRole(scope: Construct, targetGroups: elbv2.ITargetGroup[], listeners: string[], rules: string[]): iam.Role {
  const role = new WorkloadRole(scope, 'TrafficShiftRole', {
    assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
    description: `ECS moves traffic between the target groups of ${scope.node.path} during rollouts`,
  });
  const describe = new iam.PolicyStatement({
    actions: [
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
    ],
    resources: ['*'],
  });
  role.addToPrincipalPolicy(describe);
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
    resources: targetGroups.map(tg => tg.targetGroupArn),
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyListener'], resources: listeners }));
  if (rules.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:ModifyRule'], resources: rules }));
  }
  acknowledgeResourceWildcards(role, [{
    resource: '*',
    reason: 'The four elasticloadbalancing:Describe* actions ECS reads the listeners, rules and target health with support no resource-level permissions; every write is limited to this service\'s target groups, listeners and rules.',
  }]);
  return role;
}

/** A target group and the load balancer it serves, for CloudWatch dimensions. @internal */
export interface TargetGroupMetrics {
  readonly loadBalancerFullName: string;
  readonly targetGroupFullName: string;
}

/** What the deployment alarms are built from. @internal */
export interface DeploymentAlarmContext {
  readonly options: InferenceDeploymentAlarmOptions;
  readonly isAlb: boolean;
  /** The production target group first, the alternate (if any) second. */
  readonly targetGroups: TargetGroupMetrics[];
  readonly gracePeriod: Duration;
}

/** Validates the deployment alarm options. @internal */
export function validateDeploymentAlarms(scope: IConstruct, options: InferenceDeploymentAlarmOptions, isAlb: boolean): void {
  checkRange(scope, 'deploymentAlarms.max5xxPercent', options.max5xxPercent, 0, 100,
    'Give the share of 5xx responses, in percent, that should roll a rollout back (e.g. 5).', { integer: false });
  const latency = options.maxP99Latency?.toMilliseconds();
  checkRange(scope, 'deploymentAlarms.maxP99Latency', latency, 0, 4000 * 1000,
    'An ALB waits at most 4000 seconds for a response; give your latency objective, or Duration.seconds(0) to turn the alarm off.', { unit: 'ms' });
  if (!isAlb) {
    for (const prop of ['max5xxPercent', 'maxP99Latency'] as const) {
      if (options[prop] !== undefined) {
        throw new ValidationError(scope,
          `deploymentAlarms.${prop} (${show(options[prop])}) reads Application Load Balancer metrics, but loadBalancerType is NETWORK: an NLB sees ` +
          'connections, not responses. Remove it (the unhealthy-task alarm still guards the rollout), or use LoadBalancerType.APPLICATION.');
      }
    }
  }
}

/**
 * The alarms that roll a rollout back. Each watches every target group the service uses (a
 * traffic-shifting rollout registers the new tasks in the alternate one) and takes the worst of them.
 * @internal
 */
export function buildDeploymentAlarms(scope: Construct, context: DeploymentAlarmContext): cloudwatch.IAlarm[] {
  const o = context.options;
  if (o.enabled === false) return [...o.alarms ?? []];
  const minute = Duration.minutes(1);
  const namespace = context.isAlb ? 'AWS/ApplicationELB' : 'AWS/NetworkELB';
  const metric = (tg: TargetGroupMetrics, metricName: string, statistic: string) => new cloudwatch.Metric({
    namespace,
    metricName,
    dimensionsMap: { LoadBalancer: tg.loadBalancerFullName, TargetGroup: tg.targetGroupFullName },
    statistic,
    period: minute,
  });
  type GroupExpression = { expression: string; usingMetrics: Record<string, cloudwatch.IMetric> };
  const worst = (perGroup: (tg: TargetGroupMetrics, i: number) => GroupExpression, label: string) => {
    const parts = context.targetGroups.map(perGroup);
    const usingMetrics = Object.assign({}, ...parts.map(p => p.usingMetrics));
    return new cloudwatch.MathExpression({
      expression: parts.length === 1 ? parts[0].expression : `MAX([${parts.map(p => p.expression).join(', ')}])`,
      usingMetrics,
      period: minute,
      label,
    });
  };
  const alarms: cloudwatch.IAlarm[] = [];
  const path = scope.node.path;

  if (context.isAlb && (o.max5xxPercent === undefined || o.max5xxPercent > 0)) {
    const percent = o.max5xxPercent ?? 5;
    alarms.push(new cloudwatch.Alarm(scope, 'Target5xxAlarm', {
      alarmDescription: `More than ${percent} % of the requests to ${path} ended in a 5xx from the tasks: a rollout in progress rolls back.`,
      // Fewer than 3 errors a minute never fire it (one failed request of two is no signal); no traffic is no datapoint.
      metric: worst((tg, i) => ({
        expression: `IF(FILL(errors${i}, 0) >= 3 AND requests${i} > 0, 100 * FILL(errors${i}, 0) / requests${i}, 0)`,
        usingMetrics: {
          [`errors${i}`]: metric(tg, 'HTTPCode_Target_5XX_Count', 'Sum'),
          [`requests${i}`]: metric(tg, 'RequestCount', 'Sum'),
        },
      }), '5xx responses from the tasks (%)'),
      threshold: percent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }

  const latency = o.maxP99Latency ?? Duration.seconds(10);
  if (context.isAlb && latency.toMilliseconds() > 0) {
    alarms.push(new cloudwatch.Alarm(scope, 'LatencyAlarm', {
      alarmDescription: `p99 response time of ${path} above ${latency.toHumanString()}: a rollout in progress rolls back.`,
      metric: worst((tg, i) => ({
        expression: `latency${i}`,
        usingMetrics: { [`latency${i}`]: metric(tg, 'TargetResponseTime', 'p99') },
      }), 'p99 target response time (s)'),
      threshold: latency.toMilliseconds() / 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }

  if (o.unhealthyTasks ?? true) {
    // New tasks fail health checks while their model loads: only longer than the grace period is a fault.
    const minutes = Math.min(Math.ceil(context.gracePeriod.toSeconds() / 60) + 2, 1440);
    alarms.push(new cloudwatch.Alarm(scope, 'UnhealthyTasksAlarm', {
      alarmDescription: `A task of ${path} stayed unhealthy for ${minutes} minutes (longer than its model load time): a rollout in progress rolls back.`,
      metric: worst((tg, i) => ({
        expression: `FILL(unhealthy${i}, 0)`,
        usingMetrics: { [`unhealthy${i}`]: metric(tg, 'UnHealthyHostCount', 'Maximum') },
      }), 'Unhealthy tasks'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: minutes,
      datapointsToAlarm: minutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }
  return [...alarms, ...o.alarms ?? []];
}

/** What the capacity headroom check reads. @internal */
export interface HeadroomContext {
  readonly strategy: RolloutStrategy;
  readonly capacity: Capacity;
  readonly asg?: WorkloadAsgCapacity;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly cpu: number;
  readonly memoryMiB?: number;
  readonly gpuCount: number;
}

/**
 * Checks that the EC2 capacity provider can hold the old and the new tasks side by side during a
 * rollout. Refuses when even a rollout at `minTasks` cannot start, warns (with the numbers) when one at
 * `maxTasks` would wait for capacity. Skipped for Fargate and for instance types not in our table.
 * @internal
 */
export function checkRolloutHeadroom(scope: IConstruct, context: HeadroomContext): void {
  const asg = context.asg;
  if (context.capacity.isFargate || !asg) return;
  const maxSize = (asg.autoScalingGroup.node.defaultChild as { maxSize?: string } | undefined)?.maxSize;
  const maxInstances = maxSize !== undefined && !isUnresolved(maxSize) ? Number(maxSize) : undefined;
  if (maxInstances === undefined || Number.isNaN(maxInstances)) return;
  const perInstance = Math.min(...asg.instanceTypes.map(t => tasksPerInstance(t.toString(), context)));
  if (!Number.isFinite(perInstance) || perInstance <= 0) return;
  const slots = perInstance * maxInstances;
  const shifts = context.strategy.shiftsTraffic;
  const need = (tasks: number) => (shifts ? 2 * tasks : tasks + 1);
  const what = shifts
    ? `a ${context.strategy.strategy.toLowerCase().replace('_', '/')} rollout starts a whole new fleet beside the old one`
    : 'a rolling rollout needs room for at least one new task beside the old ones';
  const provider = `capacity provider '${asg.capacityProvider.node.path}'`;
  const fits = `${perInstance} task${perInstance === 1 ? '' : 's'} per instance x ${maxInstances} instances = ${slots}`;
  if (slots < need(context.minTasks)) {
    throw new ValidationError(scope,
      `${provider} holds at most ${fits} tasks, but ${what}: ${need(context.minTasks)} tasks at minTasks ${context.minTasks}. ` +
      `Every rollout would wait for capacity forever. Raise the provider's maxCapacity to at least ${Math.ceil(need(context.minTasks) / perInstance)}` +
      (shifts ? ', or use RolloutStrategy.rolling().' : '.'));
  }
  if (slots < need(context.maxTasks)) {
    warn(scope, WarningId.INFERENCE_SERVICE_ROLLOUT_HEADROOM,
      `${provider} holds at most ${fits} tasks, but ${what}: ${need(context.maxTasks)} tasks when the service runs maxTasks ${context.maxTasks}. ` +
      `A rollout at that scale waits for capacity${shifts ? ' and does not start' : ' and replaces tasks a few at a time'}. ` +
      `Raise maxCapacity to ${Math.ceil(need(context.maxTasks) / perInstance)} for rollouts at full scale.`);
  }
}

function tasksPerInstance(instanceType: string, context: HeadroomContext): number {
  const fits: number[] = [];
  const cpu = instanceCpuUnits(instanceType);
  if (cpu !== undefined && !isUnresolved(context.cpu) && context.cpu > 0) fits.push(Math.floor(cpu / context.cpu));
  const memory = instanceMemoryMiB(instanceType);
  // ECS registers somewhat less memory than is installed (the agent and the OS keep some).
  if (memory !== undefined && context.memoryMiB !== undefined && !isUnresolved(context.memoryMiB) && context.memoryMiB > 0) {
    fits.push(Math.floor((memory * 0.95) / context.memoryMiB));
  }
  if (context.gpuCount > 0) {
    const gpus = instanceGpus(instanceType);
    if (gpus !== undefined) fits.push(Math.floor(gpus / context.gpuCount));
  }
  return fits.length > 0 ? Math.min(...fits) : Number.POSITIVE_INFINITY;
}

/**
 * Acknowledges the findings of the roles aws-cdk-lib creates for Lambda hooks given without a role of
 * their own (the fix, a role of the user's, belongs to the user). @internal
 */
export function acknowledgeHookRoles(service: ecs.BaseService, hooks: ecs.IDeploymentLifecycleHookTarget[]): void {
  if (hooks.length === 0) return;
  const reason = 'aws-cdk-lib creates this role for a Lambda lifecycle hook given without a role of its own (DeploymentLifecycleLambdaTarget): ' +
    'its inline policy lets ECS invoke the hook function and its versions (<function>:*) only. Give the target a role to choose its policy.';
  for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) Validations.of(service).acknowledge({ id: `${pack}-IAMNoInlinePolicy`, reason });
  // The function ARNs are known once aws-cdk-lib renders the hooks (binding each target creates its role; the value is cached).
  const rendered = () => (Stack.of(service).resolve((service.node.defaultChild as ecs.CfnService).deploymentConfiguration) as
    { lifecycleHooks?: Array<{ hookTargetArn: unknown }> }).lifecycleHooks ?? [];
  acknowledgeResourceWildcards(service, hooks.map((_, i) => ({
    resource: Fn.join('', [Lazy.any({ produce: () => rendered()[i]?.hookTargetArn }) as unknown as string, ':*']),
    reason,
  })));
}
