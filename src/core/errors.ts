import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';

// aws-cdk-lib marks its errors with these registry symbols; `Errors.isConstructError(e)` and
// `Errors.isValidationError(e)` test for them (its ValidationError class itself is internal).
const CONSTRUCT_ERROR_SYMBOL = Symbol.for('@aws-cdk/core.SynthesisError');
const VALIDATION_ERROR_SYMBOL = Symbol.for('@aws-cdk/core.ValidationError');
const JSII_RTTI_SYMBOL = Symbol.for('jsii.rtti');

/** Folder of this library's compiled (or source) files: its frames are left out of stack traces. */
const LIBRARY_DIR = path.resolve(__dirname, '..');
const LIBRARY_NAME = 'cdk-ecs-workloads';

const errorPaths = new WeakMap<ValidationError, string>();

/**
 * A prop (or combination of props) that cannot produce a working deployment.
 *
 * Thrown at synth time. The message names the construct path, the prop, the value received,
 * what is allowed and how to fix it. It renders like aws-cdk-lib's own validation errors
 * (`«ValidationError» message`, the caller's frames only, then the construct path), and
 * `Errors.isValidationError(e)` from aws-cdk-lib is true for it.
 */
export class ValidationError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    Object.setPrototypeOf(this, ValidationError.prototype);
    this.name = 'ValidationError';
    errorPaths.set(this, scope.node.path);
    Object.defineProperty(this, CONSTRUCT_ERROR_SYMBOL, { value: true });
    Object.defineProperty(this, VALIDATION_ERROR_SYMBOL, { value: true });
    this.stack = [
      `\u00AB${this.name}\u00BB ${this.message}`,
      ...renderCallerFrames(callStack(ValidationError)),
      'Relates to construct:',
      renderConstructRootPath(scope),
    ].join('\n');
  }

  /** Path of the construct whose props were rejected. */
  public get constructPath(): string {
    return errorPaths.get(this) ?? '';
  }

  /** The kind of construct error, as aws-cdk-lib names it. Always `'validation'`. */
  public get type(): 'validation' {
    return 'validation';
  }

  /** Always `'error'`. */
  public get level(): 'error' {
    return 'error';
  }
}

interface Frame {
  readonly functionName: string;
  readonly fileName: string;
  readonly location: string;
}

/** The frames of the current call stack above `upTo` (a function on the stack). */
function callStack(upTo: Function): Frame[] {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, upTo);
  const prefix = '    at ';
  return (holder.stack ?? '').split('\n').filter(line => line.startsWith(prefix)).map(line => {
    const text = line.slice(prefix.length);
    const paren = text.indexOf(' (');
    const functionName = paren >= 0 ? text.slice(0, paren).replace(/ \[as .*\]$/, '') : '<entry>';
    const where = paren >= 0 ? text.slice(paren + 2, -1) : text;
    const m = where.match(/(:\d+){0,2}$/);
    const fileName = m ? where.slice(0, where.length - m[0].length) : where;
    return { functionName, fileName, location: m ? m[0].slice(1) : '' };
  });
}

/**
 * The user's frames, each run of library frames (this library, node_modules, node internals)
 * folded into one `...name...` line, as aws-cdk-lib renders its own errors.
 */
function renderCallerFrames(frames: Frame[]): string[] {
  const lines: string[] = [];
  let folded: string[] = [];
  const flush = (lastFunction?: string) => {
    if (folded.length > 0) {
      const last = folded.length - 1;
      if (lastFunction !== undefined && folded[last] === LIBRARY_NAME) folded[last] = `${lastFunction} in ${LIBRARY_NAME}`;
      lines.push(`    ...${folded.join(', ')}...`);
    }
    folded = [];
  };
  let lastLibraryFunction: string | undefined;
  for (const frame of frames) {
    const module = frame.fileName.match(/[/\\]node_modules[/\\](@[^/\\]+[/\\][^/\\]+|[^@][^/\\]*)/);
    const owner = frame.fileName.startsWith(LIBRARY_DIR + path.sep) ? LIBRARY_NAME
      : module ? module[1]
        : frame.fileName.startsWith('node:') ? 'node internals'
          : undefined;
    if (owner !== undefined) {
      if (!folded.includes(owner)) folded.push(owner);
      lastLibraryFunction = owner === LIBRARY_NAME ? frame.functionName : lastLibraryFunction;
      continue;
    }
    flush(lastLibraryFunction);
    lastLibraryFunction = undefined;
    const functionName = frame.functionName === 'Object.<anonymous>' ? '<anonymous>' : frame.functionName;
    lines.push(`    at ${functionName} (${frame.fileName}:${frame.location})`);
  }
  flush();
  return lines;
}

/** The construct's path from the app down, one line per construct with its type. */
function renderConstructRootPath(scope: IConstruct): string {
  const chain: IConstruct[] = [];
  for (let c: IConstruct | undefined = scope; c !== undefined; c = c.node.scope) chain.unshift(c);
  const branch = ' \u2514\u2500 ';
  return chain.map((c, i) => {
    const rtti = (Object.getPrototypeOf(c).constructor as Record<symbol, { fqn?: unknown } | undefined>)[JSII_RTTI_SYMBOL];
    const type = typeof rtti?.fqn === 'string' ? ` (${rtti.fqn})` : '';
    const indent = i > 0 ? ' '.repeat(branch.length * (i - 1)) + branch : '';
    return `    ${indent}${c.node.id || '<.>'}${type}`;
  }).join('\n');
}

/** Renders a received value for an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'object' && value !== null && 'toString' in value && value.toString !== Object.prototype.toString) {
    return String(value);
  }
  return JSON.stringify(value);
}

/** True when the value is a token that is only known at deploy time (never validated). */
export function isUnresolved(value: unknown): boolean {
  return value !== undefined && Token.isUnresolved(value);
}

/**
 * Throws unless `min <= value <= max` (and, with `integer`, a whole number). Tokens are skipped.
 */
export function checkRange(
  scope: IConstruct,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
  fix: string,
  options: { integer?: boolean; unit?: string } = {},
): void {
  if (value === undefined || isUnresolved(value)) return;
  const unit = options.unit ? ` ${options.unit}` : '';
  const wantInt = options.integer ?? true;
  if (Number.isNaN(value) || value < min || value > max || (wantInt && !Number.isInteger(value))) {
    throw new ValidationError(scope,
      `${prop} must be ${wantInt ? 'a whole number ' : ''}between ${min} and ${max}${unit}, got ${show(value)}. ${fix}`);
  }
}

/** Throws when `lower` exceeds `upper`. Tokens are skipped. */
export function checkOrder(
  scope: IConstruct,
  lowerProp: string,
  lower: number | undefined,
  upperProp: string,
  upper: number | undefined,
): void {
  if (lower === undefined || upper === undefined || isUnresolved(lower) || isUnresolved(upper)) return;
  if (lower > upper) {
    throw new ValidationError(scope,
      `${lowerProp} (${lower}) must not exceed ${upperProp} (${upper}). Lower ${lowerProp} or raise ${upperProp}.`);
  }
}

/**
 * Throws unless `value` is a name of 1 to `maxLength` characters, each matching `allowed` (a
 * one-character regular expression, described by `allowedText`). Tokens are skipped.
 */
export function checkName(
  scope: IConstruct,
  prop: string,
  value: string | undefined,
  maxLength: number,
  allowed: RegExp,
  allowedText: string,
): void {
  if (value === undefined || isUnresolved(value)) return;
  if (value.length === 0 || value.length > maxLength) {
    throw new ValidationError(scope,
      `${prop} is ${value.length} characters long, but it must have 1 to ${maxLength}. ${value.length ? 'Shorten it.' : 'Give a non-empty name.'}`);
  }
  const bad = [...value].find(c => !allowed.test(c));
  if (bad !== undefined) {
    throw new ValidationError(scope,
      `${prop} ${show(value)} contains ${show(bad)}, but it may only contain ${allowedText}. Rename it.`);
  }
}

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Throws unless `retention` is a period CloudWatch Logs accepts, or `RetentionDays.INFINITE` (no expiry). */
export function checkLogRetention(scope: IConstruct, prop: string, retention: logs.RetentionDays | undefined): void {
  if (retention === undefined || isUnresolved(retention)) return;
  if (retention === logs.RetentionDays.INFINITE || LOG_RETENTION_DAYS.includes(retention)) return;
  throw new ValidationError(scope,
    `${prop} ${show(retention)} is not a retention CloudWatch Logs accepts (${LOG_RETENTION_DAYS.join(', ')} days), so it rejects ` +
    'the log group at deploy. Use a logs.RetentionDays value (e.g. RetentionDays.ONE_YEAR), or RetentionDays.INFINITE to keep logs forever.');
}
