import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { Capacity, CapacityKind, WorkloadCluster } from '../../src';
import { ValidationError } from '../../src/core/errors';
import { newStack } from '../compliance';

describe('Capacity', () => {
  test('fargate(): on-demand Fargate only', () => {
    const capacity = Capacity.fargate();
    expect(capacity.kind).toBe(CapacityKind.FARGATE);
    expect(capacity.isFargate).toBe(true);
    expect(capacity.usesSpot).toBe(false);
    expect(capacity.provider).toBeUndefined();
    expect(capacity.strategies).toEqual([{ capacityProvider: 'FARGATE', weight: 1 }]);
  });

  test('fargateSpot() defaults to Spot only, weight 1', () => {
    const capacity = Capacity.fargateSpot();
    expect(capacity.isFargate).toBe(true);
    expect(capacity.usesSpot).toBe(true);
    expect(capacity.strategies).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
  });

  test('fargateSpot() mixes in on-demand Fargate with base and weight', () => {
    const capacity = Capacity.fargateSpot({ spotWeight: 3, onDemandBase: 2, onDemandWeight: 1 });
    expect(capacity.strategies).toEqual([
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      { capacityProvider: 'FARGATE', base: 2, weight: 1 },
    ]);
  });

  test('fargateSpot() with only an on-demand base keeps the base on Fargate', () => {
    const capacity = Capacity.fargateSpot({ onDemandBase: 1 });
    expect(capacity.strategies).toEqual([
      { capacityProvider: 'FARGATE_SPOT', weight: 1 },
      { capacityProvider: 'FARGATE', base: 1, weight: 0 },
    ]);
  });

  test('ec2(provider) uses the provider, with an optional base', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const provider = cluster.addAsgCapacity('Graviton', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
    const capacity = Capacity.ec2(provider, { base: 2 });
    expect(capacity.kind).toBe(CapacityKind.EC2);
    expect(capacity.isFargate).toBe(false);
    expect(capacity.usesSpot).toBe(false);
    expect(capacity.provider).toBe(provider);
    expect(capacity.strategies).toEqual([{ capacityProvider: provider.capacityProviderName, base: 2, weight: 1 }]);
    expect(() => capacity.validate(new Construct(stack, 'Work'))).not.toThrow();
  });

  test.each([
    ['default fargate', Capacity.fargate()],
    ['default fargateSpot', Capacity.fargateSpot()],
    ['spot with zero weight but on-demand weight', Capacity.fargateSpot({ spotWeight: 0, onDemandWeight: 1 })],
    ['largest base and weights', Capacity.fargateSpot({ spotWeight: 1000, onDemandWeight: 1000, onDemandBase: 100000 })],
  ])('validate() accepts %s', (_, capacity) => {
    expect(() => capacity.validate(new Construct(newStack(), 'Work'))).not.toThrow();
  });

  test.each([
    ['every weight 0', Capacity.fargateSpot({ spotWeight: 0 }),
      /Test\/Work: capacity has every weight at 0, so ECS could place no task beyond the base\. Give spotWeight or onDemandWeight a value of at least 1\./],
    ['every weight 0 even with a base', Capacity.fargateSpot({ spotWeight: 0, onDemandBase: 2 }), /capacity has every weight at 0/],
    ['spotWeight above 1000', Capacity.fargateSpot({ spotWeight: 1001 }),
      /capacity\.spotWeight must be a whole number between 0 and 1000, got 1001\. ECS accepts base 0–100000 and weight 0–1000\./],
    ['negative onDemandWeight', Capacity.fargateSpot({ onDemandWeight: -1 }), /capacity\.onDemandWeight must be a whole number between 0 and 1000, got -1/],
    ['fractional onDemandBase', Capacity.fargateSpot({ onDemandBase: 1.5 }), /capacity\.onDemandBase must be a whole number between 0 and 100000, got 1\.5/],
  ])('validate() rejects %s', (_, capacity, message) => {
    const validate = () => capacity.validate(new Construct(newStack(), 'Work'));
    expect(validate).toThrow(ValidationError);
    expect(validate).toThrow(message);
  });

  test('validate() rejects an EC2 base out of range, naming the prop given', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const provider = cluster.addAsgCapacity('Graviton', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
    expect(() => Capacity.ec2(provider, { base: -1 }).validate(new Construct(stack, 'Work'), 'workerCapacity'))
      .toThrow(/workerCapacity\.base must be a whole number between 0 and 100000, got -1/);
  });
});
