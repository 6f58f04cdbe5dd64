/** A small grouped bar chart as an SVG document (no dependency). */
export function barChartSvg(title: string, groups: { label: string; ours: number; baseline: number }[]): string {
  const width = 640;
  const height = 320;
  const left = 60;
  const bottom = 40;
  const top = 40;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...groups.flatMap(g => [g.ours, g.baseline]));
  const groupWidth = (width - left - 20) / Math.max(1, groups.length);
  const barWidth = groupWidth / 3;
  const bars: string[] = [];
  groups.forEach((g, i) => {
    const x0 = left + i * groupWidth + barWidth / 2;
    ([['ours', g.ours, '#2b7bb9'], ['baseline', g.baseline, '#b0b0b0']] as const).forEach(([, value, color], j) => {
      const h = (value / max) * plotHeight;
      const x = x0 + j * barWidth;
      const y = top + plotHeight - h;
      bars.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"/>`);
      bars.push(`<text x="${(x + barWidth / 2 - 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" font-size="11" text-anchor="middle">${value.toFixed(0)}</text>`);
    });
    bars.push(`<text x="${(x0 + barWidth).toFixed(1)}" y="${height - bottom + 16}" font-size="12" text-anchor="middle">${g.label}</text>`);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${width / 2}" y="22" font-size="14" text-anchor="middle">${title}</text>`,
    `<line x1="${left}" y1="${top + plotHeight}" x2="${width - 10}" y2="${top + plotHeight}" stroke="#333"/>`,
    ...bars,
    `<rect x="${width - 170}" y="${top}" width="12" height="12" fill="#2b7bb9"/><text x="${width - 152}" y="${top + 10}" font-size="12">cdk-ecs-workloads</text>`,
    `<rect x="${width - 170}" y="${top + 18}" width="12" height="12" fill="#b0b0b0"/><text x="${width - 152}" y="${top + 28}" font-size="12">aws-cdk-lib baseline</text>`,
    '</svg>',
    '',
  ].join('\n');
}
