import { describe, expect, it } from 'vitest';
import { barChart } from '../../../demo/report-html.ts';
import { psiReading } from '../../../demo/summary.ts';

const attr = (svg: string, name: string, nth = 0): number => {
  const found = [...svg.matchAll(new RegExp(`${name}="([0-9.]+)"`, 'g'))];
  const value = found[nth]?.[1];
  if (value === undefined) throw new Error(`no ${name} #${nth} in ${svg}`);
  return Number(value);
};

describe('barChart', () => {
  it('leaves room for the longest label, so no label is cut at the left edge', () => {
    const long = 'Income insufficient for the amount of credit requested';
    const svg = barChart('Reasons', [
      { label: 'short', count: 3 },
      { label: long, count: 9 },
    ]);
    // The first bar starts where the labels end; labels are right-aligned to that edge.
    const barX = attr(svg, 'rect x');
    expect(barX).toBeGreaterThanOrEqual(long.length * 6.5);
    expect(svg).toContain(`>${long}</text>`);
  });

  it('scales bars to the largest count and escapes labels', () => {
    const svg = barChart('Grades', [
      { label: '<A>', count: 10 },
      { label: 'B', count: 5 },
    ]);
    expect(svg).toContain('&lt;A&gt;');
    expect(svg).not.toContain('<A>');
    const widths = [...svg.matchAll(/<rect [^>]*width="([0-9]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[1]).toBe(Math.round((widths[0] ?? 0) / 2));
  });
});

describe('psiReading', () => {
  it('reads the index in the usual bands, naming the alert above its threshold', () => {
    expect(psiReading(null)).toBe('PSI n/a');
    expect(psiReading(0.04)).toBe('PSI 0.040 (stable)');
    expect(psiReading(0.2)).toBe('PSI 0.200 (moderate shift)');
    expect(psiReading(0.647)).toMatch(
      /^PSI 0\.647 \(population shift, above the 0\.25 alert threshold.*ScorecardPopulationShift\)$/,
    );
  });
});
