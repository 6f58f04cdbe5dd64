import * as fs from 'fs';
import * as path from 'path';
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

/** The AWS Control Tower guard rules that ship with the validator: every `.guard` file, with the resource types it names. */
const CONTROL_TOWER_RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');

interface GuardRule { readonly file: string; readonly types: ReadonlySet<string> }

let ruleIndex: GuardRule[] | undefined;
function controlTowerRules(): GuardRule[] {
  if (!ruleIndex) {
    const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
      .flatMap(e => e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.guard') ? [path.join(dir, e.name)] : []);
    const files = walk(CONTROL_TOWER_RULES);
    ruleIndex = files.map(file => ({ file, types: new Set(fs.readFileSync(file, 'utf-8').match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? []) }));
  }
  return ruleIndex;
}

/** A violation of a cfn-guard rule: the rule's name and the logical id of the resource. */
export interface GuardViolation { readonly rule: string; readonly logicalId: string }

/** cfn-guard with every Control Tower rule over the whole template: the reference `guardViolations` must agree with. */
export function fullGuardViolations(templatePath: string): GuardViolation[] {
  return toViolations(new CfnGuardValidator({ controlTowerRulesEnabled: true }).validate({ templatePaths: [templatePath] }));
}

/**
 * The cfn-guard Control Tower rules that can apply to one template, run over it.
 *
 * The guard binary costs ~35 ms per template resource per run, more than half of it in rules about
 * resource types the template does not have. Every Control Tower rule selects what it checks by type
 * names written in its file (`Resources.*[ Type == 'AWS::SQS::Queue' ]`), and a rule whose types are
 * absent skips, so this runs only the rules that name a type of the template (or name none): the same
 * verdicts, about 2× faster. `compliance.test.ts` checks that the result equals `fullGuardViolations`
 * on templates with and without findings.
 */
export function guardViolations(templatePath: string): GuardViolation[] {
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf-8'));
  const present = new Set(Object.values<{ Type: string }>(template.Resources ?? {}).map(r => r.Type));
  const rules = controlTowerRules().filter(r => r.types.size === 0 || [...r.types].some(t => present.has(t)));
  if (rules.length === 0) return [];
  const validator = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: rules.map(r => r.file) });
  return toViolations(validator.validate({ templatePaths: [templatePath] }));
}

function toViolations(report: ReturnType<CfnGuardValidator['validate']>): GuardViolation[] {
  return report.violations.flatMap(v => v.violatingResources.map(r => ({ rule: v.ruleName, logicalId: r.resourceLogicalId })));
}

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
  for (const v of guardViolations(artifact.templateFullPath)) {
    // cfn-guard's own convention: Metadata.guard.SuppressedRules on the resource.
    const suppressed: string[] = artifact.template.Resources?.[v.logicalId]?.Metadata?.guard?.SuppressedRules ?? [];
    if (!suppressed.includes(v.rule)) {
      findings.push({ pack: 'cfn-guard', rule: v.rule, resource: v.logicalId });
    }
  }
  return findings;
}

/** Each unacknowledged finding of `complianceFindings` as one line: pack, rule, resource. */
export function findingLines(stack: Stack): string[] {
  return complianceFindings(stack).map(f => `${f.pack} ${f.rule} ${f.resource}`);
}

/** Fails the test, listing each finding, unless the stack has none. */
export function expectCompliant(stack: Stack): void {
  expect(findingLines(stack)).toEqual([]);
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
