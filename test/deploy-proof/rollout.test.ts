/**
 * The hops of a traffic-shifting rollout of an `InferenceService`, as AWS would evaluate them: ECS
 * assumes the traffic-shift role and moves this service's listener rule (ALB) or listener (NLB)
 * between its two target groups, and nothing else; ECS assumes a lifecycle hook's role to invoke the
 * hook's function.
 */
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { InferenceService, LoadBalancerType, RolloutStrategy, WorkloadCluster } from '../../src';
import { newStack } from '../compliance';
import { Caller, Hop, assumeRoleHop, evaluateHop } from './policy';
import { IMAGE } from './scenarios';
import { ACCOUNT, AppTemplates, PARTITION, REGION, appTemplates, logicalIdOf } from './template';

const CERT_ARN = `arn:${PARTITION}:acm:${REGION}:${ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555`;
const HOOK_ARN = `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:smoke-test`;
const elb = (resource: string) => `arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:${resource}`;
/** Another service's rule, listener and target group of the same account. */
const OTHER_RULE = elb('listener-rule/app/other-service/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee');
const OTHER_ALB_LISTENER = elb('listener/app/other-service/50dc6c495c0c9188/f2f7dc8efc522ab2');
const OTHER_NLB_LISTENER = elb('listener/net/other-service/50dc6c495c0c9188/f2f7dc8efc522ab2');
const OTHER_TARGET_GROUP = elb('targetgroup/other-service/73e2d6bc24d8a067');

interface Row { readonly name: string; readonly expected: 'ALLOW' | 'DENY'; readonly hop: Hop }
const allow = (name: string, hop: Hop): Row => ({ name, expected: 'ALLOW', hop });
const deny = (name: string, hop: Hop): Row => ({ name, expected: 'DENY', hop });
const ecsService: Caller = { service: 'ecs.amazonaws.com' };

function build(type: LoadBalancerType, withHook: boolean) {
  const stack = newStack(type === LoadBalancerType.APPLICATION ? 'AlbRollout' : 'NlbRollout');
  const cluster = new WorkloadCluster(stack, 'Cluster');
  const hook = withHook
    ? new ecs.DeploymentLifecycleLambdaTarget(lambda.Function.fromFunctionArn(stack, 'SmokeTest', HOOK_ARN), 'Hook', {
      lifecycleStages: [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT],
    })
    : undefined;
  const service = new InferenceService(stack, 'Inference', {
    cluster,
    image: IMAGE,
    loadBalancerType: type,
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERT_ARN),
    rollout: RolloutStrategy.canary({ testListenerPort: 9443, lifecycleHooks: hook ? [hook] : undefined }),
  });
  return { stack, service, hook };
}

/** `Ref` of a construct whose Ref is its ARN (listener, listener rule). */
function refArn(t: AppTemplates, construct: IConstruct): string {
  const value = t.refOf(construct);
  if (typeof value !== 'string' || !value.startsWith(`arn:${PARTITION}:elasticloadbalancing:`)) {
    throw new Error(`${construct.node.path} (${logicalIdOf(construct)}) resolves to ${JSON.stringify(value)}, not an Elastic Load Balancing ARN`);
  }
  return value;
}

function targetGroupHops(t: AppTemplates, service: InferenceService, role: Caller): Row[] {
  const groups = [t.arnOf(service.targetGroup), t.arnOf(service.alternateTargetGroup!)];
  return [
    ...groups.flatMap((tg, i) => ['RegisterTargets', 'DeregisterTargets'].map(action =>
      allow(`the traffic-shift role ${action} in the ${i === 0 ? 'production' : 'alternate'} target group`,
        { caller: role, action: `elasticloadbalancing:${action}`, resource: tg }))),
    deny('the traffic-shift role registers targets in another service\'s target group',
      { caller: role, action: 'elasticloadbalancing:RegisterTargets', resource: OTHER_TARGET_GROUP }),
    allow('the traffic-shift role reads target health', { caller: role, action: 'elasticloadbalancing:DescribeTargetHealth', resource: '*' }),
    allow('the traffic-shift role reads the rules', { caller: role, action: 'elasticloadbalancing:DescribeRules', resource: '*' }),
    deny('the traffic-shift role deletes a target group', { caller: role, action: 'elasticloadbalancing:DeleteTargetGroup', resource: groups[0] }),
  ];
}

function albRows(t: AppTemplates, service: InferenceService, hook: ecs.DeploymentLifecycleLambdaTarget): Row[] {
  const roleArn = t.arnOf(service.trafficShiftRole!);
  const role: Caller = { role: service.trafficShiftRole! };
  const productionRule = refArn(t, service.node.findChild('ProductionRule'));
  const testRule = refArn(t, service.node.findChild('TestRule'));
  const listener = refArn(t, service.listener);
  const hookRoleArn = t.arnOf(hook.role);
  return [
    allow('ecs assumes the traffic-shift role', assumeRoleHop(roleArn, ecsService)),
    deny('ecs-tasks assumes the traffic-shift role', assumeRoleHop(roleArn, { service: 'ecs-tasks.amazonaws.com' })),
    allow('the traffic-shift role shifts the weights of the production rule', { caller: role, action: 'elasticloadbalancing:ModifyRule', resource: productionRule }),
    allow('the traffic-shift role shifts the weights of the test rule', { caller: role, action: 'elasticloadbalancing:ModifyRule', resource: testRule }),
    deny('the traffic-shift role modifies another listener rule', { caller: role, action: 'elasticloadbalancing:ModifyRule', resource: OTHER_RULE }),
    allow('the traffic-shift role modifies the production listener', { caller: role, action: 'elasticloadbalancing:ModifyListener', resource: listener }),
    deny('the traffic-shift role modifies another listener', { caller: role, action: 'elasticloadbalancing:ModifyListener', resource: OTHER_ALB_LISTENER }),
    deny('the traffic-shift role deletes the production rule', { caller: role, action: 'elasticloadbalancing:DeleteRule', resource: productionRule }),
    ...targetGroupHops(t, service, role),
    allow('ecs assumes the hook role', assumeRoleHop(hookRoleArn, ecsService)),
    allow('the hook role invokes the smoke-test function', { caller: { role: hook.role }, action: 'lambda:InvokeFunction', resource: HOOK_ARN }),
    deny('the hook role invokes another function', { caller: { role: hook.role }, action: 'lambda:InvokeFunction', resource: HOOK_ARN.replace(/smoke-test$/, 'other') }),
  ];
}

function nlbRows(t: AppTemplates, service: InferenceService): Row[] {
  const roleArn = t.arnOf(service.trafficShiftRole!);
  const role: Caller = { role: service.trafficShiftRole! };
  const listener = refArn(t, service.listener);
  const testListener = refArn(t, service.testListener!);
  return [
    allow('ecs assumes the traffic-shift role', assumeRoleHop(roleArn, ecsService)),
    allow('the traffic-shift role moves the production listener', { caller: role, action: 'elasticloadbalancing:ModifyListener', resource: listener }),
    allow('the traffic-shift role moves the test listener', { caller: role, action: 'elasticloadbalancing:ModifyListener', resource: testListener }),
    deny('the traffic-shift role modifies another listener', { caller: role, action: 'elasticloadbalancing:ModifyListener', resource: OTHER_NLB_LISTENER }),
    deny('the traffic-shift role modifies any listener rule', { caller: role, action: 'elasticloadbalancing:ModifyRule', resource: OTHER_RULE }),
    ...targetGroupHops(t, service, role),
  ];
}

const alb = build(LoadBalancerType.APPLICATION, true);
const nlb = build(LoadBalancerType.NETWORK, false);

const tables: { [name: string]: { readonly scope: ReturnType<typeof build>; readonly rows: (t: AppTemplates) => Row[] } } = {
  'canary on an ALB with a test listener and a lifecycle hook': { scope: alb, rows: t => albRows(t, alb.service, alb.hook!) },
  'canary on an NLB with a test listener': { scope: nlb, rows: t => nlbRows(t, nlb.service) },
};

for (const [table, { scope, rows }] of Object.entries(tables)) {
  describe(table, () => {
    const templates = appTemplates(scope.stack);
    test.each(rows(templates).map(r => [`${r.name} → ${r.expected}`, r] as const))('%s', async (_name, row) => {
      const result = await evaluateHop(templates, row.hop);
      expect(`${result.decision}: ${result.summary}`).toMatch(new RegExp(`^${row.expected}:`));
    });
  });
}
