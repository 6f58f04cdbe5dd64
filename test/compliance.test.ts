import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { findingLines, fullGuardViolations, guardViolations, GuardViolation } from './compliance';
import { BaselineStack } from '../bench/apps/baseline';
import { OursStack } from '../bench/apps/ours';
import { benchApp } from '../bench/apps/shared';

/**
 * `guardViolations` runs only the cfn-guard Control Tower rules that name a resource type of the
 * template, each over the template reduced to the resources of its types and those they reference.
 * Its verdicts must be those of every rule over the whole template. The full rule set takes
 * half a minute on 2 cores: this check runs where CI is set (and with `npx projen test:full`).
 */
const ciOnly = process.env.CI || process.env.FC_VALID_BATCHES ? describe : describe.skip;
ciOnly('pruned cfn-guard run', () => {
  const lines = (vs: GuardViolation[]) => vs.map(v => `${v.rule} ${v.logicalId}`).sort();

  test.each([
    ['hand-wired aws-cdk-lib workloads (many findings)', (app: App) => new BaselineStack(app, 'Baseline')],
    ['this library\'s workloads (findings only where acknowledged)', (app: App) => new OursStack(app, 'Ours')],
  ])('%s: the same violations as the full rule set', (_name, build) => {
    const app = new App();
    const stack = build(app);
    const templatePath = app.synth().getStackByName(stack.stackName).templateFullPath;

    const full = lines(fullGuardViolations(templatePath));
    expect(full.length).toBeGreaterThan(0);
    expect(lines(guardViolations(templatePath))).toEqual(full);
  });
});

/**
 * The unit tests synthesize with aws-cdk-lib's legacy defaults; a project made by `cdk init` has every
 * recommended feature flag on. The five workloads must hold there too.
 */
describe('under the feature flags of a new cdk init project', () => {
  const app = benchApp(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-init-flags-')), 'cdk-init');
  const stack = new OursStack(app, 'Ours');

  test('the app has the recommended feature flags on', () => {
    expect(app.node.tryGetContext('@aws-cdk/aws-iam:minimizePolicies')).toBe(true);
  });

  test('zero unacknowledged cdk-nag and cfn-guard findings', () => {
    expect(findingLines(stack)).toEqual([]);
  });

  test('no construct warning (aws-cdk-lib would render it into a validation report on every synth)', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});
