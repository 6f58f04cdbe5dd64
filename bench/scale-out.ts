/** Worst-case delay from the first queued message to the first scale-out action, read from a template. */
export interface ScaleOutDelay {
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly seconds: number;
}

/**
 * Finds the workload's alarms that trigger a step-scaling policy with a positive adjustment and
 * returns the fastest one's period × datapoints needed to alarm.
 */
export function scaleOutDelaySeconds(template: any, workload: string): ScaleOutDelay | undefined {
  const resources: Record<string, any> = template.Resources ?? {};
  const inWorkload = (r: any) => String(r.Metadata?.['aws:cdk:path'] ?? '').split('/').includes(workload);
  const scaleOutPolicies = new Set(Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy' && inWorkload(r))
    .filter(([, r]) => (r.Properties.StepScalingPolicyConfiguration?.StepAdjustments ?? [])
      .some((s: any) => s.ScalingAdjustment > 0))
    .map(([id]) => id));
  let best: ScaleOutDelay | undefined;
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::CloudWatch::Alarm' || !inWorkload(r)) continue;
    const actions: any[] = r.Properties.AlarmActions ?? [];
    if (!actions.some(a => scaleOutPolicies.has(a?.Ref))) continue;
    const periods: number[] = r.Properties.Period !== undefined
      ? [r.Properties.Period]
      : (r.Properties.Metrics ?? []).map((m: any) => m.MetricStat?.Period ?? m.Period).filter((p: any) => p !== undefined);
    const period = Math.max(...periods);
    const evaluationPeriods = r.Properties.DatapointsToAlarm ?? r.Properties.EvaluationPeriods;
    const seconds = period * evaluationPeriods;
    if (!best || seconds < best.seconds) best = { period, evaluationPeriods, seconds };
  }
  return best;
}
