import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/** One unacknowledged finding of a rule pack. */
export interface Finding {
  readonly pack: string;
  readonly rule: string;
  readonly resource: string;
}

const guard = new CfnGuardValidator({ controlTowerRulesEnabled: true });

/** A stack in a new app, in a fixed account and region so that templates are stable. */
export function newStack(id: string = 'Test'): Stack {
  const app = new App();
  return new Stack(app, id, { env: { account: '123456789012', region: 'us-east-1' } });
}

/**
 * Synthesizes the stack's app, then runs the cdk-nag packs (AwsSolutions, NIST 800-53 r5, HIPAA) and
 * the cfn-guard Control Tower rules over it. Returns every finding that is not acknowledged.
 */
export function complianceFindings(stack: Stack): Finding[] {
  const app = stack.node.root as App;
  const assembly = app.synth();
  const findings: Finding[] = [];
  for (const pack of [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks()]) {
    const report = pack.validateScope(stack);
    for (const v of report.violations) {
      for (const r of v.violatingResources) {
        findings.push({ pack: pack.name, rule: v.ruleName, resource: r.constructPath ?? r.resourceLogicalId ?? '(unknown)' });
      }
    }
  }
  const artifact = assembly.getStackByName(stack.stackName);
  const report = guard.validate({ templatePaths: [artifact.templateFullPath] });
  for (const v of report.violations) {
    for (const r of v.violatingResources) {
      // cfn-guard's own convention: Metadata.guard.SuppressedRules on the resource.
      const suppressed: string[] = artifact.template.Resources?.[r.resourceLogicalId]?.Metadata?.guard?.SuppressedRules ?? [];
      if (!suppressed.includes(v.ruleName)) {
        findings.push({ pack: 'cfn-guard', rule: v.ruleName, resource: r.resourceLogicalId });
      }
    }
  }
  return findings;
}

/** Fails the test, listing each finding, unless the stack has none. */
export function expectCompliant(stack: Stack): void {
  const findings = complianceFindings(stack);
  const lines = findings.map(f => `${f.pack} ${f.rule} ${f.resource}`);
  expect(lines).toEqual([]);
}

/** The stack's template with asset hashes and other volatile values scrubbed, for snapshots. */
export function stableTemplate(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(json.replace(/[0-9a-f]{64}(\.zip|\.json)?/g, 'ASSET_HASH'));
}

/** Deletion / update-replace policy of every stateful resource under `scope`, by construct path. */
export function statefulPolicies(scope: IConstruct): string[] {
  const types = ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::EFS::FileSystem', 'AWS::KMS::Key'];
  return scope.node.findAll()
    .filter((c): c is CfnResource => c instanceof CfnResource && types.includes(c.cfnResourceType))
    .map(r => `${r.node.path}: ${r.cfnOptions.deletionPolicy}/${r.cfnOptions.updateReplacePolicy}`)
    .sort();
}
