/**
 * A picture of a CloudWatch dashboard as an SVG document (no dependency): the widget grid with each
 * widget's title, a faint placeholder line and the legend of each graph, the number of alarms of each
 * alarm status widget. `main()` draws the dashboard of the example app into docs/dashboard.svg:
 *
 *   npx ts-node -P test/tsconfig.json scripts/dashboard-svg.ts [out]
 */
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
// A development script, never shipped: its dependencies are development dependencies.
// eslint-disable-next-line import/no-extraneous-dependencies
import { register } from 'tsconfig-paths';

/** One widget of a dashboard body, as CloudWatch reads it. */
export interface DashboardWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly [key: string]: any };
}

/** A dashboard body (the `DashboardBody` JSON). */
export interface DashboardBody {
  readonly start?: string;
  readonly widgets: DashboardWidget[];
}

/** Pixels of one grid unit: the dashboard grid has 24 columns. */
export const UNIT_WIDTH = 40;
export const UNIT_HEIGHT = 30;
/** Space around the grid, and between two boxes. */
export const MARGIN = 10;
export const GAP = 4;

const COLUMNS = 24;
const LEGEND_MAX = 4;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
/** Average advance of a sans-serif character, in font sizes (generous, so that text stays in its box). */
const CHAR_WIDTH = 0.6;
const BOLD_CHAR_WIDTH = 0.62;

/** `value` as SVG text or attribute content. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** `text` cut to what fits in `pixels` at `fontSize`, with an ellipsis when cut. */
export function fitText(text: string, pixels: number, fontSize: number, bold: boolean = false): string {
  const max = Math.max(1, Math.floor(pixels / (fontSize * (bold ? BOLD_CHAR_WIDTH : CHAR_WIDTH))));
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}\u2026`;
}

/**
 * A CloudFormation token of the body as a readable placeholder that is safe inside a JSON string:
 * `<Ref:X>`, `<GetAtt:X.Attr>`, `<ImportValue:name>`, `<Select:1:<Split:/:<Ref:X>>>`.
 */
export function placeholder(token: unknown): string {
  if (typeof token === 'string' || typeof token === 'number') return String(token).replace(/["\\]/g, '\'');
  if (Array.isArray(token)) return token.map(placeholder).join(',');
  const entries = Object.entries(token as object);
  if (entries.length !== 1) throw new Error(`not a CloudFormation intrinsic: ${JSON.stringify(token)}`);
  const [key, value] = entries[0];
  switch (key) {
    case 'Ref': return `<Ref:${placeholder(value)}>`;
    case 'Fn::GetAtt': return `<GetAtt:${(value as unknown[]).map(placeholder).join('.')}>`;
    case 'Fn::ImportValue': return `<ImportValue:${placeholder(value)}>`;
    default: return `<${key.replace(/^Fn::/, '')}:${(Array.isArray(value) ? value : [value]).map(placeholder).join(':')}>`;
  }
}

/** The parsed `DashboardBody` of a template's dashboard: a JSON string, or an `Fn::Join` of strings and tokens. */
export function parseDashboardBody(dashboardBody: unknown): DashboardBody {
  if (typeof dashboardBody === 'string') return JSON.parse(dashboardBody);
  const join = (dashboardBody as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`DashboardBody is neither a string nor an Fn::Join: ${JSON.stringify(dashboardBody)}`);
  const [separator, parts] = join;
  return JSON.parse(parts.map(p => typeof p === 'string' ? p : placeholder(p)).join(separator));
}

/** A synthesized template, as far as this script reads it. */
export interface TemplateJson {
  readonly Resources?: { readonly [logicalId: string]: { readonly Type: string; readonly Properties?: any } };
}

/** The body of each `AWS::CloudWatch::Dashboard` of a template, by logical id. */
export function dashboardBodies(template: TemplateJson): { [logicalId: string]: DashboardBody } {
  const bodies: { [logicalId: string]: DashboardBody } = {};
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type === 'AWS::CloudWatch::Dashboard') bodies[id] = parseDashboardBody(resource.Properties.DashboardBody);
  }
  return bodies;
}

/** Legend entries of a metric widget: the label (or metric name) of each visible metric, right-axis ones marked. */
export function legendLabels(widget: DashboardWidget): string[] {
  const rows: unknown[][] = widget.properties.metrics ?? [];
  return rows.flatMap(row => {
    const last = row[row.length - 1];
    const options: { [key: string]: any } = typeof last === 'object' && last !== null ? last : {};
    if (options.visible === false) return [];
    const name = options.label ?? options.expression ?? (typeof row[1] === 'string' ? row[1] : '?');
    return [options.yAxis === 'right' ? `${name} (right)` : String(name)];
  });
}

/** Title shown for a widget: its title, or the first line of a text widget's markdown without '#'. */
export function widgetTitle(widget: DashboardWidget): string {
  if (widget.type === 'text') {
    const first = String(widget.properties.markdown ?? '').split('\n').find(l => l.trim() !== '') ?? '';
    return first.replace(/^\s*#+\s*/, '').trim();
  }
  return String(widget.properties.title ?? widget.type);
}

/** Box of a widget in pixels. */
export function widgetBox(widget: DashboardWidget): { x: number; y: number; width: number; height: number } {
  return {
    x: MARGIN + widget.x * UNIT_WIDTH,
    y: MARGIN + widget.y * UNIT_HEIGHT,
    width: widget.width * UNIT_WIDTH - GAP,
    height: widget.height * UNIT_HEIGHT - GAP,
  };
}

function drawText(x: number, y: number, size: number, text: string, attrs: string = ''): string {
  return `<text x="${x}" y="${y}" font-size="${size}"${attrs}>${escapeXml(text)}</text>`;
}

/** A gentle wave across the plot area, different per widget: where the graph's lines would be. */
function placeholderLine(x: number, y: number, width: number, height: number, seed: number): string {
  const points: string[] = [];
  const steps = 24;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const v = 0.5 + 0.3 * Math.sin(2 * Math.PI * (t * 1.5 + seed * 0.17)) + 0.12 * Math.sin(2 * Math.PI * (t * 4 + seed * 0.41));
    points.push(`${(x + t * width).toFixed(1)},${(y + height * (1 - v)).toFixed(1)}`);
  }
  return [
    `<line x1="${x}" y1="${y + height}" x2="${x + width}" y2="${y + height}" stroke="#d0d0d0"/>`,
    `<polyline points="${points.join(' ')}" fill="none" stroke="#b8cde0" stroke-width="1.5"/>`,
  ].join('');
}

function drawWidget(widget: DashboardWidget, index: number): string {
  const box = widgetBox(widget);
  const pad = 8;
  const inner = box.width - 2 * pad;
  const parts: string[] = [];
  const isText = widget.type === 'text';
  parts.push(`<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="3" fill="${isText ? '#f4f6f8' : '#ffffff'}" stroke="#c4c8cc"/>`);
  const titleSize = isText && widget.height <= 1 ? 13 : 12;
  const titleY = box.y + (widget.height <= 1 ? Math.round(box.height / 2 + titleSize / 2 - 2) : 18);
  parts.push(drawText(box.x + pad, titleY, titleSize, fitText(widgetTitle(widget), inner, titleSize, true), ' font-weight="bold" fill="#16191f"'));
  if (isText) {
    const rest = String(widget.properties.markdown ?? '').split('\n').slice(1).filter(l => l.trim() !== '');
    const lines = Math.floor((box.height - 26) / 14);
    rest.slice(0, Math.max(0, lines)).forEach((line, i) => {
      parts.push(drawText(box.x + pad, titleY + 16 + i * 14, 11, fitText(line.replace(/^\s*#+\s*/, ''), inner, 11), ' fill="#5f6b7a"'));
    });
  } else if (widget.type === 'alarm') {
    const count = (widget.properties.alarms ?? []).length;
    parts.push(drawText(box.x + box.width / 2, box.y + box.height / 2 + 8, 12, `alarm status: ${count} alarm${count === 1 ? '' : 's'}`,
      ' text-anchor="middle" fill="#5f6b7a"'));
  } else if (widget.type === 'metric') {
    const labels = legendLabels(widget).slice(0, LEGEND_MAX);
    // Room for the longest legend, so that the graphs of a row share their baseline.
    const legendHeight = LEGEND_MAX * 14 + 6;
    const plotTop = box.y + 28;
    const plotHeight = Math.max(10, box.height - 28 - legendHeight - 6);
    parts.push(placeholderLine(box.x + pad, plotTop, inner, plotHeight, index));
    labels.forEach((label, i) => {
      const y = plotTop + plotHeight + 10 + i * 14;
      parts.push(`<rect x="${box.x + pad}" y="${y}" width="9" height="9" fill="${COLORS[i % COLORS.length]}"/>`);
      parts.push(drawText(box.x + pad + 14, y + 8, 11, fitText(label, inner - 14, 11), ' fill="#414d5c"'));
    });
  }
  return parts.join('\n');
}

/** The dashboard's widget grid as an SVG document. */
export function dashboardSvg(body: { widgets: DashboardWidget[] }): string {
  const rows = Math.max(1, ...body.widgets.map(w => w.y + w.height));
  const width = 2 * MARGIN + COLUMNS * UNIT_WIDTH - GAP;
  const height = 2 * MARGIN + rows * UNIT_HEIGHT - GAP;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="#fafafa"/>',
    ...body.widgets.map(drawWidget),
    '</svg>',
    '',
  ].join('\n');
}

/** The example app's dashboard (its operations stack, built as the deploy-proof scenarios build it) as SVG. */
export function exampleDashboardSvg(): string {
  // Loaded here, not imported: the examples import the package by name, which `main` maps to src/ first.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { exampleApp } = require('../test/deploy-proof/scenarios') as typeof import('../test/deploy-proof/scenarios');
  return stackDashboardSvg(exampleApp().operations);
}

/** The picture of the one dashboard of `stack`. */
export function stackDashboardSvg(stack: Stack): string {
  const bodies = Object.values(dashboardBodies(Template.fromStack(stack).toJSON()));
  if (bodies.length !== 1) throw new Error(`stack ${stack.stackName} has ${bodies.length} dashboards, expected 1`);
  return dashboardSvg(bodies[0]);
}

/** Writes the example app's dashboard picture to `out` (default docs/dashboard.svg). */
export function main(out: string = path.join(__dirname, '..', 'docs', 'dashboard.svg')): void {
  register({ baseUrl: path.join(__dirname, '..'), paths: { 'cdk-ecs-workloads': ['src/index'] } });
  fs.writeFileSync(out, exampleDashboardSvg());
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}

if (require.main === module) main(process.argv[2]);
