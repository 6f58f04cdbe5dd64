import { CfnTemplate } from './graph';
import { managedInstancesOrderProblems } from './managed-instances';

/** A cluster, a Managed Instances capacity provider of it, a role with its policy, and what the case adds. */
function template(resources: CfnTemplate['Resources']): CfnTemplate {
  return {
    Resources: {
      Cluster: { Type: 'AWS::ECS::Cluster', Properties: {} },
      Provider: { Type: 'AWS::ECS::CapacityProvider', Properties: { ClusterName: { Ref: 'Cluster' }, ManagedInstancesProvider: {} } },
      Other: { Type: 'AWS::ECS::Cluster', Properties: {} },
      ExecRole: { Type: 'AWS::IAM::Role', Properties: {} },
      ExecPolicy: { Type: 'AWS::IAM::ManagedPolicy', Properties: { Roles: [{ Ref: 'ExecRole' }] } },
      TaskDef: { Type: 'AWS::ECS::DaemonTaskDefinition', Properties: { ExecutionRoleArn: { 'Fn::GetAtt': ['ExecRole', 'Arn'] } } },
      ...resources,
    },
  };
}

const providerArn = { 'Fn::Join': ['', ['arn:aws:ecs:us-east-1:123456789012:capacity-provider/', { Ref: 'Provider' }]] };

describe('Managed Instances ordering rules', () => {
  test('a service that names the provider (so depends on it) passes', () => {
    expect(managedInstancesOrderProblems(template({
      Service: { Type: 'AWS::ECS::Service', Properties: { Cluster: { Ref: 'Cluster' }, CapacityProviderStrategy: [{ CapacityProvider: { Ref: 'Provider' } }] } },
    }))).toEqual([]);
  });

  test('a service of another cluster is refused', () => {
    expect(managedInstancesOrderProblems(template({
      Service: { Type: 'AWS::ECS::Service', Properties: { Cluster: { Ref: 'Other' }, CapacityProviderStrategy: [{ CapacityProvider: { Ref: 'Provider' } }] } },
    }))).toEqual([expect.stringMatching(/^\[service-after-managed-instances-provider\] ECS service Service uses Managed Instances capacity provider Provider of another cluster/)]);
  });

  test('a daemon after its provider and its execution role policy passes', () => {
    expect(managedInstancesOrderProblems(template({
      Daemon: {
        Type: 'AWS::ECS::Daemon',
        DependsOn: ['ExecPolicy'],
        Properties: { CapacityProviderArns: [providerArn], DaemonTaskDefinitionArn: { 'Fn::GetAtt': ['TaskDef', 'DaemonTaskDefinitionArn'] } },
      },
    }))).toEqual([]);
  });

  test('a daemon that may start before its execution role policy is refused', () => {
    expect(managedInstancesOrderProblems(template({
      Daemon: {
        Type: 'AWS::ECS::Daemon',
        Properties: { CapacityProviderArns: [providerArn], DaemonTaskDefinitionArn: { 'Fn::GetAtt': ['TaskDef', 'DaemonTaskDefinitionArn'] } },
      },
    }))).toEqual([expect.stringMatching(/^\[daemon-after-task-definition-roles\] ECS daemon Daemon does not depend on ExecPolicy, the policy of role ExecRole/)]);
  });

  test('a daemon on a provider outside the app is refused', () => {
    expect(managedInstancesOrderProblems(template({
      Daemon: {
        Type: 'AWS::ECS::Daemon',
        DependsOn: ['ExecPolicy'],
        Properties: { CapacityProviderArns: ['arn:aws:ecs:us-east-1:123456789012:capacity-provider/elsewhere'], DaemonTaskDefinitionArn: { 'Fn::GetAtt': ['TaskDef', 'DaemonTaskDefinitionArn'] } },
      },
    }))).toEqual([expect.stringMatching(/^\[daemon-after-managed-instances-provider\] ECS daemon Daemon lists a capacity provider that is no Managed Instances provider of the app/)]);
  });
});
