/**
 * Metric semantics of the InferenceService deployment alarms and of its request-count scaling over
 * both target groups: timelines of a canary rollout in which
 * the new tasks' traffic, errors, latency and health arrive in the alternate target group while the
 * primary one goes quiet, under both readings of a missing operand.
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { alarmDefinition, MetricId, MetricTimeline, MISSING_OPERAND_SEMANTICS, runAlarm, targetTrackingSeries } from './metrics';
import { IMAGE, workloadStack } from './scenarios';
import { InferenceService, RolloutStrategy } from '../../src';

const { stack, workload: service } = workloadStack((s, cluster) => new InferenceService(s, 'Inference', {
  cluster, image: IMAGE, rollout: RolloutStrategy.canary(), modelLoadTime: Duration.minutes(4),
}));
const template = Template.fromStack(stack).toJSON();
const id = (child: string) => stack.getLogicalId(service.node.findChild(child).node.defaultChild as never);
const groups = [service.targetGroup, service.alternateTargetGroup!];

/** A target-group metric as the alarms name it in the template. */
function metric(group: 0 | 1, metricName: string, stat: string): MetricId {
  return {
    namespace: 'AWS/ApplicationELB',
    metricName,
    stat,
    dimensions: stack.resolve({
      LoadBalancer: service.applicationLoadBalancer!.loadBalancerFullName,
      TargetGroup: (groups[group] as unknown as { targetGroupFullName: string }).targetGroupFullName,
    }),
  };
}

/** Minutes at which the alarm goes to ALARM, under each reading of a missing operand (they must agree). */
function alarmsAt(alarm: string, timeline: MetricTimeline, to = 40): number[] {
  const definition = alarmDefinition(template, id(alarm));
  const runs = MISSING_OPERAND_SEMANTICS.map(semantics => runAlarm(definition, timeline, { from: 0, to, semantics }).transitionsToAlarm);
  expect(runs[1]).toEqual(runs[0]);
  return [...runs[0]];
}

/** Traffic on the primary group until `shiftAt`, on the alternate one from then on. */
function traffic(timeline: MetricTimeline, shiftAt: number, perMinute: (minute: number) => { requests: number; errors?: number }, to = 40) {
  for (let m = 0; m <= to; m++) {
    const group = m < shiftAt ? 0 : 1;
    const { requests, errors } = perMinute(m);
    if (requests > 0) timeline.put(metric(group, 'RequestCount', 'Sum'), m, requests);
    if (errors) timeline.put(metric(group, 'HTTPCode_Target_5XX_Count', 'Sum'), m, errors);
  }
  return timeline;
}

describe('5xx share', () => {
  test('no traffic at all publishes nothing: never ALARM', () => {
    expect(alarmsAt('Target5xxAlarm', new MetricTimeline())).toEqual([]);
  });

  test('a bad revision behind the alternate group after the shift: ALARM after two breaching minutes, though the primary group is silent', () => {
    const t = traffic(new MetricTimeline(), 10, m => (m < 10 ? { requests: 100, errors: 1 } : { requests: 100, errors: 20 }));
    expect(alarmsAt('Target5xxAlarm', t)).toEqual([12]);
  });

  test('a healthy revision with the usual background of errors: never ALARM', () => {
    const t = traffic(new MetricTimeline(), 10, () => ({ requests: 200, errors: 4 }));
    expect(alarmsAt('Target5xxAlarm', t)).toEqual([]);
  });

  test('two failures out of two requests a minute (a trickle) stay below the 3-error floor: never ALARM', () => {
    const t = traffic(new MetricTimeline(), 10, () => ({ requests: 2, errors: 2 }));
    expect(alarmsAt('Target5xxAlarm', t)).toEqual([]);
  });

  test('one bad minute is not a rollback', () => {
    const t = traffic(new MetricTimeline(), 10, m => ({ requests: 100, errors: m === 15 ? 50 : 0 }));
    expect(alarmsAt('Target5xxAlarm', t)).toEqual([]);
  });
});

describe('unhealthy tasks', () => {
  /** New tasks registered in the alternate group at `from`, unhealthy for `minutes`, healthy afterwards. */
  function loading(minutes: number, from = 10): MetricTimeline {
    const t = new MetricTimeline();
    for (let m = 0; m <= 40; m++) {
      t.put(metric(0, 'UnHealthyHostCount', 'Maximum'), m, 0);
      if (m >= from) t.put(metric(1, 'UnHealthyHostCount', 'Maximum'), m, m < from + minutes ? 2 : 0);
    }
    return t;
  }

  test('the alarm waits the grace period (model load 4 minutes + 1) plus 2 minutes', () => {
    expect(alarmDefinition(template, id('UnhealthyTasksAlarm')).evaluationPeriods).toBe(7);
  });

  test('tasks failing their checks while the model loads (5 minutes): never ALARM', () => {
    expect(alarmsAt('UnhealthyTasksAlarm', loading(5))).toEqual([]);
  });

  test('tasks that never become healthy: ALARM once they have failed for 7 minutes', () => {
    expect(alarmsAt('UnhealthyTasksAlarm', loading(30))).toEqual([17]);
  });

  test('the primary group alone publishing (before the rollout): never ALARM', () => {
    const t = new MetricTimeline();
    for (let m = 0; m <= 40; m++) t.put(metric(0, 'UnHealthyHostCount', 'Maximum'), m, 0);
    expect(alarmsAt('UnhealthyTasksAlarm', t)).toEqual([]);
  });
});

describe('p99 latency', () => {
  function latency(seconds: (minute: number) => number): MetricTimeline {
    const t = new MetricTimeline();
    for (let m = 0; m <= 40; m++) t.put(metric(m < 10 ? 0 : 1, 'TargetResponseTime', 'p99'), m, seconds(m));
    return t;
  }

  test('a slower revision (12 s p99 against the 10 s default): ALARM once three breaching minutes are visible', () => {
    expect(alarmsAt('LatencyAlarm', latency(m => (m < 10 ? 0.8 : 12)))).toEqual([13]);
  });

  test('two slow minutes: never ALARM', () => {
    expect(alarmsAt('LatencyAlarm', latency(m => (m === 20 || m === 21 ? 30 : 0.8)))).toEqual([]);
  });
});

describe('request-count scaling over both target groups', () => {
  const policy = stack.getLogicalId(service.node.findChild('RequestScaling').node.findChild('Resource') as never);
  const desired: MetricId = {
    namespace: 'ECS/ContainerInsights',
    metricName: 'DesiredTaskCount',
    stat: 'Average',
    dimensions: stack.resolve({ ClusterName: service.service.cluster.clusterName, ServiceName: service.service.serviceName }),
  };

  test('240 requests a minute to 4 desired tasks read 60 per task before, during and after the shift (the primary group goes silent)', () => {
    const t = traffic(new MetricTimeline(), 10, () => ({ requests: 240 }));
    // During the canary both fleets run (8 tasks), but the service still wants 4.
    for (let m = 0; m <= 40; m++) t.put(desired, m, 4);
    for (const semantics of MISSING_OPERAND_SEMANTICS) {
      const series = targetTrackingSeries(template, policy, t, { from: 5, to: 30, semantics, window: 1 });
      for (const [minute, values] of series) {
        expect({ minute, semantics, values: [...values.values()] }).toEqual({ minute, semantics, values: [60] });
      }
    }
  });

  test('no Container Insights datapoint for the desired count: no value, so target tracking does not act on a guess', () => {
    const t = traffic(new MetricTimeline(), 10, () => ({ requests: 240 }));
    for (const semantics of MISSING_OPERAND_SEMANTICS) {
      const series = targetTrackingSeries(template, policy, t, { from: 5, to: 20, semantics, window: 1 });
      for (const [minute, values] of series) expect({ minute, semantics, values: [...values.values()] }).toEqual({ minute, semantics, values: [] });
    }
  });
});
