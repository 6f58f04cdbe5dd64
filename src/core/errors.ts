import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A prop (or combination of props) that cannot produce a working deployment.
 *
 * Thrown at synth time. The message names the construct path, the prop, the value received,
 * what is allowed and how to fix it.
 */
export class ValidationError extends Error {
  /** Path of the construct whose props were rejected. */
  public readonly constructPath: string;

  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'ValidationError';
    this.constructPath = scope.node.path;
    Object.setPrototypeOf(this, ValidationError.prototype);
  }
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
