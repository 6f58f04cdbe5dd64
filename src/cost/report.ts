/**
 * Markdown rendering of a cost estimate: per stack, the fixed monthly cost while idle, the unit costs,
 * what is not priced; then the app total and the prices' date and Region.
 */
import { CostEstimate, formatUsd } from './model';

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function formatReport(estimate: CostEstimate): string {
  const lines: string[] = [];
  const total = (usd: number, incomplete: boolean) => `${incomplete ? '≥ ' : ''}${formatUsd(usd)}${incomplete ? ' (some prices unknown)' : ''}`;
  for (const stack of estimate.stacks) {
    lines.push(`## ${stack.name}`, '');
    lines.push('Fixed monthly cost while idle:', '');
    if (stack.fixed.length === 0) {
      lines.push('Nothing is billed while idle.');
    } else {
      lines.push('| resource | what | USD/month |', '|---|---|---:|');
      for (const line of stack.fixed) {
        lines.push(`| ${cell(line.logicalId)} (${line.type}) | ${cell(line.what)} | ${formatUsd(line.usdPerMonth)} |`);
      }
      lines.push(`| **total** | | **${total(stack.fixedTotal, stack.fixedIncomplete)}** |`);
    }
    lines.push('');
    if (stack.units.length > 0) {
      lines.push('Unit costs (on top of the fixed cost):', '', '| resource | per | USD | how |', '|---|---|---:|---|');
      for (const unit of stack.units) {
        lines.push(`| ${cell(unit.logicalId)} | ${unit.unit} | ${formatUsd(unit.usd)} | ${cell(unit.what)} |`);
      }
      lines.push('');
    }
    if (stack.usageOnly.length > 0) {
      lines.push(`Billed by use only: ${stack.usageOnly.map(u => `${u.count} × ${u.type}`).join(', ')}.`, '');
    }
    if (stack.notPriced.length > 0) {
      lines.push('Not priced:', '', ...stack.notPriced.map(n => `- ${n}`), '');
    }
  }
  lines.push(`**All stacks, fixed monthly cost while idle: ${total(estimate.fixedTotal, estimate.fixedIncomplete)}**`, '');
  lines.push('Assumptions:', '', ...estimate.assumptions.map(a => `- ${a}`), '');
  lines.push(`Prices: ${estimate.region}, as of ${estimate.asOf} (sources in src/cost/prices.ts).`);
  return lines.join('\n') + '\n';
}
