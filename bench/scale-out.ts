/**
 * Model of the delay from the first upload to the first scale-out action of a queue worker that runs
 * no task, read from a synthesized template. Two paths can act:
 *
 * - the event path (this library's wake-up): an EventBridge rule target that is a FIFO SQS queue, read
 *   by an `AWS::Pipes::Pipe` whose target is an EXPRESS state machine that calls `ecs:updateService`;
 * - the alarm path: a CloudWatch alarm whose action is a step-scaling policy with a positive step.
 *
 * What comes from the template: which paths exist, the alarm's period × datapoints to alarm, how many
 * waiting messages it takes for the alarm to breach and land in a positive step (evaluated with the
 * metric-math and alarm model of test/deploy-proof/metrics.ts), the pipe's batching window and the
 * scalable target's minimum. What does not (AWS documents no figure, or only an upper bound): the
 * constants below, each with its source.
 */
import { alarmDefinition, MetricTimeline, MISSING_OPERAND_SEMANTICS, runAlarm } from '../test/deploy-proof/metrics';

/** A delay the template does not give, with where the figure comes from. */
export interface ModelTerm {
  readonly seconds: number;
  readonly label: string;
  readonly source: string;
}

/**
 * S3 → EventBridge → rule target. S3: "Typically, event notifications are delivered in seconds but can
 * sometimes take a minute or longer." 2 s is a planning figure for "in seconds", not a documented one.
 */
export const S3_EVENT_DELIVERY: ModelTerm = {
  seconds: 2,
  label: 'S3 → EventBridge → gate queue (planning figure; documented "typically within seconds", tail "a minute or longer")',
  source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html',
};

/**
 * The pipe receives the message. Pipes poll SQS with long polling, which returns as soon as a message
 * is there; no end-to-end latency is documented, so 1 s is a planning figure.
 */
export const PIPE_POLL: ModelTerm = {
  seconds: 1,
  label: 'pipe poll (long polling; planning figure)',
  source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-sqs.html',
};

/**
 * One synchronous Express execution (StartSyncExecution for REQUEST_RESPONSE) with DescribeServices
 * then UpdateService. No latency is documented; 1 s is a planning figure. The gate lets through about
 * one execution per second, far below the ECS service read bucket (refill 20/s) and UpdateService only
 * runs from 0 (service modify bucket refill 5/s).
 */
export const EXPRESS_EXECUTION: ModelTerm = {
  seconds: 1,
  label: 'Express execution: DescribeServices + UpdateService (planning figure)',
  source: 'https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeTargetStateMachineParameters.html, ' +
    'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html',
};

/** SQS metrics are "pushed to CloudWatch at one-minute intervals". */
export const SQS_METRIC_PUBLICATION: ModelTerm = {
  seconds: 60,
  label: 'SQS metric publication',
  source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-monitoring-using-cloudwatch.html',
};

/**
 * A queue is active for up to six hours after a message or any action; after that SQS stops delivering
 * its metrics, and "A delay of up to 15 minutes occurs in CloudWatch metrics when a queue is activated
 * from an inactive state."
 */
export const INACTIVE_QUEUE_DELAY: ModelTerm = {
  seconds: 900,
  label: 'inactive queue: metrics resume up to 15 min late',
  source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-monitoring-using-cloudwatch.html',
};

/** The target the model checks the event path against, in seconds (issue 14). */
export const EVENT_PATH_TARGET_SECONDS = 10;

/** The wake-up path, as found in the template. */
export interface EventPath {
  readonly rule: string;
  readonly gateQueue: string;
  readonly contentBasedDeduplication: boolean;
  readonly pipe: string;
  /** The pipe's `MaximumBatchingWindowInSeconds` (0 when absent). */
  readonly batchingWindowSeconds: number;
  readonly invocationType: string;
  readonly stateMachine: string;
  /** The ECS calls the state machine makes, in definition order. */
  readonly ecsCalls: readonly string[];
}

/** The fastest scale-out alarm, as found in the template. */
export interface AlarmPath {
  readonly alarm: string;
  readonly periodSeconds: number;
  readonly datapointsToAlarm: number;
  /** Period × datapoints to alarm. */
  readonly alarmSeconds: number;
  /** Fewest waiting messages that make the alarm breach into a positive step, from a service at 0 (undefined: none up to the search limit). */
  readonly messagesToScaleOut?: number;
}

/** What the template says about the first scale-out of one workload. */
export interface FirstScaleOut {
  readonly minCapacity?: number;
  readonly eventPath?: EventPath;
  readonly alarmPath?: AlarmPath;
  /** Scale-in alarms of the workload whose metrics include the wake-up metric (`WakeUps`), and all of them. */
  readonly scaleInAlarmsReadingWakeUps: number;
  readonly scaleInAlarms: number;
}

export type Scenario = 'recently active' | 'after a long idle';
export const SCENARIOS: readonly Scenario[] = ['recently active', 'after a long idle'];

/** One row of the table: which path acts first, after how long, and the terms of the figure. */
export interface ScenarioDelay {
  readonly scenario: Scenario;
  readonly firstPath: string;
  readonly delay: string;
  readonly terms: string;
  /** The figure in seconds (for a path that acts on one upload), else undefined. */
  readonly seconds?: number;
}

type Resources = Record<string, any>;

const inWorkload = (r: any, workload: string) => String(r?.Metadata?.['aws:cdk:path'] ?? '').split('/').includes(workload);

/** Logical id named by `{ Ref: X }` or `{ 'Fn::GetAtt': [X, 'Arn'] }`. */
function arnOf(value: any): string | undefined {
  if (typeof value?.Ref === 'string') return value.Ref;
  const getAtt = value?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'Arn' ? getAtt[0] : undefined;
}

/** A template value with every intrinsic replaced by a placeholder, as text. */
function flatten(value: any): string {
  if (typeof value === 'string') return value;
  const join = value?.['Fn::Join'];
  if (Array.isArray(join)) return (join[1] as any[]).map(flatten).join(join[0]);
  return '${token}';
}

/** Finds the event path of `workload`: rule target → FIFO queue → pipe → EXPRESS state machine → ecs:updateService. */
export function findEventPath(template: any, workload: string): EventPath | undefined {
  const resources: Resources = template.Resources ?? {};
  for (const [ruleId, rule] of Object.entries(resources)) {
    if (rule.Type !== 'AWS::Events::Rule' || !inWorkload(rule, workload)) continue;
    for (const target of rule.Properties?.Targets ?? []) {
      const queueId = arnOf(target.Arn);
      const queue = queueId ? resources[queueId] : undefined;
      if (queue?.Type !== 'AWS::SQS::Queue' || queue.Properties?.FifoQueue !== true) continue;
      for (const [pipeId, pipe] of Object.entries(resources)) {
        if (pipe.Type !== 'AWS::Pipes::Pipe' || arnOf(pipe.Properties?.Source) !== queueId) continue;
        const smId = arnOf(pipe.Properties?.Target);
        const sm = smId ? resources[smId] : undefined;
        if (sm?.Type !== 'AWS::StepFunctions::StateMachine' || sm.Properties?.StateMachineType !== 'EXPRESS') continue;
        const definition = sm.Properties.DefinitionString !== undefined
          ? flatten(sm.Properties.DefinitionString)
          : JSON.stringify(sm.Properties.Definition ?? {});
        const ecsCalls = [...definition.matchAll(/:states:::aws-sdk:ecs:(\w+)/g)].map(m => m[1]);
        if (!ecsCalls.includes('updateService')) continue;
        return {
          rule: ruleId,
          gateQueue: queueId!,
          contentBasedDeduplication: queue.Properties.ContentBasedDeduplication === true,
          pipe: pipeId,
          batchingWindowSeconds: pipe.Properties.SourceParameters?.SqsQueueParameters?.MaximumBatchingWindowInSeconds ?? 0,
          // REQUEST_RESPONSE is the documented default.
          invocationType: pipe.Properties.TargetParameters?.StepFunctionStateMachineParameters?.InvocationType ?? 'REQUEST_RESPONSE',
          stateMachine: smId!,
          ecsCalls,
        };
      }
    }
  }
  return undefined;
}

interface Step { lower?: number; upper?: number; adjustment: number }

/** The step a metric value falls in (bounds are offsets from the alarm threshold). */
function stepFor(steps: readonly Step[], delta: number, below: boolean): Step | undefined {
  return steps.find(s => {
    const lo = s.lower ?? -Infinity;
    const hi = s.upper ?? Infinity;
    return below ? lo < delta && delta <= hi : lo <= delta && delta < hi;
  });
}

/** Whether a step raises the desired count of a service at 0. */
function raisesFromZero(policy: any, step: Step): boolean {
  const c = policy.Properties.StepScalingPolicyConfiguration;
  if (c.AdjustmentType === 'PercentChangeInCapacity') return step.adjustment > 0 && (c.MinAdjustmentMagnitude ?? 0) > 0;
  return step.adjustment > 0;
}

const MINUTES = 60;
/** Largest backlog the search for the first scale-out step tries. */
export const MESSAGE_SEARCH_LIMIT = 1_000_000;

/**
 * Whether `messages` waiting in the queue of a service at 0 make the alarm breach into a positive step
 * of one of its policies. Every reading must agree: the other metrics (in-flight messages, Container
 * Insights task counts, wake-ups) absent or published as 0, under both readings of metric math's
 * missing operands.
 */
function scalesOut(template: any, alarmId: string, policies: Map<string, any>, messages: number): boolean {
  const alarm = alarmDefinition(template, alarmId);
  const below = alarm.comparisonOperator.startsWith('Less');
  for (const others of ['absent', 'zero'] as const) {
    const timeline = new MetricTimeline();
    for (const q of alarm.queries) {
      if (!q.metric) continue;
      const value = q.metric.namespace === 'AWS/SQS' && q.metric.metricName === 'ApproximateNumberOfMessagesVisible'
        ? messages
        : others === 'zero' ? 0 : undefined;
      if (value === undefined) continue;
      for (let m = -MINUTES; m < MINUTES; m++) timeline.put(q.metric, m, value);
    }
    for (const semantics of MISSING_OPERAND_SEMANTICS) {
      const run = runAlarm(alarm, timeline, { from: 0, to: MINUTES, semantics });
      const acted = run.scalingInvocations.some(minute => {
        const datapoints = run.evaluations.get(minute)?.datapoints ?? [];
        if (datapoints.length === 0) return false;
        return alarm.alarmActions.some(policyId => {
          const policy = policies.get(policyId);
          if (!policy) return false;
          const c = policy.Properties.StepScalingPolicyConfiguration;
          const value = c.MetricAggregationType === 'Minimum' ? Math.min(...datapoints)
            : c.MetricAggregationType === 'Maximum' ? Math.max(...datapoints)
              : datapoints.reduce((p, x) => p + x, 0) / datapoints.length;
          const steps: Step[] = c.StepAdjustments.map((s: any) => ({
            lower: s.MetricIntervalLowerBound, upper: s.MetricIntervalUpperBound, adjustment: s.ScalingAdjustment,
          }));
          const step = stepFor(steps, value - alarm.threshold, below);
          return step !== undefined && raisesFromZero(policy, step);
        });
      });
      if (!acted) return false;
    }
  }
  return true;
}

/** Fewest waiting messages that scale the service out from 0 (the alarm is monotonic in the backlog). */
function messagesToScaleOut(template: any, alarmId: string, policies: Map<string, any>): number | undefined {
  if (scalesOut(template, alarmId, policies, 1)) return 1;
  let high = 2;
  while (high <= MESSAGE_SEARCH_LIMIT && !scalesOut(template, alarmId, policies, high)) high *= 2;
  if (high > MESSAGE_SEARCH_LIMIT) return undefined;
  let low = high / 2;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (scalesOut(template, alarmId, policies, mid)) high = mid;
    else low = mid;
  }
  return high;
}

/** Finds the scale-out alarm of `workload` that acts on the fewest messages, then the fastest. */
export function findAlarmPath(template: any, workload: string): AlarmPath | undefined {
  const resources: Resources = template.Resources ?? {};
  const policies = new Map(Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy' && inWorkload(r, workload))
    .filter(([, r]) => (r.Properties.StepScalingPolicyConfiguration?.StepAdjustments ?? []).some((s: any) => s.ScalingAdjustment > 0)));
  let best: AlarmPath | undefined;
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::CloudWatch::Alarm' || !inWorkload(r, workload)) continue;
    if (!(r.Properties.AlarmActions ?? []).some((a: any) => policies.has(a?.Ref))) continue;
    const alarm = alarmDefinition(template, id);
    const periodSeconds = alarm.periodMinutes * 60;
    const candidate: AlarmPath = {
      alarm: id,
      periodSeconds,
      datapointsToAlarm: alarm.datapointsToAlarm,
      alarmSeconds: periodSeconds * alarm.datapointsToAlarm,
      messagesToScaleOut: messagesToScaleOut(template, id, policies),
    };
    const rank = (a: AlarmPath) => [a.messagesToScaleOut ?? Infinity, a.alarmSeconds];
    const [cm, cs] = rank(candidate);
    const [bm, bs] = best ? rank(best) : [Infinity, Infinity];
    if (!best || cm < bm || (cm === bm && cs < bs)) best = candidate;
  }
  return best;
}

/** Reads both paths, the scalable target's minimum and the scale-in alarms of `workload`. */
export function firstScaleOut(template: any, workload: string): FirstScaleOut {
  const resources: Resources = template.Resources ?? {};
  const target = Object.values(resources).find(r => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' && inWorkload(r, workload));
  const scaleInPolicies = new Set(Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy' && inWorkload(r, workload))
    .filter(([, r]) => {
      const c = r.Properties.StepScalingPolicyConfiguration;
      return c && (c.AdjustmentType === 'ExactCapacity' || c.StepAdjustments.some((s: any) => s.ScalingAdjustment < 0));
    })
    .map(([id]) => id));
  const scaleInAlarms = Object.values(resources)
    .filter(r => r.Type === 'AWS::CloudWatch::Alarm' && inWorkload(r, workload))
    .filter(r => (r.Properties.AlarmActions ?? []).some((a: any) => scaleInPolicies.has(a?.Ref)));
  const readsWakeUps = (r: any) => (r.Properties.Metrics ?? []).some((m: any) => m.MetricStat?.Metric?.MetricName === 'WakeUps');
  return {
    minCapacity: target?.Properties?.MinCapacity,
    eventPath: findEventPath(template, workload),
    alarmPath: findAlarmPath(template, workload),
    scaleInAlarmsReadingWakeUps: scaleInAlarms.filter(readsWakeUps).length,
    scaleInAlarms: scaleInAlarms.length,
  };
}

/** The event path's typical delay and its terms (the batching window comes from the template). */
export function eventPathSeconds(path: EventPath): { seconds: number; terms: string } {
  const parts: [number, string][] = [
    [S3_EVENT_DELIVERY.seconds, 'S3 → EventBridge'],
    [PIPE_POLL.seconds, 'pipe poll'],
    [path.batchingWindowSeconds, 'batching window (template)'],
    [EXPRESS_EXECUTION.seconds, `Express ${path.ecsCalls.map(c => c[0].toUpperCase() + c.slice(1)).join(' + ')}`],
  ];
  return {
    seconds: parts.reduce((sum, [s]) => sum + s, 0),
    terms: parts.map(([s, label]) => `${s} s ${label}`).join(' + '),
  };
}

/** The alarm path's delay in a scenario and its terms. */
export function alarmPathSeconds(path: AlarmPath, scenario: Scenario): { seconds: number; terms: string } {
  const idle = scenario === 'after a long idle';
  const seconds = path.alarmSeconds + SQS_METRIC_PUBLICATION.seconds + (idle ? INACTIVE_QUEUE_DELAY.seconds : 0);
  const terms = `${path.periodSeconds} s × ${path.datapointsToAlarm} alarm + ${SQS_METRIC_PUBLICATION.seconds} s SQS publication` +
    (idle ? ` + up to ${INACTIVE_QUEUE_DELAY.seconds} s inactive queue` : '');
  return { seconds, terms };
}

const minutes = (s: number) => (s >= 120 ? ` (${+(s / 60).toFixed(1)} min)` : '');

/** The rows of one app: per scenario, the path that acts first on one upload, its delay and its terms. */
export function scenarioDelays(model: FirstScaleOut): ScenarioDelay[] {
  return SCENARIOS.map(scenario => {
    if ((model.minCapacity ?? 0) > 0) {
      return { scenario, firstPath: 'none needed', delay: '0 s', terms: `MinCapacity ${model.minCapacity} keeps a task running` };
    }
    const idle = scenario === 'after a long idle';
    const upTo = idle ? 'up to ' : '';
    const alarm = model.alarmPath ? alarmPathSeconds(model.alarmPath, scenario) : undefined;
    const alarmActsOnOne = model.alarmPath?.messagesToScaleOut === 1;
    if (model.eventPath) {
      const event = eventPathSeconds(model.eventPath);
      const backstop = alarm && alarmActsOnOne ? `; alarm backstop ${upTo}${alarm.seconds} s = ${alarm.terms}` : '';
      return {
        scenario,
        firstPath: 'event path',
        delay: `≈ ${event.seconds} s (typical)`,
        terms: `${event.terms}${backstop}`,
        seconds: event.seconds,
      };
    }
    if (alarm && alarmActsOnOne) {
      return { scenario, firstPath: 'alarm path', delay: `${upTo}${alarm.seconds} s${minutes(alarm.seconds)}`, terms: alarm.terms, seconds: alarm.seconds };
    }
    if (alarm && model.alarmPath?.messagesToScaleOut !== undefined) {
      const n = model.alarmPath.messagesToScaleOut;
      return {
        scenario,
        firstPath: 'alarm path',
        delay: `never for a single message (first step at ${n} messages); ${upTo}${alarm.seconds} s${minutes(alarm.seconds)} once ${n} wait`,
        terms: alarm.terms,
      };
    }
    return { scenario, firstPath: 'none', delay: 'never', terms: 'no event path and no scale-out alarm found' };
  });
}
