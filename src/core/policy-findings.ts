import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A resource ARN with a wildcard that a policy grants on purpose, and why. @internal */
export interface WildcardResource {
  readonly resource: string;
  readonly reason: string;
}

/**
 * Acknowledges the cdk-nag `AwsSolutions-IAM5[Resource::...]` finding of each given resource on
 * `scope` (and so on the policies below it), by exact finding id.
 *
 * The finding id is the resource as the template renders it (`<Bucket1234.Arn>/input/*`,
 * `arn:<AWS::Partition>:ecs:...`), which depends on logical IDs and on whether a value crosses
 * stacks; both are known only once the app is prepared. So the ids are computed in a validation
 * hook (it runs after cross-stack references are resolved, before validation plugins), and written as
 * acknowledged-rules metadata directly: `Validations.acknowledge` rejects ids that contain more than
 * one '::', as every ARN with `<AWS::Partition>` does.
 * @internal
 */
export function acknowledgeResourceWildcards(scope: IConstruct, resources: WildcardResource[]): void {
  if (resources.length === 0) return;
  scope.node.addValidation({
    validate: () => {
      const stack = Stack.of(scope);
      const acknowledged: { [id: string]: string } = {};
      for (const r of resources) {
        const flat = flatten(stack.resolve(r.resource));
        if (flat.includes('*')) acknowledged[`AwsSolutions-IAM5[Resource::${flat}]`] = r.reason;
      }
      scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, acknowledged);
      return [];
    },
  });
}

/** Renders a resolved CloudFormation value the way cdk-nag names it in a finding. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const o = node as { [key: string]: any };
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (o['Fn::Sub']) return flatten(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (o['Fn::ImportValue']) return flatten(o['Fn::ImportValue']);
  if (o.Ref) return `<${flatten(o.Ref)}>`;
  return JSON.stringify(node);
}
