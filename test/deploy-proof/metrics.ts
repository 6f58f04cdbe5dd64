/**
 * Metric semantics: an offline model of how CloudWatch evaluates the alarms and scaling expressions a
 * template defines, on per-minute metric timelines that include the gaps AWS really produces (metrics
 * that are not published, datapoints that arrive late).
 *
 * Sources for the semantics implemented here:
 * - Metric math (operators, IF, FILL, division by zero):
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 * - Alarm evaluation (Period, Evaluation Periods, Datapoints to Alarm, evaluation range, missing data):
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
 * - Step scaling (bounds relative to the threshold, aggregation, cooldown, repeated invocation):
 *   https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html
 *   https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html
 *
 * Time is in whole minutes. A datapoint has the timestamp of the minute it describes (`t` covers
 * [t, t+1)); published on time it can be read from minute `t + 1` on, and `lateBy: n` delays that to
 * `t + 1 + n`. An evaluation "at minute now" sees the datapoints available at `now`.
 */
import { CfnTemplate, logicalIdsOfType } from './graph';

/** How metric math treats a timestamp where one operand has a datapoint and the other has none. */
export type MissingOperand =
  /**
   * The result has no datapoint at that timestamp (an operand without a value yields no value).
   * This is the behaviour this library's design notes rely on, and what alarms observe when a
   * metric is not published at all.
   */
  | 'drops'
  /**
   * The missing value counts as 0 wherever the other operand has a datapoint, as the metric math
   * page states for arithmetic ("Missing values in a time series are treated as 0") and for
   * comparisons between two time series; IF follows that page's per-case table.
   */
  | 'zero';

/** Both readings of the documentation. A definition is deploy-proof only if it behaves under both. */
export const MISSING_OPERAND_SEMANTICS: readonly MissingOperand[] = ['drops', 'zero'];

type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A CloudWatch metric. Dimension values may be CloudFormation intrinsics (`{ Ref: ... }`) as they appear in a template. */
export interface MetricId {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: { readonly [name: string]: unknown };
  /** Statistic the datapoints are for; omitted: the same values serve every statistic. */
  readonly stat?: string;
}

/** Options of one published datapoint. */
interface PutOptions {
  /** Minutes beyond the end of its minute before the datapoint becomes visible. @default 0 */
  readonly lateBy?: number;
}

type Series = Map<number, number>;

/** Stable text of a JSON value (object keys sorted), used to compare template intrinsics. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().map(k => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Canonical text of each dimensions object seen, computed once (timelines look metrics up every minute). */
const dimensionKeys = new WeakMap<object, string>();

function metricKey(m: { namespace: string; metricName: string; dimensions: { readonly [name: string]: unknown } }, stat?: string): string {
  let dims = dimensionKeys.get(m.dimensions);
  if (dims === undefined) {
    dims = Object.keys(m.dimensions).sort().map(k => `${k}=${canonical(m.dimensions[k])}`).join(',');
    dimensionKeys.set(m.dimensions, dims);
  }
  return `${m.namespace}|${m.metricName}|${dims}|${stat ?? '*'}`;
}

/** Per-minute datapoints of any number of metrics, each minute possibly absent or late. */
export class MetricTimeline {
  private readonly points = new Map<string, Map<number, { value: number; availableAt: number }>>();

  /** Publishes `value` for the minute `minute` of `metric`. */
  public put(metric: MetricId, minute: number, value: number, options: PutOptions = {}): this {
    const key = metricKey(metric, metric.stat);
    let byMinute = this.points.get(key);
    if (!byMinute) {
      byMinute = new Map();
      this.points.set(key, byMinute);
    }
    byMinute.set(minute, { value, availableAt: minute + 1 + (options.lateBy ?? 0) });
    return this;
  }

  /** The value published for `minute` (whether or not it is visible yet), or undefined if none was. */
  public published(metric: MetricId, minute: number): number | undefined {
    return this.lookup(metric, metric.stat)?.get(minute)?.value;
  }

  /** The value for `minute` that an evaluation at `now` can read, or undefined. */
  public visible(metric: MetricId, stat: string | undefined, minute: number, now: number): number | undefined {
    return this.visibleReader(metric, stat, now)(minute);
  }

  /** `visible` of one metric, statistic and `now`, for many minutes: the metric is looked up once. */
  public visibleReader(metric: MetricId, stat: string | undefined, now: number): (minute: number) => number | undefined {
    const byMinute = this.lookup(metric, stat);
    return minute => {
      const p = byMinute?.get(minute);
      return p && p.availableAt <= now ? p.value : undefined;
    };
  }

  private lookup(metric: MetricId, stat: string | undefined) {
    return (stat !== undefined ? this.points.get(metricKey(metric, stat)) : undefined) ?? this.points.get(metricKey(metric));
  }
}

// ---------------------------------------------------------------------------------------------
// Metric math: parser
// ---------------------------------------------------------------------------------------------

type Expr =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'id'; readonly name: string }
  | { readonly k: 'keyword'; readonly name: 'REPEAT' | 'LINEAR' }
  | { readonly k: 'neg'; readonly a: Expr }
  | { readonly k: 'bin'; readonly op: string; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Expr[] }
  | { readonly k: 'array'; readonly items: readonly Expr[] };

/** Functions this evaluator implements (the subset the library uses, and a few neighbours). */
const SUPPORTED_FUNCTIONS: readonly string[] = ['IF', 'FILL', 'MAX', 'MIN', 'SUM', 'AVG', 'ABS'];

/** Thrown for an expression outside the supported subset or with a syntax error. */
export class ExpressionError extends Error {}

const TOKEN = /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|&&|\|\||[-+*/^<>(),[\]]))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new ExpressionError(`unexpected character ${JSON.stringify(text[pos])} at ${pos} in ${JSON.stringify(text)}`);
    tokens.push(m[1] ?? m[2] ?? m[3]);
    pos = TOKEN.lastIndex;
  }
  return tokens;
}

/** Parses a metric math expression. Throws ExpressionError. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string): string => {
    const t = tokens[i];
    if (t === undefined || (expected !== undefined && t !== expected)) {
      throw new ExpressionError(`expected ${expected ?? 'a token'} but found ${t ?? 'the end'} in ${JSON.stringify(text)}`);
    }
    i++;
    return t;
  };
  const binary = (next: () => Expr, ops: readonly string[]) => (): Expr => {
    let left = next();
    while (peek() !== undefined && ops.includes(peek())) {
      const op = take();
      left = { k: 'bin', op: op === 'AND' ? '&&' : op === 'OR' ? '||' : op, a: left, b: next() };
    }
    return left;
  };
  const primary = (): Expr => {
    const t = take();
    if (t === '(') {
      const e = orExpr();
      take(')');
      return e;
    }
    if (t === '[') {
      const items: Expr[] = [];
      if (peek() !== ']') {
        do items.push(orExpr()); while (peek() === ',' && take(','));
      }
      take(']');
      return { k: 'array', items };
    }
    if (/^[\d.]/.test(t)) return { k: 'num', v: Number(t) };
    if (t === 'REPEAT' || t === 'LINEAR') return { k: 'keyword', name: t };
    if (/^[A-Z][A-Z0-9_]*$/.test(t) && peek() === '(') {
      if (!SUPPORTED_FUNCTIONS.includes(t)) throw new ExpressionError(`function ${t} is not supported by this evaluator (supported: ${SUPPORTED_FUNCTIONS.join(', ')}) in ${JSON.stringify(text)}`);
      take('(');
      const args: Expr[] = [];
      if (peek() !== ')') {
        do args.push(orExpr()); while (peek() === ',' && take(','));
      }
      take(')');
      return { k: 'call', fn: t, args };
    }
    if (/^[a-z][A-Za-z0-9_]*$/.test(t)) return { k: 'id', name: t };
    throw new ExpressionError(`unexpected ${JSON.stringify(t)} in ${JSON.stringify(text)} (ids start with a lowercase letter, functions are uppercase)`);
  };
  const unary = (): Expr => {
    if (peek() === '-') {
      take();
      return { k: 'neg', a: unary() };
    }
    if (peek() === '+') take();
    return power();
  };
  const power = (): Expr => {
    const base = primary();
    if (peek() === '^') {
      take();
      return { k: 'bin', op: '^', a: base, b: unary() };
    }
    return base;
  };
  const mul = binary(unary, ['*', '/']);
  const add = binary(mul, ['+', '-']);
  const cmp = binary(add, ['<', '<=', '>', '>=', '==', '!=']);
  const andExpr = binary(cmp, ['AND', '&&']);
  const orExpr = binary(andExpr, ['OR', '||']);

  const e = orExpr();
  if (i !== tokens.length) throw new ExpressionError(`unexpected ${JSON.stringify(tokens[i])} in ${JSON.stringify(text)}`);
  checkArity(e, text);
  return e;
}

function checkArity(e: Expr, text: string): void {
  const arity: Record<string, [number, number]> = { IF: [2, 3], FILL: [2, 2], MAX: [1, 1], MIN: [1, 1], SUM: [1, 1], AVG: [1, 1], ABS: [1, 1] };
  const walk = (x: Expr): void => {
    if (x.k === 'call') {
      const [lo, hi] = arity[x.fn];
      if (x.args.length < lo || x.args.length > hi) throw new ExpressionError(`${x.fn} takes ${lo === hi ? lo : `${lo} or ${hi}`} arguments, got ${x.args.length} in ${JSON.stringify(text)}`);
      x.args.forEach((a, n) => {
        if (a.k === 'keyword' && !(x.fn === 'FILL' && n === 1)) throw new ExpressionError(`${a.name} is only valid as FILL's second argument in ${JSON.stringify(text)}`);
      });
      x.args.filter(a => a.k !== 'keyword').forEach(walk);
    } else if (x.k === 'bin') {
      walk(x.a);
      walk(x.b);
    } else if (x.k === 'neg') {
      walk(x.a);
    } else if (x.k === 'array') {
      x.items.forEach(walk);
    } else if (x.k === 'keyword') {
      throw new ExpressionError(`${x.name} is only valid as FILL's second argument in ${JSON.stringify(text)}`);
    }
  };
  walk(e);
}

/** Metric or expression ids an expression refers to. */
function referencedIds(e: Expr): string[] {
  const ids = new Set<string>();
  const walk = (x: Expr): void => {
    if (x.k === 'id') {ids.add(x.name);} else if (x.k === 'bin') { walk(x.a); walk(x.b); } else if (x.k === 'neg') {walk(x.a);} else if (x.k === 'call') {x.args.forEach(walk);} else if (x.k === 'array') {x.items.forEach(walk);}
  };
  walk(e);
  return [...ids];
}

// ---------------------------------------------------------------------------------------------
// Metric math: evaluation
// ---------------------------------------------------------------------------------------------

type Val = number | Series | Series[];

const isSeries = (v: Val): v is Series => v instanceof Map;

interface EvalContext {
  /** Period timestamps of the query, oldest first. */
  readonly grid: readonly number[];
  readonly semantics: MissingOperand;
  resolve(id: string): Val;
}

function arith(op: string, x: number, y: number): number {
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    // "If the value of a data point causes a function to attempt to divide by zero, the data point is dropped."
    case '/': return y === 0 ? NaN : x / y;
    case '^': return x ** y;
    case '<': return x < y ? 1 : 0;
    case '<=': return x <= y ? 1 : 0;
    case '>': return x > y ? 1 : 0;
    case '>=': return x >= y ? 1 : 0;
    case '==': return x === y ? 1 : 0;
    case '!=': return x !== y ? 1 : 0;
    case '&&': return x !== 0 && y !== 0 ? 1 : 0;
    case '||': return x !== 0 || y !== 0 ? 1 : 0;
    default: throw new ExpressionError(`unknown operator ${op}`);
  }
}

function keep(out: Series, k: number, v: number): void {
  if (Number.isFinite(v)) out.set(k, v);
}

function combine(op: string, a: Val, b: Val, ctx: EvalContext): Val {
  if (Array.isArray(a)) return a.map(s => combine(op, s, b, ctx) as Series);
  if (Array.isArray(b)) return b.map(s => combine(op, a, s, ctx) as Series);
  if (typeof a === 'number' && typeof b === 'number') return arith(op, a, b);
  const out: Series = new Map();
  if (typeof a === 'number' || typeof b === 'number') {
    const s = (isSeries(a) ? a : b) as Series;
    for (const [k, v] of s) keep(out, k, isSeries(a) ? arith(op, v, b as number) : arith(op, a as number, v));
    return out;
  }
  const keys = ctx.semantics === 'drops'
    ? [...a.keys()].filter(k => b.has(k))
    : [...new Set([...a.keys(), ...b.keys()])];
  for (const k of keys) keep(out, k, arith(op, a.get(k) ?? 0, b.get(k) ?? 0));
  return out;
}

function evalIf(args: readonly Expr[], ctx: EvalContext): Val {
  const cond = evaluate(args[0], ctx);
  const yes = evaluate(args[1], ctx);
  const no = args.length > 2 ? evaluate(args[2], ctx) : undefined;
  if (Array.isArray(cond) || Array.isArray(yes) || Array.isArray(no)) throw new ExpressionError('IF over arrays of time series is not supported');
  if (typeof cond === 'number') {
    // IF(scalar, a, b): a or b whole; an omitted b gives an empty time series.
    const pick = cond !== 0 ? yes : no;
    if (pick === undefined) return new Map();
    return pick;
  }
  const out: Series = new Map();
  for (const [k, c] of cond) {
    const branch = c !== 0 ? yes : no;
    if (branch === undefined) continue; // omitted false branch: dropped
    if (typeof branch === 'number') {
      out.set(k, branch);
    } else if (branch.has(k)) {
      out.set(k, branch.get(k)!);
    } else if (ctx.semantics === 'zero' && c !== 0) {
      // Documented: "has the value of 0, if the corresponding data point of metric1 is TRUE and the
      // corresponding data point does not exist in metric2"; a missing false branch is dropped.
      out.set(k, 0);
    }
  }
  return out;
}

/**
 * FILL(series, filler): every timestamp of the query's period grid where the series has no datapoint
 * gets one. A constant (or a time series' value at that timestamp) fills every such timestamp;
 * REPEAT repeats the latest earlier datapoint and LINEAR interpolates between the datapoints around
 * the gap, so neither fills before the first or (LINEAR) after the last datapoint.
 *
 * A series with no datapoint at all in the window: a constant still fills the whole grid. The alarm
 * (or scaling policy) queries its metrics over its own period and evaluation range, which defines the
 * grid whether or not a metric has data; this is also how AWS advises alarming on a metric that is not
 * published when nothing happens ("you can use math expression Fill to fill with 0 when there are no
 * datapoints": https://github.com/aws/aws-sdk-js-v3/issues/6873, answer relayed from the CloudWatch
 * team). REPEAT and LINEAR have nothing to repeat or interpolate and leave it empty.
 */
function evalFill(args: readonly Expr[], ctx: EvalContext): Val {
  const target = evaluate(args[0], ctx);
  const filler: Val | 'REPEAT' | 'LINEAR' = args[1].k === 'keyword' ? args[1].name : evaluate(args[1], ctx);
  if (Array.isArray(filler)) throw new ExpressionError('FILL with an array of time series as filler is not supported');
  const fillOne = (s: Series): Series => {
    const out: Series = new Map(s);
    const present = ctx.grid.filter(k => s.has(k));
    for (const k of ctx.grid) {
      if (s.has(k)) continue;
      if (typeof filler === 'number') {
        out.set(k, filler);
      } else if (filler instanceof Map) {
        if (filler.has(k)) out.set(k, filler.get(k)!);
      } else {
        const before = present.filter(p => p < k).pop();
        const after = present.find(p => p > k);
        if (filler === 'REPEAT' && before !== undefined) out.set(k, s.get(before)!);
        if (filler === 'LINEAR' && before !== undefined && after !== undefined) {
          const x0 = s.get(before)!;
          out.set(k, x0 + (s.get(after)! - x0) * (k - before) / (after - before));
        }
      }
    }
    return out;
  };
  if (typeof target === 'number') return target;
  return Array.isArray(target) ? target.map(fillOne) : fillOne(target);
}

function evalAggregate(fn: string, arg: Val): Val {
  const reduce = (xs: number[]): number => {
    if (xs.length === 0) return NaN;
    switch (fn) {
      case 'MAX': return Math.max(...xs);
      case 'MIN': return Math.min(...xs);
      case 'SUM': return xs.reduce((p, x) => p + x, 0);
      default: return xs.reduce((p, x) => p + x, 0) / xs.length;
    }
  };
  if (typeof arg === 'number') return arg;
  if (isSeries(arg)) return reduce([...arg.values()]);
  // Array of time series: one time series, per timestamp. MAX/MIN over the series that have a value;
  // SUM/AVG count a missing value as 0 ("Missing values are treated as 0").
  const out: Series = new Map();
  const keys = [...new Set(arg.flatMap(s => [...s.keys()]))];
  for (const k of keys) {
    const xs = fn === 'MAX' || fn === 'MIN' ? arg.filter(s => s.has(k)).map(s => s.get(k)!) : arg.map(s => s.get(k) ?? 0);
    keep(out, k, reduce(xs));
  }
  return out;
}

function evaluate(e: Expr, ctx: EvalContext): Val {
  switch (e.k) {
    case 'num': return e.v;
    case 'id': return ctx.resolve(e.name);
    case 'keyword': throw new ExpressionError(`${e.name} outside FILL`);
    case 'neg': return combine('-', 0, evaluate(e.a, ctx), ctx);
    case 'bin': return combine(e.op, evaluate(e.a, ctx), evaluate(e.b, ctx), ctx);
    case 'array': return e.items.flatMap(i => {
      const v = evaluate(i, ctx);
      if (typeof v === 'number') throw new ExpressionError('a scalar inside an array of time series');
      return Array.isArray(v) ? v : [v];
    });
    case 'call':
      if (e.fn === 'IF') return evalIf(e.args, ctx);
      if (e.fn === 'FILL') return evalFill(e.args, ctx);
      if (e.fn === 'ABS') return mapValues(evaluate(e.args[0], ctx), Math.abs);
      return evalAggregate(e.fn, evaluate(e.args[0], ctx));
  }
}

function mapValues(v: Val, f: (x: number) => number): Val {
  if (typeof v === 'number') return f(v);
  if (Array.isArray(v)) return v.map(s => mapValues(s, f) as Series);
  return new Map([...v].map(([k, x]) => [k, f(x)]));
}

// ---------------------------------------------------------------------------------------------
// Metric queries as they appear in templates
// ---------------------------------------------------------------------------------------------

/** One entry of `Metrics` (alarm) or `CustomizedMetricSpecification.Metrics` (target tracking). */
interface MetricQuery {
  readonly id: string;
  readonly expression?: string;
  readonly metric?: MetricId;
  readonly stat?: string;
  readonly periodSeconds?: number;
  readonly returnData: boolean;
}

function dimensionsOf(list: unknown): { [name: string]: unknown } {
  const out: { [name: string]: unknown } = {};
  for (const d of (list as { Name: string; Value: unknown }[] | undefined) ?? []) out[d.Name] = d.Value;
  return out;
}

/** Reads `Metrics` entries of an alarm or a customized metric specification. */
function metricQueries(metrics: readonly any[]): MetricQuery[] {
  return metrics.map(m => ({
    id: m.Id,
    expression: m.Expression,
    metric: m.MetricStat ? {
      namespace: m.MetricStat.Metric.Namespace,
      metricName: m.MetricStat.Metric.MetricName,
      dimensions: dimensionsOf(m.MetricStat.Metric.Dimensions),
    } : undefined,
    stat: m.MetricStat?.Stat,
    periodSeconds: m.MetricStat?.Period ?? m.Period,
    returnData: m.ReturnData !== false,
  }));
}

/** The time series of a metric over a period grid, as visible at `now`. */
function metricSeries(timeline: MetricTimeline, metric: MetricId, stat: string | undefined,
  grid: readonly number[], periodMinutes: number, now: number): Series {
  const out: Series = new Map();
  const visible = timeline.visibleReader(metric, stat, now);
  for (const t of grid) {
    const xs: number[] = [];
    for (let m = t; m < t + periodMinutes; m++) {
      const v = visible(m);
      if (v !== undefined) xs.push(v);
    }
    if (xs.length === 0) continue;
    out.set(t, aggregate(stat ?? 'Average', xs));
  }
  return out;
}

function aggregate(stat: string, xs: readonly number[]): number {
  switch (stat) {
    case 'Maximum': return Math.max(...xs);
    case 'Minimum': return Math.min(...xs);
    case 'Sum': return xs.reduce((p, x) => p + x, 0);
    case 'SampleCount': return xs.length;
    default: return xs.reduce((p, x) => p + x, 0) / xs.length;
  }
}

/** Parsed expressions by text: timelines evaluate the same few expressions every minute. */
const parsedExpressions = new Map<string, Expr>();

function parsed(text: string): Expr {
  let e = parsedExpressions.get(text);
  if (!e) {
    e = parseExpression(text);
    parsedExpressions.set(text, e);
  }
  return e;
}

/**
 * Evaluates the query that returns data (`ReturnData` true) over a period grid, at minute `now`.
 * Every metric id is read from the timeline; expressions are evaluated as CloudWatch would.
 */
export function evaluateQueries(queries: readonly MetricQuery[], timeline: MetricTimeline, options: {
  readonly grid: readonly number[];
  readonly periodMinutes: number;
  readonly now: number;
  readonly semantics: MissingOperand;
  /** Id to evaluate. @default the one with ReturnData true */
  readonly id?: string;
}): Series {
  const byId = new Map(queries.map(q => [q.id, q]));
  const memo = new Map<string, Val>();
  const active = new Set<string>();
  const ctx: EvalContext = {
    grid: options.grid,
    semantics: options.semantics,
    resolve(id: string): Val {
      const cached = memo.get(id);
      if (cached !== undefined) return cached;
      const q = byId.get(id);
      if (!q) throw new ExpressionError(`id ${id} is not defined`);
      if (active.has(id)) throw new ExpressionError(`id ${id} refers to itself`);
      active.add(id);
      const v: Val = q.expression !== undefined
        ? evaluate(parsed(q.expression), ctx)
        : metricSeries(timeline, q.metric!, q.stat, options.grid, options.periodMinutes, options.now);
      active.delete(id);
      memo.set(id, v);
      return v;
    },
  };
  const returned = options.id ?? queries.find(q => q.returnData)?.id;
  if (!returned) throw new ExpressionError('no query returns data');
  const v = ctx.resolve(returned);
  if (!isSeries(v)) throw new ExpressionError(`${returned} is ${typeof v === 'number' ? 'a scalar' : 'an array of time series'}, not one time series`);
  // Only the grid's timestamps are part of the result.
  return new Map([...v].filter(([k]) => options.grid.includes(k)));
}

// ---------------------------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------------------------

type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

/** An `AWS::CloudWatch::Alarm` reduced to what its evaluation needs. */
interface AlarmDefinition {
  readonly logicalId: string;
  readonly periodMinutes: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: string;
  readonly treatMissingData: TreatMissingData;
  readonly queries: readonly MetricQuery[];
  /** Logical ids of the resources (`Ref`) the alarm actions name. */
  readonly alarmActions: readonly string[];
}

/** Reads the alarm `logicalId` of a template (`Template.toJSON()`). */
export function alarmDefinition(template: CfnTemplate, logicalId: string): AlarmDefinition {
  const r = template.Resources?.[logicalId];
  if (!r || r.Type !== 'AWS::CloudWatch::Alarm') throw new Error(`${logicalId} is not an AWS::CloudWatch::Alarm of the template`);
  const p = r.Properties ?? {};
  let queries: MetricQuery[];
  let period: number | undefined;
  if (p.Metrics) {
    queries = metricQueries(p.Metrics);
    period = queries.find(q => q.periodSeconds !== undefined)?.periodSeconds;
  } else {
    queries = [{
      id: 'm1',
      metric: { namespace: p.Namespace, metricName: p.MetricName, dimensions: dimensionsOf(p.Dimensions) },
      stat: p.Statistic ?? p.ExtendedStatistic,
      periodSeconds: p.Period,
      returnData: true,
    }];
    period = p.Period;
  }
  if (!period || period % 60 !== 0) throw new Error(`alarm ${logicalId}: period ${period} is not a whole number of minutes (high-resolution alarms are not modelled)`);
  return {
    logicalId,
    periodMinutes: period / 60,
    evaluationPeriods: p.EvaluationPeriods,
    datapointsToAlarm: p.DatapointsToAlarm ?? p.EvaluationPeriods,
    threshold: p.Threshold,
    comparisonOperator: p.ComparisonOperator,
    treatMissingData: p.TreatMissingData ?? 'missing',
    queries,
    alarmActions: ((p.AlarmActions ?? []) as any[]).map(a => a?.Ref).filter((x): x is string => typeof x === 'string'),
  };
}

function breaches(alarm: AlarmDefinition, v: number): boolean {
  switch (alarm.comparisonOperator) {
    case 'GreaterThanOrEqualToThreshold': return v >= alarm.threshold;
    case 'GreaterThanThreshold': return v > alarm.threshold;
    case 'LessThanThreshold': return v < alarm.threshold;
    case 'LessThanOrEqualToThreshold': return v <= alarm.threshold;
    default: throw new Error(`alarm ${alarm.logicalId}: comparison ${alarm.comparisonOperator} is not modelled`);
  }
}

/** One evaluation of an alarm. */
interface AlarmEvaluation {
  readonly state: AlarmState;
  /** The real datapoints the decision used (most recent first), at most EvaluationPeriods. */
  readonly datapoints: readonly number[];
  /** The expression's datapoints over the whole evaluation range. */
  readonly range: ReadonlyMap<number, number>;
}

/**
 * Evaluates an alarm at minute `now` (which must fall on a period boundary), given its previous state.
 *
 * CloudWatch "attempts to retrieve a higher number of data points than specified by Evaluation
 * Periods" (its evaluation range); the documented examples retrieve 5 for 3 evaluation periods, and
 * this model retrieves EvaluationPeriods + 2. Then, as documented: with at least EvaluationPeriods
 * real datapoints in the range, the most recent of them decide and TreatMissingData is ignored;
 * otherwise the missing ones are filled per TreatMissingData, as few as possible, and every real
 * datapoint of the range takes part. ALARM when at least DatapointsToAlarm of the evaluated
 * datapoints breach.
 *
 * For `missing` and `ignore` with too few real datapoints: no datapoint gives INSUFFICIENT_DATA
 * (`missing`) or the previous state (`ignore`); DatapointsToAlarm breaching datapoints give ALARM; a
 * non-breaching one gives OK; only breaching ones, too few, give INSUFFICIENT_DATA / the previous
 * state. This reproduces every row of the documented tables but one (`missing`, "X - - - -" with
 * 3 of 3: documented ALARM, here INSUFFICIENT_DATA); no alarm of this library uses `missing`.
 */
function evaluateAlarmAt(alarm: AlarmDefinition, timeline: MetricTimeline, now: number, previous: AlarmState,
  semantics: MissingOperand): AlarmEvaluation {
  const p = alarm.periodMinutes;
  const n = alarm.evaluationPeriods;
  const m = alarm.datapointsToAlarm;
  const last = Math.floor(now / p) * p - p;
  const grid: number[] = [];
  for (let i = n + 1; i >= 0; i--) grid.push(last - i * p);
  const range = evaluateQueries(alarm.queries, timeline, { grid, periodMinutes: p, now, semantics });
  const real = grid.filter(t => range.has(t)).reverse().map(t => range.get(t)!);
  const used = real.slice(0, n);
  const breaching = used.filter(v => breaches(alarm, v)).length;
  let state: AlarmState;
  if (used.length >= n) {
    state = breaching >= m ? 'ALARM' : 'OK';
  } else {
    const filled = n - used.length;
    switch (alarm.treatMissingData) {
      case 'breaching':
        state = breaching + filled >= m ? 'ALARM' : 'OK';
        break;
      case 'notBreaching':
        state = breaching >= m ? 'ALARM' : 'OK';
        break;
      default: {
        const none = alarm.treatMissingData === 'ignore' ? previous : 'INSUFFICIENT_DATA';
        if (used.length === 0) state = none;
        else if (breaching >= m) state = 'ALARM';
        else if (breaching < used.length) state = 'OK';
        else state = none;
      }
    }
  }
  return { state, datapoints: used, range };
}

/** An alarm stepped minute by minute. */
export interface AlarmRun {
  /** State after the evaluation at each minute. */
  readonly states: ReadonlyMap<number, AlarmState>;
  /** Minutes at which the alarm went to ALARM: its actions fire (SNS notifications are sent once per transition). */
  readonly transitionsToAlarm: readonly number[];
  /**
   * Minutes at which an Application Auto Scaling action is invoked: every evaluation while in ALARM
   * ("The adjustments can continue for additional alarm breaches until the alarm state returns to OK",
   * step-scaling-policy-overview; CloudWatch "continues to invoke the action for every period that the
   * alarm remains in the new state", AlarmThatSendsEmail).
   */
  readonly scalingInvocations: readonly number[];
  readonly evaluations: ReadonlyMap<number, AlarmEvaluation>;
}

/** Steps an alarm from `from` to `to` (evaluation minutes, inclusive) over a fixed timeline. */
export function runAlarm(alarm: AlarmDefinition, timeline: MetricTimeline,
  options: { readonly from: number; readonly to: number; readonly semantics: MissingOperand }): AlarmRun {
  const states = new Map<number, AlarmState>();
  const evaluations = new Map<number, AlarmEvaluation>();
  const transitions: number[] = [];
  const invocations: number[] = [];
  let state: AlarmState = 'INSUFFICIENT_DATA';
  for (let now = options.from; now <= options.to; now++) {
    if (now % alarm.periodMinutes !== 0) continue;
    const e = evaluateAlarmAt(alarm, timeline, now, state, options.semantics);
    if (e.state === 'ALARM' && state !== 'ALARM') transitions.push(now);
    if (e.state === 'ALARM') invocations.push(now);
    state = e.state;
    states.set(now, state);
    evaluations.set(now, e);
  }
  return { states, transitionsToAlarm: transitions, scalingInvocations: invocations, evaluations };
}

// ---------------------------------------------------------------------------------------------
// Target tracking
// ---------------------------------------------------------------------------------------------

/**
 * The values a target-tracking policy with a `CustomizedMetricSpecification` sees: at each minute
 * `now` in [from, to], its returned expression over the last `window` one-minute periods (Application
 * Auto Scaling evaluates customized metrics at a 60-second period).
 */
export function targetTrackingSeries(template: CfnTemplate, policyLogicalId: string, timeline: MetricTimeline, options: {
  readonly from: number; readonly to: number; readonly semantics: MissingOperand; readonly window?: number;
}): Map<number, ReadonlyMap<number, number>> {
  const r = template.Resources?.[policyLogicalId];
  const spec = r?.Properties?.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification;
  if (!spec) throw new Error(`${policyLogicalId} is not a target-tracking scaling policy with a customized metric`);
  const queries: MetricQuery[] = spec.Metrics ? metricQueries(spec.Metrics) : [{
    id: 'm1',
    metric: { namespace: spec.Namespace, metricName: spec.MetricName, dimensions: dimensionsOf(spec.Dimensions) },
    stat: spec.Statistic,
    returnData: true,
  }];
  const window = options.window ?? 3;
  const out = new Map<number, ReadonlyMap<number, number>>();
  for (let now = options.from; now <= options.to; now++) {
    const grid: number[] = [];
    for (let t = now - window; t < now; t++) grid.push(t);
    out.set(now, evaluateQueries(queries, timeline, { grid, periodMinutes: 1, now, semantics: options.semantics }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step scaling
// ---------------------------------------------------------------------------------------------

interface StepPolicy {
  readonly logicalId: string;
  readonly adjustmentType: string;
  readonly cooldownMinutes: number;
  readonly aggregation: string;
  readonly steps: readonly { lower?: number; upper?: number; adjustment: number }[];
  readonly minAdjustmentMagnitude?: number;
}

function stepPolicy(template: CfnTemplate, logicalId: string): StepPolicy | undefined {
  const r = template.Resources?.[logicalId];
  const c = r?.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy' ? r.Properties?.StepScalingPolicyConfiguration : undefined;
  if (!c) return undefined;
  return {
    logicalId,
    adjustmentType: c.AdjustmentType,
    cooldownMinutes: Math.ceil((c.Cooldown ?? 0) / 60),
    aggregation: c.MetricAggregationType ?? 'Average',
    steps: (c.StepAdjustments as any[]).map(s => ({
      lower: s.MetricIntervalLowerBound,
      upper: s.MetricIntervalUpperBound,
      adjustment: s.ScalingAdjustment,
    })),
    minAdjustmentMagnitude: c.MinAdjustmentMagnitude,
  };
}

/** One invocation of a step scaling policy by its alarm. */
interface ScalingInvocation {
  readonly minute: number;
  readonly alarm: string;
  readonly policy: string;
  /** The aggregated metric value the policy compared with the alarm threshold. */
  readonly value: number;
  readonly before: number;
  readonly after: number;
  /** Why the desired count did not change, if it did not. */
  readonly note?: string;
}

/** Outcome of {@link simulateStepScaling}. */
export interface ScalingSimulation {
  /** Desired count in effect at each minute. */
  readonly desired: ReadonlyMap<number, number>;
  readonly invocations: readonly ScalingInvocation[];
  readonly alarms: ReadonlyMap<string, AlarmRun>;
  readonly timeline: MetricTimeline;
  /** Changes of the desired count made by the `external` actor, in order. */
  readonly externalChanges: readonly { readonly minute: number; readonly before: number; readonly after: number }[];
}

/**
 * Simulates the step scaling policies of one scalable target in closed loop: each minute `environment`
 * publishes the datapoints of that minute (it sees the desired count the policies have set, so running
 * tasks, queue consumption and Container Insights can follow it), then every alarm whose actions name
 * a step policy of the target is evaluated and the policy applied:
 * - bounds are offsets from the alarm threshold; above the threshold the lower bound is inclusive and
 *   the upper exclusive, below it the reverse; a value equal to the threshold of a "less than" alarm
 *   belongs to the step whose upper bound is 0 (the convention aws-cdk-lib's step scaling relies on);
 * - the value compared is MetricAggregationType applied to the datapoints the alarm evaluated;
 * - ChangeInCapacity adds, ExactCapacity sets, PercentChangeInCapacity scales; the result is clamped
 *   to the scalable target's MinCapacity..MaxCapacity;
 * - cooldown (per policy): during a scale-out cooldown the capacity the previous scale-out added
 *   counts toward the next one; a scale-in is blocked until the cooldown has expired.
 *
 * `external`, if given, is an actor outside Application Auto Scaling that sets the desired count
 * directly (as `ecs:UpdateService` does): it runs each minute after `environment`, before the alarms of
 * the minute's end are evaluated, and returns the new desired count or undefined to leave it. Its
 * changes are not clamped to the scalable target's capacity and start no cooldown.
 */
export function simulateStepScaling(template: CfnTemplate, options: {
  readonly scalableTarget?: string;
  readonly from: number;
  readonly to: number;
  readonly initialDesired: number;
  readonly semantics: MissingOperand;
  readonly environment: (minute: number, desired: number, timeline: MetricTimeline) => void;
  readonly external?: (minute: number, desired: number, timeline: MetricTimeline) => number | undefined;
  readonly timeline?: MetricTimeline;
}): ScalingSimulation {
  const resources = template.Resources ?? {};
  const targets = logicalIdsOfType(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
  const targetId = options.scalableTarget ?? (targets.length === 1 ? targets[0] : undefined);
  if (!targetId) throw new Error(`give scalableTarget: the template has ${targets.length} scalable targets`);
  const target = resources[targetId].Properties ?? {};
  const policies = new Map<string, StepPolicy>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::ApplicationAutoScaling::ScalingPolicy' || r.Properties?.ScalingTargetId?.Ref !== targetId) continue;
    const p = stepPolicy(template, id);
    if (p) policies.set(id, p);
  }
  const alarms = logicalIdsOfType(template, 'AWS::CloudWatch::Alarm')
    .map(id => alarmDefinition(template, id))
    .filter(a => a.alarmActions.some(x => policies.has(x)));

  const timeline = options.timeline ?? new MetricTimeline();
  const desired = new Map<number, number>([[options.from, options.initialDesired]]);
  const invocations: ScalingInvocation[] = [];
  const states = new Map(alarms.map(a => [a.logicalId, { state: 'INSUFFICIENT_DATA' as AlarmState, states: new Map<number, AlarmState>(), evaluations: new Map<number, AlarmEvaluation>(), transitions: [] as number[], invocations: [] as number[] }]));
  const lastActivity = new Map<string, { minute: number; before: number; direction: 'out' | 'in' }>();
  const externalChanges: { minute: number; before: number; after: number }[] = [];
  let current = options.initialDesired;

  for (let minute = options.from; minute < options.to; minute++) {
    options.environment(minute, current, timeline);
    const set = options.external?.(minute, current, timeline);
    if (set !== undefined && set !== current) {
      externalChanges.push({ minute, before: current, after: set });
      current = set;
    }
    const now = minute + 1;
    for (const alarm of alarms) {
      if (now % alarm.periodMinutes !== 0) continue;
      const s = states.get(alarm.logicalId)!;
      const e = evaluateAlarmAt(alarm, timeline, now, s.state, options.semantics);
      if (e.state === 'ALARM' && s.state !== 'ALARM') s.transitions.push(now);
      s.state = e.state;
      s.states.set(now, e.state);
      s.evaluations.set(now, e);
      if (e.state !== 'ALARM') continue;
      s.invocations.push(now);
      for (const policyId of alarm.alarmActions) {
        const policy = policies.get(policyId);
        if (!policy) continue;
        const inv = applyStep(policy, alarm, e.datapoints, current, now, lastActivity, { min: target.MinCapacity, max: target.MaxCapacity });
        invocations.push(inv);
        current = inv.after;
      }
    }
    desired.set(now, current);
  }
  const runs = new Map<string, AlarmRun>();
  for (const [id, s] of states) {
    runs.set(id, { states: s.states, evaluations: s.evaluations, transitionsToAlarm: s.transitions, scalingInvocations: s.invocations });
  }
  return { desired, invocations, alarms: runs, timeline, externalChanges };
}

function applyStep(policy: StepPolicy, alarm: AlarmDefinition, datapoints: readonly number[], current: number, now: number,
  lastActivity: Map<string, { minute: number; before: number; direction: 'out' | 'in' }>, capacity: { min: number; max: number }): ScalingInvocation {
  const value = datapoints.length ? aggregate(policy.aggregation, datapoints) : alarm.threshold;
  const base = { minute: now, alarm: alarm.logicalId, policy: policy.logicalId, value, before: current };
  const delta = value - alarm.threshold;
  const below = alarm.comparisonOperator.startsWith('Less');
  const step = policy.steps.find(s => {
    const lo = s.lower ?? -Infinity;
    const hi = s.upper ?? Infinity;
    return below ? lo < delta && delta <= hi : lo <= delta && delta < hi;
  });
  if (!step) return { ...base, after: current, note: `no step adjustment covers ${delta} (value ${value} − threshold ${alarm.threshold})` };
  let next: number;
  switch (policy.adjustmentType) {
    case 'ExactCapacity': next = step.adjustment; break;
    case 'PercentChangeInCapacity': {
      let change = Math.trunc(current * step.adjustment / 100);
      const least = policy.minAdjustmentMagnitude ?? 0;
      if (Math.abs(change) < least) change = Math.sign(step.adjustment) * least;
      next = current + change;
      break;
    }
    default: next = current + step.adjustment;
  }
  next = Math.min(capacity.max, Math.max(capacity.min, next));
  const last = lastActivity.get(policy.logicalId);
  const cooling = last !== undefined && now < last.minute + policy.cooldownMinutes;
  if (next > current) {
    if (cooling && last.direction === 'out') {
      // The capacity the previous scale-out added counts toward this one.
      next = Math.max(current, Math.min(capacity.max, last.before + (next - current)));
      if (next === current) return { ...base, after: current, note: 'scale-out cooldown: the previous scale-out already added this capacity' };
    }
    lastActivity.set(policy.logicalId, { minute: now, before: current, direction: 'out' });
    return { ...base, after: next };
  }
  if (next < current) {
    if (cooling) return { ...base, after: current, note: 'scale-in blocked by cooldown' };
    lastActivity.set(policy.logicalId, { minute: now, before: current, direction: 'in' });
    return { ...base, after: next };
  }
  return { ...base, after: current, note: 'already at that capacity' };
}

// ---------------------------------------------------------------------------------------------
// Generic checks
// ---------------------------------------------------------------------------------------------

function queryProblems(where: string, queries: readonly MetricQuery[], requirePeriod: boolean): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const q of queries) {
    if (!/^[a-z][A-Za-z0-9_]*$/.test(q.id ?? '')) problems.push(`${where}: id ${JSON.stringify(q.id)} must start with a lowercase letter and hold only letters, digits and '_'`);
    if (ids.has(q.id)) problems.push(`${where}: id ${q.id} is defined twice`);
    ids.add(q.id);
    if ((q.expression === undefined) === (q.metric === undefined)) problems.push(`${where}: ${q.id} needs exactly one of Expression and MetricStat`);
    if (q.metric && requirePeriod && q.periodSeconds === undefined) problems.push(`${where}: ${q.id} has no Period`);
  }
  const returning = queries.filter(q => q.returnData);
  if (returning.length !== 1) problems.push(`${where}: ${returning.length} entries return data (ReturnData not false); exactly one must`);
  const periods = new Set(queries.filter(q => q.metric && q.periodSeconds !== undefined).map(q => q.periodSeconds));
  if (periods.size > 1) problems.push(`${where}: metrics use different periods (${[...periods].join(', ')}); an alarm's metrics must share one`);
  const deps = new Map<string, string[]>();
  for (const q of queries) {
    if (q.expression === undefined) continue;
    if (typeof q.expression !== 'string') {
      problems.push(`${where}: ${q.id} has an unresolved Expression ${canonical(q.expression)}`);
      continue;
    }
    try {
      const refs = referencedIds(parseExpression(q.expression));
      deps.set(q.id, refs);
      for (const r of refs) {
        if (!ids.has(r)) problems.push(`${where}: ${q.id} = ${q.expression} uses ${r}, which no entry defines`);
        if (r === q.id) problems.push(`${where}: ${q.id} uses itself`);
      }
    } catch (e) {
      problems.push(`${where}: ${q.id} does not parse: ${(e as Error).message}`);
    }
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const cyclic = (id: string): boolean => {
    if (done.has(id)) return false;
    if (visiting.has(id)) return true;
    visiting.add(id);
    const c = (deps.get(id) ?? []).some(cyclic);
    visiting.delete(id);
    done.add(id);
    return c;
  };
  for (const id of deps.keys()) if (cyclic(id)) problems.push(`${where}: ${id} depends on itself through other expressions`);
  return [...new Set(problems)];
}

/**
 * Every alarm and every customized scaling metric of a template parses with this evaluator, uses only
 * ids it defines (no cycles), and returns exactly one time series. Returns one line per problem.
 */
export function metricProblems(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [id, r] of Object.entries<any>(template.Resources ?? {})) {
    if (r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.Metrics) {
      problems.push(...queryProblems(`alarm ${id}`, metricQueries(r.Properties.Metrics), true));
    }
    const spec = r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy'
      ? r.Properties?.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification : undefined;
    if (spec?.Metrics) problems.push(...queryProblems(`scaling policy ${id}`, metricQueries(spec.Metrics), false));
  }
  return problems;
}
