import { Duration, Names } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct, IConstruct } from 'constructs';
import type { TargetGroupMetrics } from './rollout';
import { checkRange, ValidationError } from '../core/errors';

/** The load a predictive scaling policy forecasts. */
export enum PredictiveScalingMetric {
  /** Average CPU utilization of the service's tasks. */
  CPU = 'CPU',
  /** Average memory utilization of the service's tasks. */
  MEMORY = 'MEMORY',
}

/** Predictive scaling of an `InferenceService`. */
export interface PredictiveScalingOptions {
  /**
   * What to forecast.
   * @default PredictiveScalingMetric.CPU
   */
  readonly metric?: PredictiveScalingMetric;

  /**
   * Utilization the forecast capacity aims for, in percent.
   * @default 60
   */
  readonly targetUtilizationPercent?: number;

  /**
   * Whether the policy only publishes forecasts (to compare with the real load) instead of scaling.
   * Start with true for a week or two if the load has no regular daily or weekly pattern.
   * @default false
   */
  readonly forecastOnly?: boolean;

  /**
   * How long before the forecast load the tasks start (0–3600 seconds): at least the time a task
   * takes to pass its health checks, model loading included.
   * @default Duration.minutes(10)
   */
  readonly schedulingBufferTime?: Duration;
}

/** Validates predictive scaling options. @internal */
export function validatePredictiveScaling(scope: IConstruct, options: PredictiveScalingOptions): void {
  checkRange(scope, 'predictiveScaling.targetUtilizationPercent', options.targetUtilizationPercent, 1, 100, 'Give a percentage, e.g. 60.');
  const buffer = options.schedulingBufferTime?.toSeconds({ integral: false });
  if (buffer !== undefined && (buffer < 0 || buffer >= 3600 || !Number.isInteger(buffer))) {
    throw new ValidationError(scope,
      `predictiveScaling.schedulingBufferTime must be a whole number of seconds from 0 to 3599 (less than the forecast's one-hour interval), got ${buffer} seconds. ` +
      'Give the time a task needs to start and load its model, e.g. Duration.minutes(10).');
  }
}

/**
 * Adds a predictive scaling policy. Application Auto Scaling takes the highest capacity of all the
 * service's policies, so the forecast never lowers what target tracking asks for.
 * @internal
 */
export function scalePredictively(scope: Construct, scaling: ecs.ScalableTaskCount, options: PredictiveScalingOptions): void {
  validatePredictiveScaling(scope, options);
  const id = new Construct(scope, 'PredictiveScaling');
  const metric = options.metric ?? PredictiveScalingMetric.CPU;
  // L1: aws-cdk-lib's Application Auto Scaling L2 has no predictive scaling policy.
  new appscaling.CfnScalingPolicy(id, 'Resource', {
    policyName: Names.uniqueId(id),
    policyType: 'PredictiveScaling',
    scalingTargetId: scalableTarget(scaling).scalableTargetId,
    predictiveScalingPolicyConfiguration: {
      mode: options.forecastOnly ? 'ForecastOnly' : 'ForecastAndScale',
      schedulingBufferTime: (options.schedulingBufferTime ?? Duration.minutes(10)).toSeconds(),
      maxCapacityBreachBehavior: 'HonorMaxCapacity',
      metricSpecifications: [{
        targetValue: options.targetUtilizationPercent ?? 60,
        predefinedMetricPairSpecification: {
          predefinedMetricType: metric === PredictiveScalingMetric.MEMORY ? 'ECSServiceMemoryUtilization' : 'ECSServiceCPUUtilization',
        },
      }],
    },
  });
}

/** What request-count tracking over two target groups reads. @internal */
export interface RequestsOfBothOptions {
  readonly requestsPerTask: number;
  readonly targetGroups: TargetGroupMetrics[];
  readonly clusterName: string;
  readonly serviceName: string;
}

/**
 * Request-count target tracking for a service whose traffic alternates between two target groups:
 * the requests of both per task the service wants. (The predefined ALBRequestCountPerTarget reads one
 * target group, which receives no request after every other traffic-shifting rollout.)
 * @internal
 */
export function scaleOnRequestsOfBoth(scope: Construct, scaling: ecs.ScalableTaskCount, options: RequestsOfBothOptions): void {
  const id = new Construct(scope, 'RequestScaling');
  const dimension = (name: string, value: string) => ({ name, value });
  const requests = options.targetGroups.map((tg, i) => ({
    id: `requests${i}`,
    metricStat: {
      metric: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        dimensions: [dimension('LoadBalancer', tg.loadBalancerFullName), dimension('TargetGroup', tg.targetGroupFullName)],
      },
      stat: 'Sum',
    },
    returnData: false,
  }));
  // L1: the L2 TargetTrackingScalingPolicy accepts a single metric only and rejects a MathExpression.
  new appscaling.CfnScalingPolicy(id, 'Resource', {
    policyName: Names.uniqueId(id),
    policyType: 'TargetTrackingScaling',
    scalingTargetId: scalableTarget(scaling).scalableTargetId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: options.requestsPerTask,
      customizedMetricSpecification: {
        metrics: [
          ...requests,
          {
            // The count the service asks for, not the running tasks: during a rollout both fleets run.
            id: 'desired',
            metricStat: {
              metric: {
                namespace: 'ECS/ContainerInsights',
                metricName: 'DesiredTaskCount',
                dimensions: [dimension('ClusterName', options.clusterName), dimension('ServiceName', options.serviceName)],
              },
              stat: 'Average',
            },
            returnData: false,
          },
          {
            id: 'requestsPerTask',
            // No traffic is 0 requests; no desired-count datapoint (Container Insights late) is no datapoint.
            expression: `(${requests.map(r => `FILL(${r.id}, 0)`).join(' + ')}) / IF(desired > 0, desired, 1)`,
            label: 'Requests per task per minute (both target groups)',
            returnData: true,
          },
        ],
      },
    },
  });
}

function scalableTarget(scaling: ecs.ScalableTaskCount): appscaling.ScalableTarget {
  // BaseScalableAttribute keeps its ScalableTarget as the child 'Target' and exposes no getter.
  return scaling.node.findChild('Target') as appscaling.ScalableTarget;
}
