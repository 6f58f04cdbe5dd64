import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { Capacity, WorkloadCluster } from '../../src';
import { ValidationError } from '../../src/core/errors';
import { PlacementOptions, resolveCapacity, taskSecurityGroup } from '../../src/core/service';
import { newStack } from '../compliance';

function setup() {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const provider = cluster.addAsgCapacity('Graviton', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 2 });
  return { stack, cluster, provider, scope: new Construct(stack, 'Work') };
}

const placement: PlacementOptions = {
  placementStrategies: [ecs.PlacementStrategy.spreadAcrossInstances(), ecs.PlacementStrategy.packedByCpu()],
  placementConstraints: [ecs.PlacementConstraint.distinctInstances(), ecs.PlacementConstraint.memberOf('attribute:ecs.instance-type =~ m7g.*')],
};

describe('resolveCapacity', () => {
  test('uses the fallback when no capacity is given, and the given capacity otherwise', () => {
    const { cluster, scope } = setup();
    const fallback = Capacity.fargate();
    expect(resolveCapacity(scope, cluster, undefined, fallback)).toBe(fallback);
    const spot = Capacity.fargateSpot({ onDemandBase: 1 });
    expect(resolveCapacity(scope, cluster, spot, fallback)).toBe(spot);
  });

  test('accepts placement strategies and constraints (spread, binpack, random, memberOf) on EC2 capacity', () => {
    const { cluster, provider, scope } = setup();
    const ec2Capacity = Capacity.ec2(provider);
    expect(resolveCapacity(scope, cluster, ec2Capacity, Capacity.fargate(), {
      ...placement,
      placementStrategies: [...placement.placementStrategies!, ecs.PlacementStrategy.randomly()],
    })).toBe(ec2Capacity);
  });

  test('accepts empty placement lists on Fargate', () => {
    const { cluster, scope } = setup();
    expect(() => resolveCapacity(scope, cluster, Capacity.fargate(), Capacity.fargate(), { placementStrategies: [], placementConstraints: [] }))
      .not.toThrow();
  });

  test('accepts a provider of an existing cluster, which addAsgCapacity cannot know', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const existing = new ecs.Cluster(stack, 'Existing', { vpc });
    const provider = new ecs.AsgCapacityProvider(stack, 'Provider', {
      autoScalingGroup: new autoscaling.AutoScalingGroup(stack, 'Asg', {
        vpc,
        instanceType: new ec2.InstanceType('m7g.large'),
        machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.ARM),
        maxCapacity: 1,
      }),
    });
    existing.addAsgCapacityProvider(provider);
    const cluster = new WorkloadCluster(stack, 'Cluster', { vpc, cluster: existing });
    const capacity = Capacity.ec2(provider);
    expect(resolveCapacity(new Construct(stack, 'Work'), cluster, capacity, Capacity.fargate(), placement)).toBe(capacity);
  });

  test.each<[string, (s: ReturnType<typeof setup>) => [Capacity, PlacementOptions], RegExp]>([
    ['placement strategies on Fargate', () => [Capacity.fargate(), { placementStrategies: placement.placementStrategies }],
      /Test\/Work: placementStrategies \(2 given\) apply to EC2 capacity only; Fargate places tasks itself\. Remove placementStrategies or run the workload on EC2 capacity with Capacity\.ec2\(provider\)\./],
    ['placement constraints on Fargate Spot', () => [Capacity.fargateSpot(), { placementConstraints: placement.placementConstraints }],
      /placementConstraints \(2 given\) apply to EC2 capacity only; Fargate places tasks itself\. Remove placementConstraints/],
    ['an EC2 provider of another cluster', ({ stack }) => {
      const other = new WorkloadCluster(stack, 'Other');
      return [Capacity.ec2(other.addAsgCapacity('Asg', { instanceType: new ec2.InstanceType('m7g.large'), maxCapacity: 1 })), {}];
    }, /capacity uses capacity provider 'Test\/Other\/Asg\/CapacityProvider', which was not added to cluster 'Test\/Cluster'\. Create it with cluster\.addAsgCapacity\(\.\.\.\) on the same cluster\./],
    ['Spot weights all 0', () => [Capacity.fargateSpot({ spotWeight: 0 }), {}], /capacity has every weight at 0/],
  ])('rejects %s', (_, make, message) => {
    const s = setup();
    const [capacity, options] = make(s);
    const attempt = () => resolveCapacity(s.scope, s.cluster, capacity, Capacity.fargate(), options);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(message);
  });
});

describe('taskSecurityGroup', () => {
  test('is a security group in the cluster VPC that allows all outbound traffic', () => {
    const { stack, cluster, scope } = setup();
    taskSecurityGroup(scope, cluster);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Tasks of Test/Work',
      VpcId: { Ref: 'ClusterVpcFAA3CEDF' },
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1', Description: 'Allow all outbound traffic by default' }],
    });
  });
});
