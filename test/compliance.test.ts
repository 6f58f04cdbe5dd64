import { App } from 'aws-cdk-lib';
import { fullGuardViolations, guardViolations, GuardViolation } from './compliance';
import { BaselineStack } from '../bench/apps/baseline';
import { OursStack } from '../bench/apps/ours';

/**
 * `guardViolations` runs only the cfn-guard Control Tower rules that name a resource type of the
 * template. Its verdicts must be those of every rule over the same template.
 */
describe('pruned cfn-guard run', () => {
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
