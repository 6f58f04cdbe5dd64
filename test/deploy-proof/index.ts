/**
 * The deploy-proof verification layer in one call: what AWS does with the templates of an app, beyond
 * what they say. Each construct's compliance tests run it beside cdk-nag and cfn-guard.
 *
 * - lifecycle: CloudFormation's create and delete order (`lifecycle.ts`);
 * - network: security groups let each hop of the runtime path through (`network.ts`);
 * - metrics: every alarm and scaling expression parses and uses only what it defines (`metrics.ts`;
 *   the scenario tests in `metrics.test.ts` evaluate them on timelines with AWS's gaps);
 * - policy: every service-to-resource hop the templates imply is allowed by IAM, resource and key
 *   policies (`policy.ts`, evaluated with an IAM policy engine).
 *
 * Lifecycle and network read the resource graph of `graph.ts`; policy reads templates resolved to
 * concrete values by `template.ts`. `scenarios.ts` holds the apps their own tests run over.
 */
import { App, Stack } from 'aws-cdk-lib';
import { stackTemplates } from './graph';
import { orderProblems } from './lifecycle';
import { managedInstancesOrderProblems } from './managed-instances';
import { metricProblems } from './metrics';
import { networkProblems } from './network';
import { policyProblems } from './policy';
import { storageNetworkProblems } from './smb';

/** Every stack of the stack's app, so that cross-stack paths and orders are seen whole. */
function appStacks(stack: Stack): Stack[] {
  return stack.node.root.node.findAll().filter(Stack.isStack);
}

/** Order, network and metric problems of the stack's app: synchronous, a few milliseconds per stack. */
export function structuralProblems(stack: Stack): string[] {
  const templates = stackTemplates(...appStacks(stack));
  return [
    ...orderProblems(templates),
    ...managedInstancesOrderProblems(templates),
    ...networkProblems(templates),
    ...storageNetworkProblems(templates),
    ...templates.flatMap(t => metricProblems(t.template).map(p => `${t.stackName}: ${p}`)),
  ];
}

/** Every problem of the four checks, one line each; empty when the app deploys, runs and tears down as written. */
export async function deployProblems(stack: Stack): Promise<string[]> {
  return [...structuralProblems(stack), ...await policyProblems(stack.node.root as App)];
}

/** Fails the test, listing each problem, unless the stack's app has none. */
export async function expectDeployable(stack: Stack): Promise<void> {
  expect(await deployProblems(stack)).toEqual([]);
}
