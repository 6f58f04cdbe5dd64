/**
 * Issue 14 (wake-up without Lambda), metric timelines: the event path that raises the worker's desired
 * count from 0 within the minute of an upload, played against the scaling alarms of the template in
 * closed loop, with the gaps AWS really produces after a long idle (SQS metrics late or absent for up
 * to 15 minutes after the queue becomes active again, no in-flight metric, late Container Insights),
 * under both readings of how metric math treats a missing operand. The evaluator and the step scaling
 * simulator are in `metrics.ts`; the wake-up state machine is an `external` actor of the simulator.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { CfnTemplate, logicalIdsOfType } from './graph';
import { MetricId, MetricTimeline, MISSING_OPERAND_SEMANTICS, MissingOperand, ScalingSimulation, simulateStepScaling, targetTrackingSeries } from './metrics';
import { IMAGE, workloadStack } from './scenarios';
import { BatchQueueWorker } from '../../src';
import { WAKE_UP_HOLD_METRIC, WAKE_UP_HOLD_MINUTES, WAKE_UP_METRIC, WAKE_UP_NAMESPACE } from '../../src/batch-queue-worker/wake-up';

// SQS metric publishing (SQS developer guide, "Available CloudWatch metrics for Amazon SQS"): metrics
// only for a queue active within the last six hours (any API call is activity); after an inactive
// queue becomes active again its metrics may take up to 15 minutes to appear;
// ApproximateNumberOfMessagesNotVisible only while messages are in flight.
const SQS_ACTIVE_MINUTES = 6 * 60;
const SQS_RESUME_MINUTES = 15;
const MAX_TASKS = 10;
/** Minute of the first upload; the queue's last activity was at minute 0 (7 hours of idle). */
const IDLE = 7 * 60;
/** Minutes simulated before the first upload: the alarms settle (the idle scale-in alarm is in ALARM). */
const WARM_UP = 20;

/**
 * How SQS publishes the first minutes after the queue becomes active again: `late`, every datapoint
 * of those 15 minutes appears at once when the metrics resume (the first one 15 minutes late);
 * `absent`, none of them is ever published.
 */
type Resume = 'late' | 'absent';
const RESUMES: readonly Resume[] = ['late', 'absent'];

interface WorkerMetrics {
  readonly visible: MetricId;
  readonly inFlight: MetricId;
  readonly running: MetricId;
  readonly desired: MetricId;
  readonly wakeUps: MetricId;
  readonly hold: MetricId;
}

interface Fixture {
  readonly template: CfnTemplate;
  readonly metrics: WorkerMetrics;
  readonly idleAlarm: string;
  readonly idlePolicy: string;
  readonly targetTracking: string;
  readonly targetValue: number;
}

function dimensionsOf(list: unknown): { [name: string]: unknown } {
  const out: { [name: string]: unknown } = {};
  for (const d of (list as { Name: string; Value: unknown }[] | undefined) ?? []) out[d.Name] = d.Value;
  return out;
}

/** Every metric the template's scaling alarms and scaling policies query, by namespace and name. */
function templateMetrics(template: CfnTemplate): Map<string, MetricId> {
  const resources = template.Resources ?? {};
  const scaling = (r: any) => (r.Properties?.AlarmActions ?? []).some((a: any) => resources[a?.Ref]?.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy');
  const out = new Map<string, MetricId>();
  const add = (m: any) => {
    const metric = m?.MetricStat?.Metric;
    if (!metric) return;
    const id: MetricId = { namespace: metric.Namespace, metricName: metric.MetricName, dimensions: dimensionsOf(metric.Dimensions) };
    const key = `${id.namespace}/${id.metricName}`;
    const seen = out.get(key);
    if (seen && JSON.stringify(seen.dimensions) !== JSON.stringify(id.dimensions)) throw new Error(`${key} is queried with two sets of dimensions`);
    out.set(key, id);
  };
  for (const r of Object.values<any>(resources)) {
    if (r.Type === 'AWS::CloudWatch::Alarm' && scaling(r)) (r.Properties?.Metrics ?? []).forEach(add);
    if (r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy') (r.Properties?.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification?.Metrics ?? []).forEach(add);
  }
  return out;
}

function fixture(name: string, wakeUp?: boolean): Fixture {
  const { stack, cluster, workload: worker } = workloadStack((s, c) =>
    new BatchQueueWorker(s, 'Worker', { cluster: c, image: IMAGE, maxTasks: MAX_TASKS, wakeUp }), { stackName: name });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const resources = template.Resources ?? {};
  const fromTemplate = templateMetrics(template);
  const need = (key: string): MetricId => {
    const m = fromTemplate.get(key);
    if (!m) throw new Error(`${name}: no alarm or scaling policy queries ${key}`);
    return m;
  };
  // The template without a wake-up path queries no WakeUps metric: the state machine would publish
  // it with the cluster's and the service's names all the same.
  const published = (metricName: string): MetricId => fromTemplate.get(`${WAKE_UP_NAMESPACE}/${metricName}`) ?? {
    namespace: WAKE_UP_NAMESPACE,
    metricName,
    dimensions: { ClusterName: stack.resolve(cluster.cluster.clusterName), ServiceName: stack.resolve(worker.service.serviceName) },
  };
  const wakeUps = published(WAKE_UP_METRIC);
  const hold = published(WAKE_UP_HOLD_METRIC);
  const policies = logicalIdsOfType(template, 'AWS::ApplicationAutoScaling::ScalingPolicy');
  const idlePolicy = policies.find(id => resources[id].Properties?.StepScalingPolicyConfiguration?.AdjustmentType === 'ExactCapacity');
  const idleAlarm = logicalIdsOfType(template, 'AWS::CloudWatch::Alarm')
    .find(id => (resources[id].Properties?.AlarmActions ?? []).some((a: any) => a?.Ref === idlePolicy));
  const targetTracking = policies.filter(id => resources[id].Properties?.PolicyType === 'TargetTrackingScaling');
  if (!idlePolicy || !idleAlarm || targetTracking.length !== 1) throw new Error(`${name}: expected an idle scale-in policy with its alarm and one target-tracking policy`);
  return {
    template,
    idleAlarm,
    idlePolicy,
    targetTracking: targetTracking[0],
    targetValue: resources[targetTracking[0]].Properties!.TargetTrackingScalingPolicyConfiguration.TargetValue,
    metrics: {
      visible: need('AWS/SQS/ApproximateNumberOfMessagesVisible'),
      inFlight: need('AWS/SQS/ApproximateNumberOfMessagesNotVisible'),
      running: need('ECS/ContainerInsights/RunningTaskCount'),
      desired: need('ECS/ContainerInsights/DesiredTaskCount'),
      wakeUps,
      hold,
    },
  };
}

interface Job {
  readonly uploadedAt: number;
  startedAt?: number;
  endsAt?: number;
}

interface Task {
  readonly id: number;
  /** First minute the task runs (Fargate: about a minute after it was launched). */
  readonly runningFrom: number;
  job?: Job;
}

interface WorldOptions {
  readonly jobMinutes: number;
  /** Uploads per minute; each is one job message. */
  readonly uploads: ReadonlyMap<number, number>;
  readonly resume: Resume;
  /** Minutes Container Insights datapoints are late. @default 0 */
  readonly ciLateBy?: number;
  /** Whether SQS publishes ApproximateNumberOfMessagesNotVisible while messages are in flight. @default true */
  readonly inFlightPublished?: boolean;
}

interface TraceRow {
  readonly minute: number;
  readonly desired: number;
  readonly pending: number;
  readonly running: number;
  readonly busy: number;
  /** Messages waiting when the minute began (before this minute's uploads). */
  readonly waitingBefore: number;
  readonly waiting: number;
}

/**
 * The queue, the ECS service and its tasks, minute by minute. Each minute (`step`), given the desired
 * count in effect: jobs that are done end (their task unprotects itself); ECS reconciles the service
 * with the desired count (it launches tasks, which run from the next minute, or stops pending and
 * idle tasks, never a protected one); launched tasks start running; the minute's uploads arrive; every
 * idle running task protects itself and receives one message; then SQS and Container Insights publish
 * the minute's datapoints as AWS does.
 */
class World {
  public readonly jobs: Job[] = [];
  public readonly trace: TraceRow[] = [];
  /** Tasks stopped while they held a job (task protection should make this impossible). */
  public readonly interrupted: { minute: number; task: number }[] = [];
  /** Minutes at which ECS wanted to stop more tasks than it could, because they were protected. */
  public readonly protectionHeld: { minute: number; desired: number; busy: number }[] = [];
  private readonly waiting: Job[] = [];
  private tasks: Task[] = [];
  private nextTask = 0;
  /** The queue's last activity was at minute 0: inactive from minute 360 on. */
  private lastActivity = 0;
  private activatedAt = -Infinity;

  constructor(private readonly metrics: WorkerMetrics, private readonly options: WorldOptions) {}

  public readonly step = (minute: number, desired: number, tl: MetricTimeline): void => {
    for (const t of this.tasks) {
      if (t.job && t.job.endsAt! <= minute) t.job = undefined;
    }
    const waitingBefore = this.waiting.length;
    this.reconcile(minute, desired);
    const running = this.tasks.filter(t => t.runningFrom <= minute);
    const arriving = this.options.uploads.get(minute) ?? 0;
    for (let i = 0; i < arriving; i++) {
      const job: Job = { uploadedAt: minute };
      this.jobs.push(job);
      this.waiting.push(job);
    }
    const visibleMax = this.waiting.length; // the per-minute maximum includes messages received later in the minute
    for (const t of running) {
      if (t.job || this.waiting.length === 0) continue;
      const job = this.waiting.shift()!;
      job.startedAt = minute;
      job.endsAt = minute + this.options.jobMinutes;
      t.job = job;
    }
    const busy = running.filter(t => t.job).length;
    if (arriving > 0 || running.length > 0) this.activity(minute); // SendMessage, ReceiveMessage
    this.publishSqs(tl, minute, visibleMax, busy);
    const lateBy = this.options.ciLateBy ?? 0;
    tl.put(this.metrics.running, minute, running.length, { lateBy });
    // The desired count as the minute began: a wake-up later in the minute is not in this sample.
    tl.put(this.metrics.desired, minute, desired, { lateBy });
    const pending = this.tasks.length - running.length;
    this.trace.push({ minute, desired, pending, running: running.length, busy, waitingBefore, waiting: this.waiting.length });
  };

  /** ECS applies a desired count: launches tasks, or stops pending, then idle ones, never a protected one. */
  public reconcile(minute: number, desired: number): void {
    while (this.tasks.length < desired) this.tasks.push({ id: this.nextTask++, runningFrom: minute + 1 });
    let surplus = this.tasks.length - desired;
    if (surplus <= 0) return;
    const order = [...this.tasks].sort((a, b) => (a.runningFrom > minute ? 0 : 1) - (b.runningFrom > minute ? 0 : 1));
    const stopped = new Set<Task>();
    for (const t of order) {
      if (surplus === 0) break;
      if (t.job) continue; // protected
      stopped.add(t);
      surplus--;
    }
    if (surplus > 0) this.protectionHeld.push({ minute, desired, busy: this.tasks.filter(t => t.job).length });
    for (const t of stopped) if (t.job) this.interrupted.push({ minute, task: t.id });
    this.tasks = this.tasks.filter(t => !stopped.has(t));
  }

  public uploadsAt(minute: number): number {
    return this.options.uploads.get(minute) ?? 0;
  }

  public get taskCount(): number {
    return this.tasks.length;
  }

  private activity(minute: number): void {
    if (minute - this.lastActivity >= SQS_ACTIVE_MINUTES) this.activatedAt = minute;
    this.lastActivity = minute;
  }

  private publishSqs(tl: MetricTimeline, minute: number, visible: number, inFlight: number): void {
    if (minute - this.lastActivity >= SQS_ACTIVE_MINUTES) return; // inactive: nothing at all
    let lateBy = 0;
    if (minute < this.activatedAt + SQS_RESUME_MINUTES) {
      if (this.options.resume === 'absent') return;
      lateBy = this.activatedAt + SQS_RESUME_MINUTES - minute;
    }
    tl.put(this.metrics.visible, minute, visible, { lateBy });
    if (inFlight > 0 && (this.options.inFlightPublished ?? true)) tl.put(this.metrics.inFlight, minute, inFlight, { lateBy });
  }
}

/**
 * The actors outside the step scaling policies, run each minute after the environment:
 *
 * - the wake-up state machine (src/batch-queue-worker/wake-up.ts): within the minute of an upload, if
 *   the desired count is 0, `UpdateService` to 1 (max(minTasks, 1) with minTasks 0), one `WakeUps`
 *   datapoint (Sum 1) for that minute and a `WakeUpHold` datapoint of 1 for that minute and each of the
 *   15 after it (future timestamps); ECS launches the task at once, so it runs from the next minute;
 * - target tracking, which `simulateStepScaling` does not model, minimally: Application Auto Scaling's
 *   high alarm on the customized metric (the 3 most recent one-minute datapoints of its evaluation
 *   range, taken as 5 minutes as for the other alarms, all above the target value), then the capacity
 *   proportional to the latest value, ceil(current × value ÷ target), scale-out only (the policy
 *   disables scale-in), clamped to maxTasks. Scaling from 0 is left to the fast path (a proportional
 *   change of 0 tasks is 0), as the library's design assumes.
 */
class Actors {
  public readonly wakeUps: number[] = [];
  public readonly targetTracking: { minute: number; before: number; after: number; value: number }[] = [];

  constructor(private readonly f: Fixture, private readonly world: World, private readonly semantics: MissingOperand) {}

  public readonly act = (minute: number, desired: number, tl: MetricTimeline): number | undefined => {
    let next = desired;
    if (this.world.uploadsAt(minute) > 0 && next === 0) {
      next = 1;
      this.wakeUps.push(minute);
      tl.put(this.f.metrics.wakeUps, minute, 1);
      for (let m = minute; m <= minute + WAKE_UP_HOLD_MINUTES; m++) tl.put(this.f.metrics.hold, m, 1);
      this.world.reconcile(minute, next);
    }
    const now = minute + 1;
    const range = targetTrackingSeries(this.f.template, this.f.targetTracking, tl, { from: now, to: now, semantics: this.semantics, window: 5 })
      .get(now)!;
    const latest = [...range].sort(([a], [b]) => b - a).slice(0, 3).map(([, v]) => v);
    if (next >= 1 && latest.length === 3 && latest.every(v => v > this.f.targetValue)) {
      const value = latest[0];
      const wanted = Math.min(MAX_TASKS, Math.ceil(next * value / this.f.targetValue));
      if (wanted > next) {
        this.targetTracking.push({ minute: now, before: next, after: wanted, value });
        next = wanted;
      }
    }
    return next === desired ? undefined : next;
  };
}

interface Run {
  readonly world: World;
  readonly actors: Actors;
  readonly sim: ScalingSimulation;
  readonly to: number;
}

function run(f: Fixture, semantics: MissingOperand, options: WorldOptions & { readonly to: number }): Run {
  const world = new World(f.metrics, options);
  const actors = new Actors(f, world, semantics);
  // The queue was last active at minute 0; the simulation starts WARM_UP minutes before the first upload.
  const sim = simulateStepScaling(f.template, {
    from: IDLE - WARM_UP, to: options.to, initialDesired: 0, semantics, environment: world.step, external: actors.act,
  });
  return { world, actors, sim, to: options.to };
}

/** Minute-by-minute trace of what changed, around the minutes given. */
function trace(r: Run, around: readonly number[], span = 3): string {
  const show = new Set<number>();
  for (const m of around) for (let t = m - span; t <= m + span; t++) show.add(t);
  const rows = r.world.trace.filter(row => show.has(row.minute));
  return rows.map(row => {
    const events = [
      ...r.actors.wakeUps.filter(m => m === row.minute).map(() => 'wake-up 0 → 1 (WakeUps 1)'),
      ...r.actors.targetTracking.filter(x => x.minute === row.minute + 1).map(x => `target tracking ${x.before} → ${x.after} (backlog/task ${x.value})`),
      ...r.sim.invocations.filter(i => i.minute === row.minute + 1 && i.before !== i.after).map(i => `${i.policy} ${i.before} → ${i.after}`),
    ];
    const up = r.world.uploadsAt(row.minute);
    return `  minute ${row.minute}: desired ${row.desired}, tasks pending ${row.pending} running ${row.running} with a job ${row.busy}, ` +
      `waiting ${row.waitingBefore}${up ? ` + ${up} uploaded` : ''} → ${row.waiting}` + (events.length ? `; at its end: ${events.join(', ')}` : '');
  }).join('\n');
}

/** The guarantees every timeline must keep. Returns one line per broken guarantee, with a trace. */
function guarantees(r: Run, what: string, options: { readonly startWithin?: number } = {}): string[] {
  const failures: string[] = [];
  const { world, sim } = r;
  if (world.interrupted.length) failures.push(`${what}: tasks holding a job were stopped at minutes ${world.interrupted.map(x => x.minute).join(', ')}`);
  const held = world.protectionHeld;
  if (held.length) {
    failures.push(`${what}: the desired count fell below the tasks holding a job (only task protection kept them) at minutes ` +
      `${held.slice(0, 5).map(h => `${h.minute} (desired ${h.desired}, ${h.busy} with a job)`).join(', ')}:\n${trace(r, [held[0].minute])}`);
  }
  const undone = world.trace.filter(row => row.desired === 0 && row.waitingBefore > 0);
  if (undone.length) {
    failures.push(`${what}: the service wanted no task while jobs waited, at ${undone.length} minutes from ${undone[0].minute} ` +
      `(${undone[0].waitingBefore} waiting):\n${trace(r, [undone[0].minute])}`);
  }
  const peak = Math.max(...sim.desired.values());
  if (peak > MAX_TASKS) failures.push(`${what}: desired count ${peak} above maxTasks ${MAX_TASKS}`);
  const unfinished = world.jobs.filter(j => j.endsAt === undefined || j.endsAt > r.to);
  if (unfinished.length) failures.push(`${what}: ${unfinished.length} of ${world.jobs.length} jobs not done by minute ${r.to}`);
  const end = sim.desired.get(r.to);
  if (end !== 0 || world.taskCount !== 0) failures.push(`${what}: at minute ${r.to} desired ${end} with ${world.taskCount} tasks, not back to minTasks 0`);
  if (options.startWithin !== undefined) {
    const slow = world.jobs.filter(j => j.startedAt === undefined || j.startedAt > j.uploadedAt + options.startWithin!);
    if (slow.length) {
      const j = slow[0];
      failures.push(`${what}: ${slow.length} jobs started more than ${options.startWithin} minute after their upload, the first uploaded at ` +
        `${j.uploadedAt}, started at ${j.startedAt ?? 'never'}:\n${trace(r, [j.uploadedAt])}`);
    }
  }
  return failures;
}

/** The wake-up, not an alarm, raised the desired count from 0 to 1 in the minute of the upload. */
function wokeAt(r: Run, minute: number, what: string): string[] {
  const byWakeUp = r.sim.externalChanges.some(c => c.minute === minute && c.before === 0 && c.after === 1) && r.actors.wakeUps.includes(minute);
  if (byWakeUp && r.sim.desired.get(minute + 1) === 1) return [];
  return [`${what}: the service did not wake in the minute of the upload (${minute}) through the wake-up path:\n${trace(r, [minute])}`];
}

/** One upload every 10 minutes for 3 hours, from the end of the idle. */
function trickle(): Map<number, number> {
  const uploads = new Map<number, number>();
  for (let m = IDLE; m < IDLE + 180; m += 10) uploads.set(m, 1);
  return uploads;
}

let worker: Fixture;
let withoutWakeUp: Fixture;

beforeAll(() => {
  worker = fixture('WakeUpWorker');
  withoutWakeUp = fixture('NoWakeUpWorker', false);
});

test('the template queries what the state machine publishes: the hold in the idle and surplus alarms, the wake-up in the fast path', () => {
  expect(worker.metrics.wakeUps.dimensions).toEqual({ ClusterName: expect.anything(), ServiceName: expect.anything() });
  expect(worker.metrics.hold.dimensions).toEqual(worker.metrics.wakeUps.dimensions);
  const alarmsQuerying = (f: Fixture, metricName: string) => logicalIdsOfType(f.template, 'AWS::CloudWatch::Alarm')
    .filter(id => (f.template.Resources![id].Properties?.Metrics ?? []).some((m: any) => m.MetricStat?.Metric?.MetricName === metricName));
  const holders = alarmsQuerying(worker, WAKE_UP_HOLD_METRIC);
  expect(holders).toHaveLength(2);
  expect(holders).toContain(worker.idleAlarm);
  expect(alarmsQuerying(worker, WAKE_UP_METRIC).map(id => worker.template.Resources![id].Properties!.AlarmDescription))
    .toEqual([expect.stringMatching(/has no task: start one/)]);
  expect(templateMetrics(withoutWakeUp.template).has(`${WAKE_UP_NAMESPACE}/${WAKE_UP_METRIC}`)).toBe(false);
  expect(templateMetrics(withoutWakeUp.template).has(`${WAKE_UP_NAMESPACE}/${WAKE_UP_HOLD_METRIC}`)).toBe(false);
});

describe.each(MISSING_OPERAND_SEMANTICS)('wake-up timelines (missing operand %s)', semantics => {
  test.each(RESUMES)('idle 7 h, one upload, a 3-minute job (SQS metrics %s after the idle)', resume => {
    const r = run(worker, semantics, { jobMinutes: 3, uploads: new Map([[IDLE, 1]]), resume, to: IDLE + 60 });
    const failures = [...wokeAt(r, IDLE, 'one upload'), ...guarantees(r, 'one upload', { startWithin: 1 })];
    // Model check: nothing published while the queue was inactive, and the job ran where expected.
    for (let m = IDLE - WARM_UP; m < IDLE; m++) expect(r.sim.timeline.published(worker.metrics.visible, m)).toBeUndefined();
    expect(r.world.jobs).toEqual([{ uploadedAt: IDLE, startedAt: IDLE + 1, endsAt: IDLE + 4 }]);
    expect(failures).toEqual([]);
  });

  test.each(RESUMES)('idle 7 h, 10,000 uploads in one minute, 1-minute jobs (SQS metrics %s after the idle)', resume => {
    const r = run(worker, semantics, { jobMinutes: 1, uploads: new Map([[IDLE, 10_000]]), resume, to: IDLE + 1_200 });
    const failures = [...wokeAt(r, IDLE, 'burst'), ...guarantees(r, 'burst')];
    if (!r.actors.targetTracking.some(x => x.after === MAX_TASKS)) failures.push(`burst: target tracking never scaled out to maxTasks ${MAX_TASKS}`);
    expect(failures).toEqual([]);
  });

  test.each(RESUMES)('a trickle for 3 hours after a long idle: one upload every 10 minutes, 2-minute jobs (SQS metrics %s)', resume => {
    const r = run(worker, semantics, { jobMinutes: 2, uploads: trickle(), resume, to: IDLE + 240 });
    const failures = guarantees(r, 'trickle', { startWithin: 1 });
    expect(r.world.jobs).toHaveLength(18);
    expect(failures).toEqual([]);
  });

  // Each variant of the environment keeps every guarantee for a single upload and a trickle, under both
  // ways SQS resumes; the burst (1,200 simulated minutes) runs under one of them to bound the runtime.
  const variants: readonly { what: string; options: Partial<WorldOptions>; burstResume: Resume }[] = [
    { what: 'Container Insights one period late', options: { ciLateBy: 1 }, burstResume: 'late' },
    { what: 'no in-flight metric ever published', options: { inFlightPublished: false }, burstResume: 'absent' },
  ];

  describe.each(variants)('$what', ({ options, burstResume }) => {
    test.each(RESUMES)('one upload and a trickle keep the guarantees (SQS metrics %s after the idle)', resume => {
      const one = run(worker, semantics, { jobMinutes: 3, uploads: new Map([[IDLE, 1]]), resume, ...options, to: IDLE + 60 });
      const steady = run(worker, semantics, { jobMinutes: 2, uploads: trickle(), resume, ...options, to: IDLE + 240 });
      expect([
        ...wokeAt(one, IDLE, 'one upload'), ...guarantees(one, 'one upload', { startWithin: 1 }),
        ...guarantees(steady, 'trickle', { startWithin: 1 }),
      ]).toEqual([]);
    });

    test(`a burst of 10,000 uploads keeps the guarantees (SQS metrics ${burstResume} after the idle)`, () => {
      const burst = run(worker, semantics, { jobMinutes: 1, uploads: new Map([[IDLE, 10_000]]), resume: burstResume, ...options, to: IDLE + 1_200 });
      if (options.inFlightPublished === false) expect(burst.sim.timeline.published(worker.metrics.inFlight, IDLE + 100)).toBeUndefined();
      const failures = [...wokeAt(burst, IDLE, 'burst'), ...guarantees(burst, 'burst')];
      if (!burst.actors.targetTracking.some(x => x.after === MAX_TASKS)) failures.push(`burst: target tracking never scaled out to maxTasks ${MAX_TASKS}`);
      expect(failures).toEqual([]);
    });
  });

  test('counterfactual: without the wake-up hold the idle scale-in undoes the wake-up before the task has the job', () => {
    const r = run(withoutWakeUp, semantics, { jobMinutes: 3, uploads: new Map([[IDLE, 1]]), resume: 'late', to: IDLE + 60 });
    expect(r.actors.wakeUps).toEqual([IDLE]);
    const undo = r.sim.invocations.find(i => i.policy === withoutWakeUp.idlePolicy && i.before === 1 && i.after === 0);
    expect(undo?.minute).toBe(IDLE + 1);
    const job = r.world.jobs[0];
    // The task launched by the wake-up was stopped before it ran: the job starts only when the
    // metrics resume and the fast path starts a task.
    expect(job.startedAt).toBeGreaterThan(undo!.minute);
    expect(job.endsAt).toBeLessThanOrEqual(r.to);
    expect(guarantees(r, 'without WakeUps').some(f => f.includes('wanted no task while jobs waited'))).toBe(true);
  });
});
