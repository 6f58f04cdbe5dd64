/**
 * One synthesis, in its own process: `node synth.js <ours|baseline> <copies> <outdir>`.
 * Prints the process's own measurements as JSON on stdout; the caller times the whole process.
 */
import { App } from 'aws-cdk-lib';
import { BaselineStack } from './apps/baseline';
import { OursStack } from './apps/ours';

const [kind, copiesArg, outdir] = process.argv.slice(2);
const copies = Number(copiesArg);
if (!['ours', 'baseline'].includes(kind) || !Number.isInteger(copies) || copies < 1 || !outdir) {
  throw new Error('usage: synth.js <ours|baseline> <copies> <outdir>');
}
const app = new App({ outdir, stackTraces: false, context: { 'aws:cdk:enable-path-metadata': true } });
for (let i = 0; i < copies; i++) {
  if (kind === 'ours') new OursStack(app, `Ours${i}`);
  else new BaselineStack(app, `Baseline${i}`);
}
app.synth();
process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
