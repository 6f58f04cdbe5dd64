import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { PredictiveScalingMetric, RolloutStrategy, WorkloadCluster } from '../../src';
import { InferenceService, InferenceServiceProps, LoadBalancerType } from '../../src/inference-service/inference-service';
import { expectCompliant, newStack } from '../compliance';
import { expectDeployable } from '../deploy-proof';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12-slim');
const CERT_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const HOOK_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:smoke-test';
const NLB = LoadBalancerType.NETWORK;

interface Built {
  readonly stack: Stack;
  readonly cluster: WorkloadCluster;
  readonly service: InferenceService;
  readonly template: Template;
}

/** A service in a new stack; `certificate: true` gives it the test certificate. */
function build(props: Partial<InferenceServiceProps> & { withCertificate?: boolean } = {}): Built {
  const stack = newStack();
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const { withCertificate, ...rest } = props;
  const certificate = withCertificate ? acm.Certificate.fromCertificateArn(stack, 'Certificate', CERT_ARN) : undefined;
  const service = new InferenceService(stack, 'Inference', { cluster, image: IMAGE, certificate, ...rest });
  return { stack, cluster, service, template: Template.fromStack(stack) };
}

function ids(template: Template, type: string, props?: any): string[] {
  return Object.keys(template.findResources(type, props ? { Properties: props } : undefined));
}

function only(template: Template, type: string): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

/** The ECS service's properties. */
function serviceProps(template: Template): any {
  return only(template, 'AWS::ECS::Service').resource.Properties;
}

/** Logical id of the one resource of a type whose id starts with `prefix`. */
function idOf(template: Template, type: string, prefix: string): string {
  const found = ids(template, type).filter(id => id.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The alarms of the construct, by logical id prefix (Target5xx, Latency, UnhealthyTasks). */
function alarms(template: Template): { [name: string]: any } {
  const out: { [name: string]: any } = {};
  for (const [id, r] of Object.entries<any>(template.findResources('AWS::CloudWatch::Alarm'))) {
    const m = /^Inference(Target5xx|Latency|UnhealthyTasks)Alarm/.exec(id);
    if (m) out[m[1]] = { id, ...r.Properties };
  }
  return out;
}

/** The metric ids of an alarm's metric-math query, and its returned expression. */
function query(alarm: any): { expression: string; metrics: { [id: string]: any } } {
  const metrics: { [id: string]: any } = {};
  let expression = '';
  for (const m of alarm.Metrics) {
    if (m.Expression) expression = m.Expression;
    else metrics[m.Id] = m.MetricStat;
  }
  return { expression, metrics };
}

const TRAFFIC_SHIFTING: Array<[string, () => RolloutStrategy, string]> = [
  ['blueGreen', () => RolloutStrategy.blueGreen(), 'BLUE_GREEN'],
  ['canary', () => RolloutStrategy.canary(), 'CANARY'],
  ['linear', () => RolloutStrategy.linear(), 'LINEAR'],
];

describe('rolling (the default)', () => {
  const { template, service } = build();

  test('keeps the circuit breaker with rollback, no deployment strategy, no alternate target group, no hooks', () => {
    const p = serviceProps(template);
    expect(p.DeploymentConfiguration).toEqual(expect.objectContaining({
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      MinimumHealthyPercent: 100,
      MaximumPercent: 200,
    }));
    expect(p.DeploymentConfiguration.Strategy).toBeUndefined();
    expect(p.DeploymentConfiguration.BakeTimeInMinutes).toBeUndefined();
    expect(p.LoadBalancers).toEqual([{ ContainerName: 'main', ContainerPort: 8080, TargetGroupArn: { Ref: expect.stringMatching(/^InferenceTargetGroup/) } }]);
    expect(p.DeploymentConfiguration.LifecycleHooks).toBeUndefined();
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    expect(ids(template, 'AWS::IAM::Role').filter(id => id.includes('TrafficShift'))).toEqual([]);
    expect(service.alternateTargetGroup).toBeUndefined();
    expect(service.testListener).toBeUndefined();
    expect(service.trafficShiftRole).toBeUndefined();
  });

  test('scales on the predefined ALBRequestCountPerTarget of its one target group', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: Match.anyValue() },
        TargetValue: 60,
      },
    });
  });

  test('RolloutStrategy.rolling() is the same as no rollout', () => {
    const explicit = build({ rollout: RolloutStrategy.rolling() }).template.toJSON();
    expect(explicit).toEqual(template.toJSON());
    expect(RolloutStrategy.rolling().shiftsTraffic).toBe(false);
    expect(RolloutStrategy.rolling().strategy).toBe(ecs.DeploymentStrategy.ROLLING);
  });
});

describe.each(TRAFFIC_SHIFTING)('%s on an ALB', (_name, strategy, cfnStrategy) => {
  const { template, service } = build({ rollout: strategy() });

  test(`DeploymentConfiguration.Strategy ${cfnStrategy}, 10-minute bake time, no circuit breaker settings of rolling`, () => {
    const config = serviceProps(template).DeploymentConfiguration;
    expect(config.Strategy).toBe(cfnStrategy);
    expect(config.BakeTimeInMinutes).toBe(10);
    expect(service.alternateTargetGroup).toBeInstanceOf(elbv2.ApplicationTargetGroup);
    expect(service.trafficShiftRole).toBeDefined();
  });

  test('two identical target groups: the alternate one differs only in its id', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    const [a, b] = Object.values<any>(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')).map(r => r.Properties);
    expect(a).toEqual(b);
    expect(a).toEqual(expect.objectContaining({ TargetType: 'ip', Port: 8080, Protocol: 'HTTP', HealthCheckPath: '/health' }));
  });

  test('LoadBalancers[0].AdvancedConfiguration: alternate target group, production rule, role, no test rule', () => {
    const [lb] = serviceProps(template).LoadBalancers;
    expect(lb.TargetGroupArn).toEqual({ Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'InferenceTargetGroup') });
    expect(lb.AdvancedConfiguration).toEqual({
      AlternateTargetGroupArn: { Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'InferenceAlternateTargetGroup') },
      ProductionListenerRule: { Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::ListenerRule', 'InferenceProductionRule') },
      RoleArn: { 'Fn::GetAtt': [idOf(template, 'AWS::IAM::Role', 'InferenceTrafficShiftRole'), 'Arn'] },
    });
  });

  test('the production rule on the listener: priority 1, every path, weighted forward 100/0 over both groups', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: { Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'InferenceLoadBalancerListener') },
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
      Actions: [{
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: { Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'InferenceTargetGroup') }, Weight: 100 },
            { TargetGroupArn: { Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'InferenceAlternateTargetGroup') }, Weight: 0 },
          ],
        },
      }],
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
  });

  test('request-count scaling reads both target groups per desired task (metric math), not the predefined metric', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    const policy = only(template, 'AWS::ApplicationAutoScaling::ScalingPolicy').resource.Properties;
    const config = policy.TargetTrackingScalingPolicyConfiguration;
    expect(config.PredefinedMetricSpecification).toBeUndefined();
    expect(config.TargetValue).toBe(60);
    const metrics = config.CustomizedMetricSpecification.Metrics;
    expect(metrics.map((m: any) => m.Id)).toEqual(['requests0', 'requests1', 'desired', 'requestsPerTask']);
    const tgFullName = (prefix: string) => ({ 'Fn::GetAtt': [idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', prefix), 'TargetGroupFullName'] });
    expect(metrics[0].MetricStat.Metric).toEqual(expect.objectContaining({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'RequestCount',
      Dimensions: [{ Name: 'LoadBalancer', Value: expect.anything() }, { Name: 'TargetGroup', Value: tgFullName('InferenceTargetGroup') }],
    }));
    expect(metrics[1].MetricStat.Metric.Dimensions[1]).toEqual({ Name: 'TargetGroup', Value: tgFullName('InferenceAlternateTargetGroup') });
    expect(metrics[0].MetricStat.Stat).toBe('Sum');
    expect(metrics[2].MetricStat).toEqual({
      Metric: {
        Namespace: 'ECS/ContainerInsights',
        MetricName: 'DesiredTaskCount',
        Dimensions: [
          { Name: 'ClusterName', Value: { Ref: idOf(template, 'AWS::ECS::Cluster', 'Cluster') } },
          { Name: 'ServiceName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^InferenceService/), 'Name'] } },
        ],
      },
      Stat: 'Average',
    });
    expect(metrics[3]).toEqual(expect.objectContaining({
      Expression: '(FILL(requests0, 0) + FILL(requests1, 0)) / IF(desired > 0, desired, 1)', ReturnData: true,
    }));
    expect(metrics.slice(0, 3).every((m: any) => m.ReturnData === false)).toBe(true);
  });

  test('the deployment alarms read both target groups and take the worst', () => {
    const a = alarms(template);
    expect(Object.keys(a).sort()).toEqual(['Latency', 'Target5xx', 'UnhealthyTasks']);
    expect(query(a.Target5xx).expression).toBe(
      'MAX([IF(FILL(errors0, 0) >= 3 AND requests0 > 0, 100 * FILL(errors0, 0) / requests0, 0), ' +
      'IF(FILL(errors1, 0) >= 3 AND requests1 > 0, 100 * FILL(errors1, 0) / requests1, 0)])');
    expect(query(a.Latency).expression).toBe('MAX([latency0, latency1])');
    expect(query(a.UnhealthyTasks).expression).toBe('MAX([FILL(unhealthy0, 0), FILL(unhealthy1, 0)])');
    const groups = (alarm: any) => Object.values(query(alarm).metrics)
      .map((m: any) => m.Metric.Dimensions.find((d: any) => d.Name === 'TargetGroup').Value['Fn::GetAtt'][0]);
    for (const alarm of Object.values(a)) {
      expect(new Set(groups(alarm))).toEqual(new Set([
        idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'InferenceTargetGroup'),
        idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'InferenceAlternateTargetGroup'),
      ]));
    }
  });
});

describe.each(TRAFFIC_SHIFTING)('%s on an NLB', (_name, strategy, cfnStrategy) => {
  const { template, service } = build({ rollout: strategy(), loadBalancerType: NLB });

  test(`Strategy ${cfnStrategy}, an alternate TCP target group, the listener itself as production "rule"`, () => {
    const p = serviceProps(template);
    expect(p.DeploymentConfiguration.Strategy).toBe(cfnStrategy);
    expect(p.DeploymentConfiguration.BakeTimeInMinutes).toBe(10);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    expect(p.LoadBalancers[0].AdvancedConfiguration).toEqual({
      AlternateTargetGroupArn: { Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'InferenceAlternateTargetGroup') },
      ProductionListenerRule: { Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'InferenceLoadBalancerListener') },
      RoleArn: { 'Fn::GetAtt': [idOf(template, 'AWS::IAM::Role', 'InferenceTrafficShiftRole'), 'Arn'] },
    });
    expect(service.alternateTargetGroup).toBeInstanceOf(elbv2.NetworkTargetGroup);
  });

  test('the traffic-shift role may modify the listener, and no rule', () => {
    const statements = trafficShiftPolicy(template).Statement;
    expect(statements.map((s: any) => s.Action)).toEqual([
      expect.arrayContaining(['elasticloadbalancing:DescribeListeners']),
      ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      'elasticloadbalancing:ModifyListener',
    ]);
    expect(statements[2].Resource).toEqual({ Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'InferenceLoadBalancerListener') });
  });

  test('only the unhealthy-task alarm (an NLB counts no responses), over both target groups', () => {
    const a = alarms(template);
    expect(Object.keys(a)).toEqual(['UnhealthyTasks']);
    expect(query(a.UnhealthyTasks).expression).toBe('MAX([FILL(unhealthy0, 0), FILL(unhealthy1, 0)])');
    expect(Object.values(query(a.UnhealthyTasks).metrics).map((m: any) => m.Metric.Namespace)).toEqual(['AWS/NetworkELB', 'AWS/NetworkELB']);
    expect(serviceProps(template).DeploymentConfiguration.Alarms)
      .toEqual({ AlarmNames: [{ Ref: a.UnhealthyTasks.id }], Enable: true, Rollback: true });
  });

  test('CPU scaling only (no request-count policy on an NLB)', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }),
    });
  });
});

/** The customer-managed policy of the traffic-shift role. */
function trafficShiftPolicy(template: Template): any {
  const role = idOf(template, 'AWS::IAM::Role', 'InferenceTrafficShiftRole');
  const policies = Object.values<any>(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: role }] } }));
  expect(policies).toHaveLength(1);
  expect(Object.values<any>(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }))).toEqual([]);
  return policies[0].Properties.PolicyDocument;
}

describe('strategy options', () => {
  test.each<[string, () => RolloutStrategy, { [key: string]: any }]>([
    ['canary defaults: 5 % for 10 minutes', () => RolloutStrategy.canary(),
      { Strategy: 'CANARY', BakeTimeInMinutes: 10, CanaryConfiguration: { CanaryPercent: 5, CanaryBakeTimeInMinutes: 10 } }],
    ['canary overrides', () => RolloutStrategy.canary({ stepPercent: 0.5, stepBakeTime: Duration.minutes(30), bakeTime: Duration.minutes(0) }),
      { Strategy: 'CANARY', BakeTimeInMinutes: 0, CanaryConfiguration: { CanaryPercent: 0.5, CanaryBakeTimeInMinutes: 30 } }],
    ['linear defaults: 10 % every 6 minutes', () => RolloutStrategy.linear(),
      { Strategy: 'LINEAR', BakeTimeInMinutes: 10, LinearConfiguration: { StepPercent: 10, StepBakeTimeInMinutes: 6 } }],
    ['linear overrides', () => RolloutStrategy.linear({ stepPercent: 25, stepBakeTime: Duration.hours(1), bakeTime: Duration.hours(24) }),
      { Strategy: 'LINEAR', BakeTimeInMinutes: 1440, LinearConfiguration: { StepPercent: 25, StepBakeTimeInMinutes: 60 } }],
    ['blue/green bake time', () => RolloutStrategy.blueGreen({ bakeTime: Duration.minutes(45) }), { Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 45 }],
  ])('%s', (_name, strategy, expected) => {
    const config = serviceProps(build({ rollout: strategy() }).template).DeploymentConfiguration;
    expect(config).toEqual(expect.objectContaining(expected));
    if (expected.Strategy !== 'CANARY') expect(config.CanaryConfiguration).toBeUndefined();
    if (expected.Strategy !== 'LINEAR') expect(config.LinearConfiguration).toBeUndefined();
  });

  test('shiftsTraffic and strategy of each factory', () => {
    expect([RolloutStrategy.blueGreen(), RolloutStrategy.canary(), RolloutStrategy.linear()].map(s => [s.strategy, s.shiftsTraffic])).toEqual([
      [ecs.DeploymentStrategy.BLUE_GREEN, true], [ecs.DeploymentStrategy.CANARY, true], [ecs.DeploymentStrategy.LINEAR, true],
    ]);
  });
});

describe('test listener', () => {
  test('ALB with HTTPS: a second HTTPS listener with its own rule, its port open to the same peers', () => {
    const { template, service } = build({ withCertificate: true, rollout: RolloutStrategy.blueGreen({ testListenerPort: 9443 }) });
    const testListener = idOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'InferenceLoadBalancerTestListener');
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 9443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERT_ARN }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 2);
    const testRule = idOf(template, 'AWS::ElasticLoadBalancingV2::ListenerRule', 'InferenceTestRule');
    expect(template.toJSON().Resources[testRule].Properties).toEqual(expect.objectContaining({
      ListenerArn: { Ref: testListener }, Priority: 1, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
    }));
    expect(serviceProps(template).LoadBalancers[0].AdvancedConfiguration.TestListenerRule).toEqual({ Ref: testRule });
    // The same peers (the VPC's subnets) reach 443, the redirect on 80, and the test port.
    const ingress = Object.values<any>(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'Load balancer of Test/Inference' } }))[0]
      .Properties.SecurityGroupIngress;
    const byPort = (port: number) => ingress.filter((r: any) => r.FromPort === port && r.ToPort === port).map((r: any) => r.CidrIp).sort();
    expect(byPort(9443)).toEqual(byPort(443));
    expect(byPort(9443)).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.16.0/20', '10.0.32.0/20']);
    expect(ingress.find((r: any) => r.FromPort === 9443).Description).toBe('Clients on 9443');
    expect(service.testListener).toBeInstanceOf(elbv2.ApplicationListener);
  });

  test('given allowedPeers reach the test port too', () => {
    const { template } = build({ allowedPeers: [ec2.Peer.ipv4('192.168.0.0/24')], rollout: RolloutStrategy.canary({ testListenerPort: 8080 }) });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Load balancer of Test/Inference',
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '192.168.0.0/24', FromPort: 80 }),
        Match.objectLike({ CidrIp: '192.168.0.0/24', FromPort: 8080 }),
      ],
    });
  });

  test('NLB: a second listener as the test "rule"', () => {
    const { template, service } = build({ loadBalancerType: NLB, rollout: RolloutStrategy.linear({ testListenerPort: 9000 }) });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 9000, Protocol: 'TCP' });
    const testListener = idOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'InferenceLoadBalancerTestListener');
    expect(serviceProps(template).LoadBalancers[0].AdvancedConfiguration.TestListenerRule).toEqual({ Ref: testListener });
    expect(trafficShiftPolicy(template).Statement[2].Resource).toEqual([
      { Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'InferenceLoadBalancerListener') }, { Ref: testListener },
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Load balancer of Test/Inference',
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: '10.0.16.0/20', FromPort: 9000, ToPort: 9000 })]),
    });
    expect(service.testListener).toBeInstanceOf(elbv2.NetworkListener);
  });

  test('no test listener without testListenerPort', () => {
    const { template, service } = build({ rollout: RolloutStrategy.canary() });
    expect(serviceProps(template).LoadBalancers[0].AdvancedConfiguration.TestListenerRule).toBeUndefined();
    expect(service.testListener).toBeUndefined();
  });
});

describe('traffic-shift role', () => {
  const { template, service, stack } = build({ withCertificate: true, rollout: RolloutStrategy.canary({ testListenerPort: 9443 }) });
  const tg = (prefix: string) => ({ Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup', prefix) });
  const listener = (prefix: string) => ({ Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::Listener', prefix) });
  const rule = (prefix: string) => ({ Ref: idOf(template, 'AWS::ElasticLoadBalancingV2::ListenerRule', prefix) });

  test('trusted by ecs.amazonaws.com only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } }] },
      Description: 'ECS moves traffic between the target groups of Test/Inference during rollouts',
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
  });

  test('a customer-managed policy: Describe* on *, targets of exactly the two groups, exactly this service\'s listeners and rules', () => {
    expect(trafficShiftPolicy(template)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'elasticloadbalancing:DescribeListeners',
            'elasticloadbalancing:DescribeRules',
            'elasticloadbalancing:DescribeTargetGroups',
            'elasticloadbalancing:DescribeTargetHealth',
          ],
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
          Resource: [tg('InferenceTargetGroup'), tg('InferenceAlternateTargetGroup')],
        },
        {
          Effect: 'Allow',
          Action: 'elasticloadbalancing:ModifyListener',
          Resource: [listener('InferenceLoadBalancerListener'), listener('InferenceLoadBalancerTestListener')],
        },
        {
          Effect: 'Allow',
          Action: 'elasticloadbalancing:ModifyRule',
          Resource: [rule('InferenceProductionRule'), rule('InferenceTestRule')],
        },
      ],
    });
    // The redirect listener on 80 is not ECS's to modify.
    const redirect = ids(template, 'AWS::ElasticLoadBalancingV2::Listener', { Port: 80 });
    expect(redirect).toHaveLength(1);
    expect(JSON.stringify(trafficShiftPolicy(template))).not.toContain(redirect[0]);
  });

  test('the service is created after the role and its policy (ECS checks the permissions at creation)', () => {
    const role = idOf(template, 'AWS::IAM::Role', 'InferenceTrafficShiftRole');
    const policy = ids(template, 'AWS::IAM::ManagedPolicy', { Roles: [{ Ref: role }] })[0];
    const dependsOn = only(template, 'AWS::ECS::Service').resource.DependsOn;
    expect(dependsOn).toEqual(expect.arrayContaining([role, policy]));
  });

  test('the member is the role in the template', () => {
    expect(stack.resolve((service.trafficShiftRole as any).roleArn)).toEqual({ 'Fn::GetAtt': [idOf(template, 'AWS::IAM::Role', 'InferenceTrafficShiftRole'), 'Arn'] });
  });
});

describe('lifecycle hooks', () => {
  /** A blue/green service with a smoke-test hook after the test traffic shift; `role` is the hook's own role, if any. */
  function hooked(role?: (stack: Stack) => iam.IRole): Built & { hook: ecs.DeploymentLifecycleLambdaTarget } {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const fn = lambda.Function.fromFunctionArn(stack, 'SmokeTest', HOOK_ARN);
    const hook = new ecs.DeploymentLifecycleLambdaTarget(fn, 'Hook', {
      lifecycleStages: [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
      role: role?.(stack),
    });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Certificate', CERT_ARN);
    const service = new InferenceService(stack, 'Inference', {
      cluster, image: IMAGE, certificate, rollout: RolloutStrategy.blueGreen({ testListenerPort: 9443, lifecycleHooks: [hook] }),
    });
    return { stack, cluster, service, template: Template.fromStack(stack), hook };
  }

  test('a Lambda target reaches DeploymentConfiguration.LifecycleHooks with its stage and a role ECS assumes to invoke it', () => {
    const { template, stack, hook } = hooked();
    expect(serviceProps(template).DeploymentConfiguration.LifecycleHooks).toEqual([{
      HookTargetArn: HOOK_ARN,
      RoleArn: stack.resolve(hook.role.roleArn),
      LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
    }]);
    const roleId = stack.resolve(hook.role.roleArn)['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } },
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: Match.arrayWith([HOOK_ARN]) })] },
    });
  });

  test('a hook with a role of the user\'s own: that role is the hook\'s', () => {
    const { template } = hooked(hookRole);
    expect(serviceProps(template).DeploymentConfiguration.LifecycleHooks[0].RoleArn).toEqual({ 'Fn::GetAtt': [idOf(template, 'AWS::IAM::Role', 'HookRole'), 'Arn'] });
  });

  // aws-cdk-lib's default hook role (DeploymentLifecycleLambdaTarget without `role`) has an inline
  // policy with lambda:InvokeFunction on `<function>:*`: AwsSolutions-IAM5 and the IAMNoInlinePolicy
  // rules of NIST 800-53 r5 and HIPAA flag it. The construct acknowledges them (the fix, a role of
  // the user's, is the user's), naming the function's ARN.
  test('a hook with aws-cdk-lib\'s default role is compliant', () => {
    expectCompliant(hooked().stack);
  });
});

/** A role for a lifecycle hook: ECS may invoke exactly the smoke-test function, through a customer-managed policy. */
function hookRole(stack: Stack): iam.IRole {
  const role = new iam.Role(stack, 'HookRole', { assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com') });
  role.addManagedPolicy(new iam.ManagedPolicy(stack, 'HookPolicy', {
    statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [HOOK_ARN] })],
  }));
  return role;
}

describe('deployment alarms', () => {
  describe('defaults on an ALB (rolling)', () => {
    const { template, service } = build();
    const a = alarms(template);

    test('three alarms: 5xx share above 5 % for 2 minutes, p99 above 10 s for 3 minutes, an unhealthy task for 7 minutes', () => {
      expect(Object.keys(a).sort()).toEqual(['Latency', 'Target5xx', 'UnhealthyTasks']);
      expect(a.Target5xx).toEqual(expect.objectContaining({
        Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching',
      }));
      expect(a.Latency).toEqual(expect.objectContaining({
        Threshold: 10, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching',
      }));
      // Grace period 5 minutes (4-minute model load + 1) plus 2.
      expect(a.UnhealthyTasks).toEqual(expect.objectContaining({
        Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 7, DatapointsToAlarm: 7, TreatMissingData: 'notBreaching',
      }));
    });

    test('each reads one-minute ALB metrics of the one target group', () => {
      expect(query(a.Target5xx)).toEqual({
        expression: 'IF(FILL(errors0, 0) >= 3 AND requests0 > 0, 100 * FILL(errors0, 0) / requests0, 0)',
        metrics: {
          errors0: expect.objectContaining({ Metric: expect.objectContaining({ Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count' }), Stat: 'Sum', Period: 60 }),
          requests0: expect.objectContaining({ Metric: expect.objectContaining({ MetricName: 'RequestCount' }), Stat: 'Sum', Period: 60 }),
        },
      });
      expect(query(a.Latency)).toEqual({
        expression: 'latency0',
        metrics: { latency0: expect.objectContaining({ Metric: expect.objectContaining({ MetricName: 'TargetResponseTime' }), Stat: 'p99', Period: 60 }) },
      });
      expect(query(a.UnhealthyTasks)).toEqual({
        expression: 'FILL(unhealthy0, 0)',
        metrics: { unhealthy0: expect.objectContaining({ Metric: expect.objectContaining({ MetricName: 'UnHealthyHostCount' }), Stat: 'Maximum', Period: 60 }) },
      });
    });

    test('every alarm name reaches DeploymentConfiguration.Alarms, enabled, with rollback (aws/aws-cdk#36308)', () => {
      const config = serviceProps(template).DeploymentConfiguration;
      expect(config.Alarms.Enable).toBe(true);
      expect(config.Alarms.Rollback).toBe(true);
      expect(config.Alarms.AlarmNames).toHaveLength(3);
      expect(config.Alarms.AlarmNames).toEqual(expect.arrayContaining([a.Target5xx.id, a.Latency.id, a.UnhealthyTasks.id].map(id => ({ Ref: id }))));
      expect(service.deploymentAlarms).toHaveLength(3);
    });

    test('they notify a new topic encrypted with the cluster key, which CloudWatch may publish to', () => {
      const topic = idOf(template, 'AWS::SNS::Topic', 'InferenceAlarmTopic');
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] },
        DisplayName: 'Alarms of Test/Inference',
      });
      for (const alarm of Object.values(a)) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topic }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
      });
      expect(service.alarmTopic).toBeInstanceOf(sns.Topic);
    });
  });

  test('a user alarm joins the three: all four names reach the template', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const quality = new cloudwatch.Alarm(stack, 'ModelQuality', {
      metric: new cloudwatch.Metric({ namespace: 'Model', metricName: 'Accuracy' }),
      threshold: 0.9,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
    const service = new InferenceService(stack, 'Inference', { cluster, image: IMAGE, rollout: RolloutStrategy.canary(), deploymentAlarms: { alarms: [quality] } });
    const template = Template.fromStack(stack);
    const a = alarms(template);
    const names = serviceProps(template).DeploymentConfiguration.Alarms.AlarmNames;
    expect(names).toHaveLength(4);
    expect(names).toEqual(expect.arrayContaining([a.Target5xx.id, a.Latency.id, a.UnhealthyTasks.id, idOf(template, 'AWS::CloudWatch::Alarm', 'ModelQuality')].map(id => ({ Ref: id }))));
    expect(service.deploymentAlarms).toContain(quality);
    // The user's alarm keeps its own actions.
    expect(template.toJSON().Resources[idOf(template, 'AWS::CloudWatch::Alarm', 'ModelQuality')].Properties.AlarmActions).toBeUndefined();
  });

  test.each<[string, Partial<InferenceServiceProps>, number]>([
    ['modelLoadTime 10 minutes: grace 11 + 2', { modelLoadTime: Duration.minutes(10) }, 13],
    ['healthCheckGracePeriod 20 minutes: 20 + 2', { healthCheckGracePeriod: Duration.minutes(20) }, 22],
    ['a grace period in seconds rounds up: 90 s is 2 + 2', { healthCheckGracePeriod: Duration.seconds(90) }, 4],
    ['at most a day of periods', { modelLoadTime: Duration.hours(30) }, 1440],
  ])('unhealthy-task alarm periods follow the grace period: %s', (_name, props, periods) => {
    const a = alarms(build(props).template);
    expect(a.UnhealthyTasks.EvaluationPeriods).toBe(periods);
    expect(a.UnhealthyTasks.DatapointsToAlarm).toBe(periods);
  });

  test('max5xxPercent and maxP99Latency set the thresholds', () => {
    const a = alarms(build({ deploymentAlarms: { max5xxPercent: 0.5, maxP99Latency: Duration.millis(1500) } }).template);
    expect(a.Target5xx.Threshold).toBe(0.5);
    expect(a.Latency.Threshold).toBe(1.5);
  });

  test('maxP99Latency 0 removes the latency alarm; unhealthyTasks false removes that one', () => {
    const { template, service } = build({ deploymentAlarms: { maxP99Latency: Duration.seconds(0), unhealthyTasks: false } });
    const a = alarms(template);
    expect(Object.keys(a)).toEqual(['Target5xx']);
    expect(serviceProps(template).DeploymentConfiguration.Alarms.AlarmNames).toEqual([{ Ref: a.Target5xx.id }]);
    expect(service.deploymentAlarms).toHaveLength(1);
  });

  test('enabled: false removes the alarms and the topic; ECS watches no alarm', () => {
    const { template, service } = build({ rollout: RolloutStrategy.canary(), deploymentAlarms: { enabled: false } });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    // aws-cdk-lib renders an ECS-controller service without deployment alarms as alarms turned off.
    expect(serviceProps(template).DeploymentConfiguration.Alarms).toEqual({ AlarmNames: [], Enable: false, Rollback: false });
    expect(service.deploymentAlarms).toEqual([]);
    expect(service.alarmTopic).toBeUndefined();
  });

  test('enabled: false with a user alarm: ECS still watches that one', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const own = cloudwatch.Alarm.fromAlarmName(stack, 'Own', 'model-quality');
    new InferenceService(stack, 'Inference', { cluster, image: IMAGE, deploymentAlarms: { enabled: false, alarms: [own] } });
    const template = Template.fromStack(stack);
    expect(serviceProps(template).DeploymentConfiguration.Alarms).toEqual({ AlarmNames: ['model-quality'], Enable: true, Rollback: true });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  test('behavior FAIL_ON_ALARM: the deployment fails without rollback', () => {
    const { template } = build({ deploymentAlarms: { behavior: ecs.AlarmBehavior.FAIL_ON_ALARM } });
    expect(serviceProps(template).DeploymentConfiguration.Alarms).toEqual(expect.objectContaining({ Enable: true, Rollback: false }));
  });

  test('a given alarmTopic is used, and no topic is created', () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const topic = new sns.Topic(stack, 'Oncall', { enforceSSL: true, masterKey: cluster.encryptionKey });
    const service = new InferenceService(stack, 'Inference', { cluster, image: IMAGE, alarmTopic: topic });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const topicId = idOf(template, 'AWS::SNS::Topic', 'Oncall');
    for (const alarm of Object.values(alarms(template))) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(service.alarmTopic).toBe(topic);
  });
});

describe('traffic settings', () => {
  test('defaults: ALB idle timeout 5 minutes, deregistration delay 5 minutes, no slow start, HTTP/1.1, grace period 5 minutes', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '300' }]),
    });
    const tg = only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup').resource.Properties;
    expect(tg.TargetGroupAttributes).toEqual(expect.arrayContaining([{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }]));
    expect(tg.TargetGroupAttributes.map((x: any) => x.Key)).not.toContain('slow_start.duration_seconds');
    expect(tg.ProtocolVersion).toBeUndefined();
    expect(serviceProps(template).HealthCheckGracePeriodSeconds).toBe(300);
  });

  test('NLB: deregistration delay 30 seconds, no idle timeout attribute', () => {
    const { template } = build({ loadBalancerType: NLB });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
    const attributes = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').resource.Properties.LoadBalancerAttributes.map((x: any) => x.Key);
    expect(attributes).not.toContain('idle_timeout.timeout_seconds');
  });

  test('overrides: idle timeout, deregistration delay, slow start on both target groups, modelLoadTime', () => {
    const { template } = build({
      idleTimeout: Duration.minutes(30),
      deregistrationDelay: Duration.seconds(900),
      slowStart: Duration.minutes(2),
      modelLoadTime: Duration.minutes(12),
      rollout: RolloutStrategy.blueGreen(),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '1800' }]),
    });
    const groups = Object.values<any>(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      expect(g.Properties.TargetGroupAttributes).toEqual(expect.arrayContaining([
        { Key: 'deregistration_delay.timeout_seconds', Value: '900' },
        { Key: 'slow_start.duration_seconds', Value: '120' },
      ]));
    }
    expect(serviceProps(template).HealthCheckGracePeriodSeconds).toBe(13 * 60);
  });

  test('HTTP2 target groups with a certificate', () => {
    const { template } = build({ withCertificate: true, protocolVersion: elbv2.ApplicationProtocolVersion.HTTP2 });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      ProtocolVersion: 'HTTP2', Protocol: 'HTTP', HealthCheckPath: '/health', Matcher: { HttpCode: '200' },
    });
  });

  test('GRPC target groups: the standard health service, gRPC status 0, on both groups of a rollout', () => {
    const { template } = build({ withCertificate: true, protocolVersion: elbv2.ApplicationProtocolVersion.GRPC, rollout: RolloutStrategy.canary() });
    const groups = Object.values<any>(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')).map(g => g.Properties);
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      expect(g).toEqual(expect.objectContaining({
        ProtocolVersion: 'GRPC',
        HealthCheckPath: '/grpc.health.v1.Health/Check',
        HealthCheckProtocol: 'HTTP',
        Matcher: { GrpcCode: '0' },
      }));
    }
  });

  test('GRPC with a custom health check path keeps the path', () => {
    const { template } = build({ withCertificate: true, protocolVersion: elbv2.ApplicationProtocolVersion.GRPC, healthCheckPath: '/model.Health/Check' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/model.Health/Check', Matcher: { GrpcCode: '0' } });
  });
});

describe('predictive scaling', () => {
  test('defaults: CPU metric pair, forecast and scale, 60 %, 10-minute buffer, beside the target tracking', () => {
    const { template } = build({ predictiveScaling: {} });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 2);
    const target = only(template, 'AWS::ApplicationAutoScaling::ScalableTarget').id;
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'PredictiveScaling',
      ScalingTargetId: { Ref: target },
      PredictiveScalingPolicyConfiguration: {
        Mode: 'ForecastAndScale',
        SchedulingBufferTime: 600,
        MaxCapacityBreachBehavior: 'HonorMaxCapacity',
        MetricSpecifications: [{ TargetValue: 60, PredefinedMetricPairSpecification: { PredefinedMetricType: 'ECSServiceCPUUtilization' } }],
      },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: target },
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }) }),
    });
  });

  test('overrides: memory, forecast only, 75 %, 20-minute buffer', () => {
    const { template } = build({
      loadBalancerType: NLB,
      predictiveScaling: {
        metric: PredictiveScalingMetric.MEMORY, forecastOnly: true, targetUtilizationPercent: 75, schedulingBufferTime: Duration.minutes(20),
      },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'PredictiveScaling',
      PredictiveScalingPolicyConfiguration: {
        Mode: 'ForecastOnly',
        SchedulingBufferTime: 1200,
        MaxCapacityBreachBehavior: 'HonorMaxCapacity',
        MetricSpecifications: [{ TargetValue: 75, PredefinedMetricPairSpecification: { PredefinedMetricType: 'ECSServiceMemoryUtilization' } }],
      },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }),
    });
  });
});

describe('capacity headroom on GPU capacity', () => {
  /** g5.xlarge: 1 GPU, 16 GiB; a task of 1 GPU, 2 vCPU and 8 GiB fits once per instance. */
  function gpuService(maxCapacity: number, props: Partial<InferenceServiceProps> = {}): Built {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    cluster.addAsgCapacity('Gpu', { instanceType: new ec2.InstanceType('g5.xlarge'), gpu: true, maxCapacity });
    const service = new InferenceService(stack, 'Inference', { cluster, image: IMAGE, gpuCount: 1, cpu: 2048, memoryLimitMiB: 8192, ...props });
    return { stack, cluster, service, template: Template.fromStack(stack) };
  }
  const HEADROOM = 'cdk-ecs-workloads:inference-service-rollout-headroom';
  const headroomWarnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('/Test/Inference', Match.stringLikeRegexp('holds at most'));

  test('rolling: refused when even minTasks cannot roll, naming the provider, the numbers and the fix', () => {
    expect(() => gpuService(1, { minTasks: 1, maxTasks: 1 })).toThrow(new RegExp(
      "^Test/Inference: capacity provider 'Test/Cluster/Gpu[^']*' holds at most 1 task per instance x 1 instances = 1 tasks, " +
      'but a rolling rollout needs room for at least one new task beside the old ones: 2 tasks at minTasks 1\\. ' +
      "Every rollout would wait for capacity forever\\. Raise the provider's maxCapacity to at least 2\\.$"));
  });

  test('rolling: a warning with the numbers when maxTasks cannot roll', () => {
    const { stack } = gpuService(2, { maxTasks: 4 });
    const warnings = headroomWarnings(stack);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toMatch(new RegExp(
      "capacity provider 'Test/Cluster/Gpu[^']*' holds at most 1 task per instance x 2 instances = 2 tasks, but a rolling rollout needs room " +
      'for at least one new task beside the old ones: 5 tasks when the service runs maxTasks 4\\. A rollout at that scale waits for capacity ' +
      'and replaces tasks a few at a time\\. Raise maxCapacity to 5 for rollouts at full scale\\.'));
    expect(warnings[0].entry.data).toContain(HEADROOM);
  });

  test('rolling: nothing when maxTasks + 1 fit', () => {
    const { stack } = gpuService(5, { maxTasks: 4 });
    expect(headroomWarnings(stack)).toEqual([]);
  });

  test('blue/green needs twice the tasks: refused at minTasks 2 on 3 instances (rolling fits there)', () => {
    expect(() => gpuService(3, { minTasks: 2, maxTasks: 2 })).not.toThrow();
    expect(() => gpuService(3, { minTasks: 2, maxTasks: 2, rollout: RolloutStrategy.blueGreen() })).toThrow(new RegExp(
      'holds at most 1 task per instance x 3 instances = 3 tasks, but a blue/green rollout starts a whole new fleet beside the old one: ' +
      "4 tasks at minTasks 2\\. Every rollout would wait for capacity forever\\. Raise the provider's maxCapacity to at least 4, or use RolloutStrategy\\.rolling\\(\\)\\."));
  });

  test('canary: a warning when twice maxTasks do not fit', () => {
    const { stack } = gpuService(6, { maxTasks: 4, rollout: RolloutStrategy.canary() });
    const warnings = headroomWarnings(stack);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toMatch(
      /x 6 instances = 6 tasks, but a canary rollout starts a whole new fleet beside the old one: 8 tasks when the service runs maxTasks 4\. A rollout at that scale waits for capacity and does not start\. Raise maxCapacity to 8/);
  });

  test('linear: nothing when twice maxTasks fit', () => {
    const { stack } = gpuService(8, { maxTasks: 4, rollout: RolloutStrategy.linear() });
    expect(headroomWarnings(stack)).toEqual([]);
  });

  test('Fargate is never checked', () => {
    const { stack } = build({ maxTasks: 5000, rollout: RolloutStrategy.blueGreen() });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('holds at most'))).toEqual([]);
  });
});

describe('validation', () => {
  test.each<[string, Partial<InferenceServiceProps> & { withCertificate?: boolean }, RegExp]>([
    ['a canary step of 0 %', { rollout: RolloutStrategy.canary({ stepPercent: 0 }) },
      /rollout\.stepPercent must be a multiple of 0\.1 from 0\.1 to 100 for a canary rollout, got 0\. Give e\.g\. 5 \(a 5 % canary\)/],
    ['a canary step above 100 %', { rollout: RolloutStrategy.canary({ stepPercent: 100.5 }) },
      /rollout\.stepPercent must be a multiple of 0\.1 from 0\.1 to 100 for a canary rollout, got 100\.5/],
    ['a canary step that is not a multiple of 0.1', { rollout: RolloutStrategy.canary({ stepPercent: 2.55 }) },
      /rollout\.stepPercent must be a multiple of 0\.1 from 0\.1 to 100 for a canary rollout, got 2\.55/],
    ['a linear step below 3 %', { rollout: RolloutStrategy.linear({ stepPercent: 2 }) },
      /rollout\.stepPercent must be a multiple of 0\.1 from 3 to 100 for a linear rollout, got 2\. Give e\.g\. 10 \(ten steps\)/],
    ['a linear step that is not a multiple of 0.1', { rollout: RolloutStrategy.linear({ stepPercent: 33.33 }) },
      /rollout\.stepPercent must be a multiple of 0\.1 from 3 to 100 for a linear rollout, got 33\.33/],
    ['a bake time over a day', { rollout: RolloutStrategy.blueGreen({ bakeTime: Duration.minutes(1441) }) },
      /rollout\.bakeTime must be a whole number between 0 and 1440 minutes, got 1441\. ECS keeps both fleets for 0–1440 minutes/],
    ['a bake time of a fraction of a minute', { rollout: RolloutStrategy.blueGreen({ bakeTime: Duration.seconds(90) }) },
      /rollout\.bakeTime must be a whole number between 0 and 1440 minutes, got 1\.5/],
    ['a canary step bake time over a day', { rollout: RolloutStrategy.canary({ stepBakeTime: Duration.days(2) }) },
      /rollout\.stepBakeTime must be a whole number between 0 and 1440 minutes, got 2880\. ECS waits 0–1440 minutes between traffic shifts/],
    ['a linear step bake time over a day', { rollout: RolloutStrategy.linear({ stepBakeTime: Duration.minutes(1500) }) },
      /rollout\.stepBakeTime must be a whole number between 0 and 1440 minutes, got 1500/],
    ['a test listener on the listener port', { rollout: RolloutStrategy.blueGreen({ testListenerPort: 80 }) },
      /rollout\.testListenerPort \(80\) is already used by the production listener\. Pick another port, e\.g\. 8443 or 9000/],
    ['a test listener on the HTTPS listener port', { withCertificate: true, rollout: RolloutStrategy.canary({ testListenerPort: 443 }) },
      /rollout\.testListenerPort \(443\) is already used by the production listener/],
    ['a test listener on the redirect port', { withCertificate: true, rollout: RolloutStrategy.canary({ testListenerPort: 80 }) },
      /rollout\.testListenerPort \(80\) is already used by the HTTP-to-HTTPS redirect\. Pick another port/],
    ['a test listener on port 0', { rollout: RolloutStrategy.canary({ testListenerPort: 0 }) },
      /rollout\.testListenerPort must be a whole number between 1 and 65535, got 0/],
    ['a test listener on the NLB listener port', { loadBalancerType: NLB, rollout: RolloutStrategy.blueGreen({ testListenerPort: 80 }) },
      /rollout\.testListenerPort \(80\) is already used by the production listener/],
    ['max5xxPercent on an NLB', { loadBalancerType: NLB, deploymentAlarms: { max5xxPercent: 5 } },
      /deploymentAlarms\.max5xxPercent \(5\) reads Application Load Balancer metrics, but loadBalancerType is NETWORK.*Remove it \(the unhealthy-task alarm still guards the rollout\), or use LoadBalancerType\.APPLICATION/],
    ['maxP99Latency on an NLB', { loadBalancerType: NLB, deploymentAlarms: { maxP99Latency: Duration.seconds(2) } },
      /deploymentAlarms\.maxP99Latency \(.*\) reads Application Load Balancer metrics, but loadBalancerType is NETWORK/],
    ['max5xxPercent above 100', { deploymentAlarms: { max5xxPercent: 150 } },
      /deploymentAlarms\.max5xxPercent must be between 0 and 100, got 150/],
    ['maxP99Latency above the ALB maximum', { deploymentAlarms: { maxP99Latency: Duration.hours(2) } },
      /deploymentAlarms\.maxP99Latency must be a whole number between 0 and 4000000 ms, got 7200000/],
    ['idleTimeout on an NLB', { loadBalancerType: NLB, idleTimeout: Duration.minutes(10) },
      /idleTimeout \(.*\) is an Application Load Balancer setting, but loadBalancerType is NETWORK\. Remove idleTimeout, or use LoadBalancerType\.APPLICATION/],
    ['slowStart on an NLB', { loadBalancerType: NLB, slowStart: Duration.minutes(1) },
      /slowStart \(.*\) is an Application Load Balancer setting, but loadBalancerType is NETWORK\. Remove slowStart/],
    ['protocolVersion on an NLB', { loadBalancerType: NLB, protocolVersion: elbv2.ApplicationProtocolVersion.GRPC },
      /protocolVersion \(.*GRPC.*\) is an Application Load Balancer setting, but loadBalancerType is NETWORK \(an NLB forwards TCP\/TLS as it comes, HTTP\/2 and gRPC included\)\. Remove protocolVersion/],
    ['HTTP2 without a certificate', { protocolVersion: elbv2.ApplicationProtocolVersion.HTTP2 },
      /protocolVersion is HTTP2, but an ALB speaks HTTP\/2 and gRPC to clients over HTTPS only, and no certificate was given\. Pass certificate, or remove protocolVersion/],
    ['GRPC without a certificate', { protocolVersion: elbv2.ApplicationProtocolVersion.GRPC },
      /protocolVersion is GRPC, but an ALB speaks HTTP\/2 and gRPC to clients over HTTPS only/],
    ['modelLoadTime together with healthCheckGracePeriod', { modelLoadTime: Duration.minutes(5), healthCheckGracePeriod: Duration.minutes(10) },
      /modelLoadTime \(5 minutes\) and healthCheckGracePeriod \(10 minutes\) both set the grace period\. Give modelLoadTime \(the grace period is one minute more\), or healthCheckGracePeriod alone/],
    ['slowStart below 30 seconds', { slowStart: Duration.seconds(10) },
      /slowStart must be a whole number between 30 and 900 seconds, got 10\. An ALB ramps a new target up over 30–900 seconds/],
    ['slowStart above 15 minutes', { slowStart: Duration.minutes(20) }, /slowStart must be a whole number between 30 and 900 seconds, got 1200/],
    ['idleTimeout of 0', { idleTimeout: Duration.seconds(0) },
      /idleTimeout must be a whole number between 1 and 4000 seconds, got 0\. An ALB accepts an idle timeout of 1–4000 seconds/],
    ['idleTimeout above 4000 seconds', { idleTimeout: Duration.seconds(4001) }, /idleTimeout must be a whole number between 1 and 4000 seconds, got 4001/],
    ['predictive target utilization of 0', { predictiveScaling: { targetUtilizationPercent: 0 } },
      /predictiveScaling\.targetUtilizationPercent must be a whole number between 1 and 100, got 0\. Give a percentage, e\.g\. 60/],
    ['predictive target utilization above 100', { predictiveScaling: { targetUtilizationPercent: 101 } },
      /predictiveScaling\.targetUtilizationPercent must be a whole number between 1 and 100, got 101/],
    ['a scheduling buffer of an hour', { predictiveScaling: { schedulingBufferTime: Duration.hours(1) } },
      /predictiveScaling\.schedulingBufferTime must be a whole number of seconds from 0 to 3599 \(less than the forecast's one-hour interval\), got 3600 seconds\. Give the time a task needs to start and load its model/],
    ['a scheduling buffer in fractions of a second', { predictiveScaling: { schedulingBufferTime: Duration.millis(1500) } },
      /predictiveScaling\.schedulingBufferTime must be a whole number of seconds from 0 to 3599.*got 1\.5 seconds/],
  ])('rejects %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('errors name the construct path', () => {
    expect(() => build({ rollout: RolloutStrategy.linear({ stepPercent: 1 }) })).toThrow(/^Test\/Inference: rollout\.stepPercent/);
  });
});

describe('compliance and what AWS does with it', () => {
  test('blue/green on an ALB with HTTPS, a test listener and a lifecycle hook', async () => {
    const stack = newStack();
    const cluster = new WorkloadCluster(stack, 'Cluster');
    const fn = lambda.Function.fromFunctionArn(stack, 'SmokeTest', HOOK_ARN);
    const hook = new ecs.DeploymentLifecycleLambdaTarget(fn, 'Hook', {
      lifecycleStages: [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
      role: hookRole(stack),
    });
    new InferenceService(stack, 'Inference', {
      cluster,
      image: IMAGE,
      certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERT_ARN),
      protocolVersion: elbv2.ApplicationProtocolVersion.HTTP2,
      slowStart: Duration.minutes(1),
      modelLoadTime: Duration.minutes(8),
      predictiveScaling: {},
      rollout: RolloutStrategy.blueGreen({ testListenerPort: 9443, lifecycleHooks: [hook] }),
    });
    expectCompliant(stack);
    await expectDeployable(stack);
  });

  test('canary on an NLB', async () => {
    const { stack } = build({ loadBalancerType: NLB, withCertificate: true, rollout: RolloutStrategy.canary({ testListenerPort: 9443 }) });
    expectCompliant(stack);
    await expectDeployable(stack);
  });
});
