import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * An IAM role whose permissions (including every grant made to it by other constructs) live in one
 * customer-managed policy rather than an inline policy, as NIST 800-53 and HIPAA ask.
 * @internal
 */
export class WorkloadRole extends iam.Role {
  private permissions?: iam.ManagedPolicy;

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.permissions) {
      this.permissions = new iam.ManagedPolicy(this, 'Permissions', {
        roles: [this],
        description: `Permissions of ${this.node.path}`,
      });
    }
    this.permissions.addStatements(statement);
    return { statementAdded: true, policyDependable: this.permissions };
  }
}

/** A role that only ECS tasks of this account may assume (confused-deputy protection). @internal */
export function taskRole(scope: IConstruct, id: string, description: string): WorkloadRole {
  const stack = Stack.of(scope);
  return new WorkloadRole(scope, id, {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:*` },
      },
    }),
    description,
  });
}

/**
 * Acknowledges the one wildcard every ECS execution role needs: `ecr:GetAuthorizationToken` has no
 * resource-level permissions, so AWS requires `Resource: *` for it. @internal
 */
export function acknowledgeEcrAuthWildcard(role: IConstruct): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ecr:GetAuthorizationToken supports no resource-level permissions; AWS requires Resource "*" for it. Image pulls themselves are scoped to the repository.',
  });
}
