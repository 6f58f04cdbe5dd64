#!/usr/bin/env node
/**
 * `cdk-ecs-workloads cost <cdk.out dir> [--json]`: what the synthesized stacks cost every month while
 * idle, and per unit of work, at the public prices of `cost/prices.ts`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { estimate, StackTemplate } from './cost/model';
import { formatReport } from './cost/report';

const USAGE = 'usage: cdk-ecs-workloads cost <cdk.out directory> [--json]';

/** The stack templates of a cloud assembly: from its manifest, else every `*.template.json` in it. */
export function readAssembly(dir: string): StackTemplate[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf-8'));
    return Object.entries<any>(manifest.artifacts ?? {})
      .filter(([, artifact]) => artifact?.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
      .map(([id, artifact]) => ({
        name: artifact.properties.stackName ?? id,
        template: JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf-8')),
      }));
  }
  return fs.readdirSync(dir).filter(f => f.endsWith('.template.json')).sort().map(f => ({
    name: f.slice(0, -'.template.json'.length),
    template: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf-8')),
  }));
}

/** Runs the command; returns the exit code (0 ok, 1 missing input, 2 bad arguments). */
export function main(argv: string[], out: (s: string) => void, err: (s: string) => void = out): number {
  const json = argv.includes('--json');
  const args = argv.filter(a => a !== '--json');
  if (args.length !== 2 || args[0] !== 'cost' || args[1].startsWith('-')) {
    err(USAGE);
    return 2;
  }
  const dir = args[1];
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    err(`error: ${dir} is not a directory; run \`cdk synth\` first, then pass its output directory (cdk.out)`);
    return 1;
  }
  let stacks: StackTemplate[];
  try {
    stacks = readAssembly(dir);
  } catch (e) {
    err(`error: cannot read the templates in ${dir}: ${(e as Error).message}`);
    return 1;
  }
  if (stacks.length === 0) {
    err(`error: no stack template in ${dir} (no CloudFormation stack in manifest.json, or no *.template.json)`);
    return 1;
  }
  const result = estimate(stacks);
  out(json ? JSON.stringify(result, undefined, 2) : formatReport(result));
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), s => console.log(s), s => console.error(s));
}
