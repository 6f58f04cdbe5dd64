/**
 * Ordering rules of ECS Managed Instances capacity providers and ECS Managed Daemons.
 *
 * A Managed Instances capacity provider names its cluster itself (`ClusterName`): it is cluster-scoped
 * and listed in no `ClusterCapacityProviderAssociations` (CreateCapacityProvider with a cluster makes
 * it available in that cluster only). What must hold instead:
 * - a service whose strategy names it, and a daemon that lists it, depend on it (created after it,
 *   deleted before it: "The specified capacity provider is in use" otherwise);
 * - a daemon depends on its daemon task definition's roles (the first daemon tasks pull the image and
 *   write logs with the execution role).
 *
 * `structuralProblems` (index.ts) runs these rules with the others; the association rule of
 * lifecycle.ts knows that a cluster-scoped provider needs no association.
 */
import { DeployModel, listOf, ResourceNode, Templates } from './graph';

/** Names of the rules of this file, as they appear at the start of each message. */
export enum ManagedInstancesRule {
  SERVICE_AFTER_PROVIDER = 'service-after-managed-instances-provider',
  DAEMON_AFTER_PROVIDER = 'daemon-after-managed-instances-provider',
  DAEMON_AFTER_ROLES = 'daemon-after-task-definition-roles',
  PROVIDER_OF_CLUSTER = 'managed-instances-provider-of-cluster',
}

/** Cluster-scoped (Managed Instances) capacity providers of the model. */
function scopedProviders(model: DeployModel): ResourceNode[] {
  return model.ofType('AWS::ECS::CapacityProvider').filter(p => p.properties.ManagedInstancesProvider !== undefined);
}

/** Every problem of the rules of this file, one line each. */
export function managedInstancesOrderProblems(input: Templates): string[] {
  const model = new DeployModel(input);
  const problems: string[] = [];
  const name = (n: ResourceNode) => model.name(n);
  const providers = scopedProviders(model);
  for (const provider of providers) {
    if (!model.resolve(provider.stackName, provider.properties.ClusterName)) {
      problems.push(`[${ManagedInstancesRule.PROVIDER_OF_CLUSTER}] Managed Instances capacity provider ${name(provider)} names no cluster of the app: ` +
        'services of the cluster cannot use it.');
    }
  }
  for (const service of model.ofType('AWS::ECS::Service')) {
    for (const item of listOf(service.properties.CapacityProviderStrategy)) {
      const provider = model.resolveOfType(service.stackName, item?.CapacityProvider, 'AWS::ECS::CapacityProvider');
      if (!provider || !providers.includes(provider)) continue;
      const cluster = model.resolve(service.stackName, service.properties.Cluster);
      if (model.resolve(provider.stackName, provider.properties.ClusterName) !== cluster) {
        problems.push(`[${ManagedInstancesRule.SERVICE_AFTER_PROVIDER}] ECS service ${name(service)} uses Managed Instances capacity provider ` +
          `${name(provider)} of another cluster: CreateService fails (the provider is available in its own cluster only).`);
      } else if (!model.dependsOn(service, provider)) {
        problems.push(`[${ManagedInstancesRule.SERVICE_AFTER_PROVIDER}] ECS service ${name(service)} does not depend on Managed Instances capacity provider ` +
          `${name(provider)}: CreateService may run before it exists, and cdk destroy may delete it while tasks run on it.`);
      }
    }
  }
  for (const daemon of model.ofType('AWS::ECS::Daemon')) {
    for (const arn of listOf(daemon.properties.CapacityProviderArns)) {
      // The ARN is built from the provider's name (Ref): the provider is the capacity provider it refers to.
      const provider = model.refsIn(daemon.stackName, arn).find(r => providers.includes(r));
      if (!provider) {
        problems.push(`[${ManagedInstancesRule.DAEMON_AFTER_PROVIDER}] ECS daemon ${name(daemon)} lists a capacity provider that is no Managed Instances ` +
          `provider of the app (${model.describe(daemon.stackName, arn)}): Managed Daemons run on Managed Instances capacity providers only.`);
        continue;
      }
      if (!model.dependsOn(daemon, provider)) {
        problems.push(`[${ManagedInstancesRule.DAEMON_AFTER_PROVIDER}] ECS daemon ${name(daemon)} does not depend on capacity provider ${name(provider)}.`);
      }
    }
    const taskDefinition = model.resolveOfType(daemon.stackName, daemon.properties.DaemonTaskDefinitionArn, 'AWS::ECS::DaemonTaskDefinition');
    if (!taskDefinition) {
      problems.push(`[${ManagedInstancesRule.DAEMON_AFTER_ROLES}] ECS daemon ${name(daemon)} names no AWS::ECS::DaemonTaskDefinition of the app.`);
      continue;
    }
    const roles = [taskDefinition.properties.ExecutionRoleArn, taskDefinition.properties.TaskRoleArn]
      .map(r => model.resolveOfType(taskDefinition.stackName, r, 'AWS::IAM::Role'))
      .filter((r): r is ResourceNode => r !== undefined);
    for (const role of roles) {
      const policies = model.nodes.filter(n => (n.type === 'AWS::IAM::ManagedPolicy' || n.type === 'AWS::IAM::Policy')
        && listOf(n.properties.Roles).some(r => model.resolve(n.stackName, r) === role));
      for (const policy of policies) {
        if (!model.dependsOn(daemon, policy)) {
          problems.push(`[${ManagedInstancesRule.DAEMON_AFTER_ROLES}] ECS daemon ${name(daemon)} does not depend on ${name(policy)}, the policy of role ` +
            `${name(role)}: the first daemon tasks may start before the role may pull the image and write logs (they fail and ECS replaces the instance).`);
        }
      }
    }
  }
  return problems;
}
