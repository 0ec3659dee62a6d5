import { describe, expect, it } from 'vitest';
import {
  loadModelFile,
  ModelError,
  modelChecksum,
  modelKey,
  parseModel,
} from '../../../workloads/risk-scorer/scorecard/model.ts';
import type { Scorecard } from '../../../workloads/risk-scorer/scorecard/schema.ts';

const champion = loadModelFile('workloads/risk-scorer/models/retail-scorecard-1.0.0.yaml');
const challenger = loadModelFile('workloads/risk-scorer/models/retail-scorecard-2.0.0.yaml');

function edited(edit: (m: Scorecard) => void): unknown {
  const copy = structuredClone(champion);
  edit(copy);
  return copy;
}

function problemsOf(input: unknown): string[] {
  try {
    parseModel(input, 'test');
  } catch (err) {
    if (err instanceof ModelError) return err.problems;
    throw err;
  }
  return [];
}

describe('scorecard model files', () => {
  it('loads the shipped champion and challenger as two versions of one model family', () => {
    expect(modelKey(champion)).toBe('retail-scorecard@1.0.0');
    expect(modelKey(challenger)).toBe('retail-scorecard@2.0.0');
    expect(modelChecksum(champion)).not.toBe(modelChecksum(challenger));
  });

  it('has a checksum that ignores key order but not content', () => {
    const { name, ...rest } = champion;
    const reordered = JSON.parse(JSON.stringify({ ...rest, name })) as Scorecard;
    expect(modelChecksum(reordered)).toBe(modelChecksum(champion));
    expect(modelChecksum(edited((m) => (m.scaling.pdo = 41)) as Scorecard)).not.toBe(modelChecksum(champion));
  });
});

describe('model validation names each problem', () => {
  it('rejects overlapping bins', () => {
    const p = problemsOf(
      edited((m) => {
        const bins = m.characteristics[2]?.bins;
        if (bins?.[1]) bins[1].min = 0.5;
      }),
    );
    expect(p.join('\n')).toMatch(/characteristics\/2\/bins: bins .* overlap/);
  });

  it('rejects a gap between bins and an open end', () => {
    const gap = problemsOf(
      edited((m) => {
        const bins = m.characteristics[2]?.bins;
        if (bins?.[1]) bins[1].min = 1.5;
      }),
    );
    expect(gap.join('\n')).toMatch(/leave a gap/);
    const top = problemsOf(
      edited((m) => {
        const bins = m.characteristics[2]?.bins;
        const last = bins?.[bins.length - 1];
        if (last) last.max = 99;
      }),
    );
    expect(top.join('\n')).toMatch(/highest bin must have no max/);
  });

  it('requires a missing-value bin for the bureau score', () => {
    const p = problemsOf(
      edited((m) => {
        const c = m.characteristics[0];
        if (c) c.bins = c.bins.filter((b) => b.missing !== true);
      }),
    );
    expect(p).toContain(
      '/characteristics/0/bins: bureauScore can be missing, so it needs a bin with missing: true',
    );
  });

  it('rejects grades that leave low scores ungraded, out-of-order cutoffs and a baseline not summing to 1', () => {
    const p = problemsOf(
      edited((m) => {
        m.grades = m.grades.filter((g) => g.grade !== 'G');
        m.policy.referMinScore = 700;
        m.baseline.proportions[0] = 0.5;
      }),
    );
    expect(p.join('\n')).toMatch(/lowest grade must start at or below minScore 300/);
    expect(p.join('\n')).toMatch(/referMinScore must not exceed approveMinScore/);
    expect(p.join('\n')).toMatch(/must sum to 1/);
  });

  it('reports schema errors with the field path', () => {
    const p = problemsOf(edited((m) => ((m as unknown as { maxReasons: number }).maxReasons = 6)));
    expect(p.some((x) => x.startsWith('/maxReasons'))).toBe(true);
  });
});
