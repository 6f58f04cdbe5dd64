import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli';
import { PRICES } from '../../src/cost/prices';

const TEMPLATE = {
  Resources: {
    Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: '{}' } },
  },
};
const TOTAL = PRICES.kms.keyMonth + PRICES.cloudwatch.dashboardMonth;

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, s => { out += s; }, s => { err += s; });
  return { code, out, err };
}

function assembly(withManifest: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-cli-'));
  fs.writeFileSync(path.join(dir, 'Shop.template.json'), JSON.stringify(TEMPLATE));
  if (withManifest) {
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
      version: '48.0.0',
      artifacts: {
        Shop: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: 'Shop.template.json', stackName: 'Shop' } },
        Tree: { type: 'cdk:tree', properties: { file: 'tree.json' } },
      },
    }));
  }
  return dir;
}

describe('cdk-ecs-workloads cost', () => {
  test.each([true, false])('prints a table with the total (manifest: %s)', withManifest => {
    const { code, out } = run(['cost', assembly(withManifest)]);
    expect(code).toBe(0);
    expect(out).toContain('## Shop');
    expect(out).toMatch(/\| Key \(AWS::KMS::Key\) \| .* \| \$1\.00 \|/);
    expect(out).toContain(`| **total** | | **$${TOTAL.toFixed(2)}** |`);
    expect(out).toContain(`Prices: ${PRICES.region}, as of ${PRICES.asOf}`);
  });

  test('--json prints the estimate', () => {
    const { code, out } = run(['cost', assembly(true), '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.fixedTotal).toBeCloseTo(TOTAL, 6);
    expect(parsed.stacks.map((s: any) => s.name)).toEqual(['Shop']);
  });

  test.each([[[]], [['cost']], [['price', 'cdk.out']], [['cost', '--verbose']], [['cost', 'a', 'b']]])('bad arguments %j → 2 with the usage line', argv => {
    const { code, err, out } = run(argv);
    expect(code).toBe(2);
    expect(err).toMatch(/^usage: cdk-ecs-workloads cost <cdk.out directory> \[--json\]/);
    expect(out).toBe('');
  });

  test('a missing directory → 1 with a clear message', () => {
    const { code, err } = run(['cost', path.join(os.tmpdir(), 'no-such-cdk-out-dir')]);
    expect(code).toBe(1);
    expect(err).toMatch(/is not a directory; run `cdk synth` first/);
  });

  test('a directory without templates → 1', () => {
    const { code, err } = run(['cost', fs.mkdtempSync(path.join(os.tmpdir(), 'cost-cli-empty-'))]);
    expect(code).toBe(1);
    expect(err).toMatch(/no stack template/);
  });
});
