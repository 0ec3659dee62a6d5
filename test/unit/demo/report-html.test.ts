import { describe, expect, it } from 'vitest';
import { streamDecisionsLine } from '../../../demo/decision-latency.ts';
import { barChart, latencyKpi } from '../../../demo/report-html.ts';
import { conditionsLine, psiReading } from '../../../demo/summary.ts';

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

describe('latency figures around the demo killing a detector', () => {
  it('leads with the figures from before the kill and keeps the whole run beside them', () => {
    const kpi = latencyKpi('Decision latency', { p50: 11258, p99: 35495 }, { p50: 42, p99: 180 });
    expect(kpi).toContain('before the detector was killed<b>42 / 180 ms</b>');
    expect(kpi).toContain('kill and restart included: 11258 / 35495 ms');
    expect(latencyKpi('Alert latency', { p50: 40, p99: 90 }, undefined)).toContain('<b>40 / 90 ms</b>');
  });

  it('says so in the terminal line', () => {
    const base = {
      issued: 20000,
      perSecond: 365.7,
      latencyMs: { p50: 11258, p90: 30020, p99: 35495, max: 36514 },
      source: '',
    };
    expect(streamDecisionsLine(base)).toBe(
      '  decisions      20000 issued in the stream, 366/s; receipt → decision written: p50 11258 ms, p90 30020 ms, p99 35495 ms',
    );
    expect(streamDecisionsLine({ ...base, beforeKill: { applications: 6000, p50: 42, p99: 180 } })).toBe(
      '  decisions      20000 issued in the stream, 366/s; receipt → decision written before the detector was killed (6000 applications): p50 42 ms, p99 180 ms; whole run, with the kill and restart: p50 11258 ms, p90 30020 ms, p99 35495 ms',
    );
  });
});

describe('conditionsLine', () => {
  it('says the rate, that everything shares the cores, and where the path alone is measured', () => {
    const line = conditionsLine({ ratePerSecond: 400, cores: 2 });
    expect(line).toContain('up to 400 applications/s');
    expect(line).toContain('2 CPU cores');
    expect(line).toContain('bench/decisions');
    expect(conditionsLine({ ratePerSecond: 50, cores: 1 })).toContain('1 CPU core,');
  });
});
