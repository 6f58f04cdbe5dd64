import { Lazy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { checkOrder, checkRange, isUnresolved, show, ValidationError } from '../../src/core/errors';
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
