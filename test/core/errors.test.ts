import { Errors, Lazy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { WorkloadCluster } from '../../src';
import { checkLogRetention, checkOrder, checkRange, isUnresolved, show, ValidationError } from '../../src/core/errors';
import { newStack } from '../compliance';

function scope(): Construct {
  return new Construct(newStack(), 'Thing');
}

describe('ValidationError', () => {
  test('carries the construct path and prefixes the message with it', () => {
    const error = new ValidationError(scope(), 'cpu 3 is wrong. Use 256.');
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ValidationError');
    expect(error.constructPath).toBe('Test/Thing');
    expect(error.message).toBe('Test/Thing: cpu 3 is wrong. Use 256.');
  });

  test('is a validation error for aws-cdk-lib (Errors.isValidationError), like its own', () => {
    const error = new ValidationError(scope(), 'cpu 3 is wrong. Use 256.');
    expect(Errors.isValidationError(error)).toBe(true);
    expect(Errors.isConstructError(error)).toBe(true);
    expect(error.type).toBe('validation');
    expect(error.level).toBe('error');
    expect(Errors.isValidationError(new Error('plain'))).toBe(false);
  });

  test('a construct that rejects its props throws it, and aws-cdk-lib recognizes it', () => {
    const stack = newStack();
    const error = catchError(() => new WorkloadCluster(stack, 'Cluster', { natGateways: 3 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(Errors.isValidationError(error)).toBe(true);
  });

  test('renders like aws-cdk-lib\'s errors: name, message, the caller\'s frames, then the construct path', () => {
    const stack = newStack();
    const error = catchError(() => new WorkloadCluster(stack, 'Cluster', { natGateways: 3 })) as ValidationError;
    const lines = error.stack!.split('\n');
    expect(lines[0]).toBe(`\u00ABValidationError\u00BB ${error.message}`);
    // The library's own frames are folded into one line; the first frame shown is this test's.
    expect(lines[1]).toBe('    ...new WorkloadCluster in cdk-ecs-workloads...');
    expect(lines[2]).toMatch(/^ {4}at .*errors\.test\.ts:\d+:\d+\)$/);
    expect(error.stack).not.toMatch(/src[/\\]core[/\\]errors\.ts/);
    const tree = lines.slice(lines.indexOf('Relates to construct:') + 1);
    expect(tree).toEqual([
      '    <.> (aws-cdk-lib.App)',
      '     \u2514\u2500 Test (aws-cdk-lib.Stack)',
      expect.stringMatching(/^ {9}\u2514\u2500 Cluster \(/),
    ]);
  });
});

function catchError(build: () => unknown): unknown {
  try {
    build();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('checkLogRetention', () => {
  test.each([logs.RetentionDays.ONE_DAY, logs.RetentionDays.ONE_YEAR, logs.RetentionDays.TEN_YEARS, logs.RetentionDays.INFINITE, undefined])(
    'accepts %s', retention => {
      expect(() => checkLogRetention(scope(), 'logRetention', retention)).not.toThrow();
    });

  test.each([0, 2, 366, 3654, 1.5])('rejects %d', retention => {
    expect(() => checkLogRetention(scope(), 'logRetention', retention as logs.RetentionDays))
      .toThrow(new RegExp(`Test/Thing: logRetention ${retention} is not a retention CloudWatch Logs accepts`));
  });
});

describe('show', () => {
  test.each([
    ['a string is quoted', 'abc', "'abc'"],
    ['undefined', undefined, 'undefined'],
    ['a number', 42, '42'],
    ['a plain object', { a: 1 }, '{"a":1}'],
    ['an object with its own toString', new ec2.InstanceType('m7g.large'), 'm7g.large'],
  ])('renders %s', (_, value, expected) => {
    expect(show(value)).toBe(expected);
  });
});

describe('isUnresolved', () => {
  test('is true for tokens only', () => {
    expect(isUnresolved(Token.asNumber(Lazy.number({ produce: () => 1 })))).toBe(true);
    expect(isUnresolved(Lazy.string({ produce: () => 'x' }))).toBe(true);
    expect(isUnresolved(5)).toBe(false);
    expect(isUnresolved('x')).toBe(false);
    expect(isUnresolved(undefined)).toBe(false);
  });
});

describe('checkRange', () => {
  test.each([1, 5, 10])('accepts %d within 1–10', (value) => {
    expect(() => checkRange(scope(), 'size', value, 1, 10, 'Fix it.')).not.toThrow();
  });

  test('skips undefined and tokens', () => {
    expect(() => checkRange(scope(), 'size', undefined, 1, 10, 'Fix it.')).not.toThrow();
    expect(() => checkRange(scope(), 'size', Token.asNumber(Lazy.number({ produce: () => 99 })), 1, 10, 'Fix it.')).not.toThrow();
  });

  test.each([
    [0, /Test\/Thing: size must be a whole number between 1 and 10 GiB, got 0\. Fix it\./],
    [11, /size must be a whole number between 1 and 10 GiB, got 11/],
    [2.5, /size must be a whole number between 1 and 10 GiB, got 2\.5/],
    [NaN, /size must be a whole number between 1 and 10 GiB/],
  ])('rejects %d', (value, message) => {
    expect(() => checkRange(scope(), 'size', value, 1, 10, 'Fix it.', { unit: 'GiB' })).toThrow(message);
  });

  test('accepts fractions when integer is false, and says so in the message', () => {
    expect(() => checkRange(scope(), 'ratio', 0.5, 0, 1, 'Fix it.', { integer: false })).not.toThrow();
    expect(() => checkRange(scope(), 'ratio', 1.5, 0, 1, 'Fix it.', { integer: false }))
      .toThrow(/ratio must be between 0 and 1, got 1\.5/);
  });
});

describe('checkOrder', () => {
  test('accepts lower <= upper, undefined and tokens', () => {
    expect(() => checkOrder(scope(), 'min', 1, 'max', 1)).not.toThrow();
    expect(() => checkOrder(scope(), 'min', undefined, 'max', 1)).not.toThrow();
    expect(() => checkOrder(scope(), 'min', 5, 'max', Token.asNumber(Lazy.number({ produce: () => 1 })))).not.toThrow();
  });

  test('rejects lower > upper naming both props and the fix', () => {
    expect(() => checkOrder(scope(), 'min', 5, 'max', 2))
      .toThrow(/min \(5\) must not exceed max \(2\)\. Lower min or raise max\./);
  });
});
