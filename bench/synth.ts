/**
 * One synthesis, in its own process: `node synth.js <ours|baseline> <copies> <outdir> [cdk-init|none]`.
 * Prints the process's own measurements as JSON on stdout; the caller times the whole process.
 */
import { BaselineStack } from './apps/baseline';
import { OursStack } from './apps/ours';
import { benchApp, FLAG_SET_NAMES, FlagSet } from './apps/shared';

const [kind, copiesArg, outdir, flags = 'cdk-init'] = process.argv.slice(2);
const copies = Number(copiesArg);
if (!['ours', 'baseline'].includes(kind) || !Number.isInteger(copies) || copies < 1 || !outdir
  || !FLAG_SET_NAMES.includes(flags as FlagSet)) {
  throw new Error(`usage: synth.js <ours|baseline> <copies> <outdir> [${FLAG_SET_NAMES.join('|')}]`);
}
const app = benchApp(outdir, flags as FlagSet);
for (let i = 0; i < copies; i++) {
  if (kind === 'ours') new OursStack(app, `Ours${i}`);
  else new BaselineStack(app, `Baseline${i}`);
}
app.synth();
process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
