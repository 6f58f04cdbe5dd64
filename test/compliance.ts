import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as CdkNag from 'cdk-nag';
import { IConstruct } from 'constructs';

/** One unacknowledged finding of a rule pack. */
export interface Finding {
  readonly pack: string;
  readonly rule: string;
  readonly resource: string;
}

/**
 * The AWS Control Tower guard rules that ship with the validator: every `.guard` file, with the
 * resource types it names and whether it looks up resources by logical id (`Resources[ keys == ... ]`).
 */
const CONTROL_TOWER_RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');

interface GuardRule { readonly file: string; readonly types: ReadonlySet<string>; readonly followsReferences: boolean }

let ruleIndex: GuardRule[] | undefined;
function controlTowerRules(): GuardRule[] {
  if (!ruleIndex) {
    const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
      .flatMap(e => e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.guard') ? [path.join(dir, e.name)] : []);
    const files = walk(CONTROL_TOWER_RULES);
    ruleIndex = files.map(file => {
      const text = fs.readFileSync(file, 'utf-8');
      return { file, types: new Set(text.match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? []), followsReferences: /\bkeys\s*==/.test(text) };
    });
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
 * The cfn-guard Control Tower rules that can apply to one template, run over it: the verdicts of
 * `fullGuardViolations`, 4-12× faster on this library's templates.
 *
 * Every Control Tower rule selects what it checks by type names written in its file
 * (`Resources.*[ Type == 'AWS::SQS::Queue' ]`), so a rule whose types are absent skips; beyond the
 * resources it selects, a rule reads only those they name, looked up by logical id
 * (`Resources[ keys == ... ]` of a `Ref` or `Fn::GetAtt`, with or without a type check). The guard
 * binary's time grows with the size of the document each rule reads (about half a millisecond per
 * rule and template resource), so this runs each group of rules that name the same types of the
 * template over the template reduced to the resources of those types (and, for rules that look
 * resources up, the resources these name); a group whose types are all in a larger group's runs with
 * it (a guard process costs ~20 ms). Verdicts are kept per rule group and reduced template for the
 * test file: stacks built on the same cluster share many groups. `compliance.test.ts` checks that
 * the result equals `fullGuardViolations` on templates with and without findings.
 */
export function guardViolations(templatePath: string): GuardViolation[] {
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf-8'));
  const resources = Object.entries<{ Type: string }>(template.Resources ?? {});
  const ids = new Set(resources.map(([id]) => id));
  const present = new Set(resources.map(([, r]) => r.Type));
  const groups = new Map<string, GuardRule[]>();
  for (const rule of controlTowerRules()) {
    const types = rule.types.size === 0 ? [...present] : [...rule.types].filter(t => present.has(t));
    if (types.length === 0) continue;
    const key = types.sort().join(' ');
    groups.set(key, [...groups.get(key) ?? [], rule]);
  }
  const typesOf = (key: string) => key.split(' ');
  for (const key of [...groups.keys()].sort((a, b) => typesOf(a).length - typesOf(b).length)) {
    const larger = [...groups.keys()]
      .filter(other => other !== key && typesOf(key).every(t => typesOf(other).includes(t)))
      .sort((a, b) => typesOf(a).length - typesOf(b).length)[0];
    if (larger) {
      groups.set(larger, [...groups.get(larger)!, ...groups.get(key)!]);
      groups.delete(key);
    }
  }
  return [...groups].flatMap(([key, rules]) => {
    const types = new Set(typesOf(key));
    const kept = new Set(resources.filter(([, r]) => types.has(r.Type)).map(([id]) => id));
    // A resource these add is of a type no rule of the group selects: only the lookups see it.
    if (rules.some(r => r.followsReferences)) {
      for (const id of [...kept]) referencedIds(template.Resources[id], ids).forEach(r => kept.add(r));
    }
    const reduced = JSON.stringify({ ...template, Resources: Object.fromEntries(resources.filter(([id]) => kept.has(id))) });
    const files = rules.map(r => r.file);
    const cacheKey = createHash('sha256').update(files.join('\n')).update('\0').update(reduced).digest('hex');
    let violations = guardCache.get(cacheKey);
    if (!violations) {
      const dataPath = path.join(path.dirname(templatePath), `guard-${cacheKey.slice(0, 16)}.json`);
      fs.writeFileSync(dataPath, reduced);
      try {
        violations = toViolations(new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: files }).validate({ templatePaths: [dataPath] }));
      } finally {
        fs.rmSync(dataPath, { force: true });
      }
      guardCache.set(cacheKey, violations);
    }
    return violations;
  });
}

/** The logical ids among `ids` a value names: `Ref`, `Fn::GetAtt` (either form), `${X}` and `${X.Attribute}` of `Fn::Sub`. */
function referencedIds(value: unknown, ids: ReadonlySet<string>): string[] {
  if (typeof value === 'string') {
    return [value, value.split('.')[0], ...[...value.matchAll(/\$\{([^}!.]+)/g)].map(m => m[1])].filter(id => ids.has(id));
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(v => referencedIds(v, ids));
}

/** Verdicts of `guardViolations`, by rule group and reduced template. */
const guardCache = new Map<string, GuardViolation[]>();

function toViolations(report: ReturnType<CfnGuardValidator['validate']>): GuardViolation[] {
  return report.violations.flatMap(v => v.violatingResources.map(r => ({ rule: v.ruleName, logicalId: r.resourceLogicalId })));
}

/**
 * A stack in a new app, in a fixed account and region so that templates are stable. The app writes
 * no tree.json: nothing here reads it, and it costs about a seventh of building and synthesizing a stack.
 */
export function newStack(id: string = 'Test'): Stack {
  const app = new App({ treeMetadata: false });
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
  for (const pack of nagPacks()) {
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

let cdkNag: typeof CdkNag | undefined;

/** The three cdk-nag packs. cdk-nag is loaded on first use: test files that only build stacks skip its ~0.4 s load. */
function nagPacks(): CdkNag.NagPack[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cdkNag ??= require('cdk-nag') as typeof CdkNag;
  return [new cdkNag.AwsSolutionsChecks(), new cdkNag.NIST80053R5Checks(), new cdkNag.HIPAASecurityChecks()];
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
