import { describe, expect, it } from 'vitest';
import { LOAN_OUTCOMES } from '../../../api/loan-outcome.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';
import { parseGeneratorArgs, UsageError } from '../../../workloads/generator/main.ts';
import {
  DEFAULT_OUTCOME_OPTIONS,
  OUTCOME_CSV_HEADER,
  outcomeCsvLine,
  outcomeOf,
  outcomeScorecards,
} from '../../../workloads/generator/outcomes.ts';
import { checkOutcomeFile } from '../../../workloads/outcomes/outcome-file.ts';
import { scoringInputFromEvent } from '../../../workloads/risk-scorer/scorecard/characteristics.ts';
import { scoreApplication } from '../../../workloads/risk-scorer/scorecard/score.ts';

const items = generateApplications({ seed: 11, count: 6000 });
const options = { ...DEFAULT_OUTCOME_OPTIONS, seed: 11, observedDate: '2026-12-03' };
const outcomes = items.map((i) => ({ item: i, outcome: outcomeOf(i.submission, i.label.scenario, options) }));
const known = outcomes.filter((o) => o.outcome !== null);
const badRate = (xs: typeof known) => xs.filter((x) => x.outcome?.outcome === 'defaulted').length / xs.length;

describe('generated loan outcomes', () => {
  it('are deterministic per application, whatever the order', () => {
    const reversed = [...items].reverse().map((i) => outcomeOf(i.submission, i.label.scenario, options));
    expect(reversed.reverse()).toEqual(outcomes.map((o) => o.outcome));
  });

  it('cover about the requested share of applications', () => {
    expect(known.length / items.length).toBeGreaterThan(0.77);
    expect(known.length / items.length).toBeLessThan(0.83);
    const none = items.map((i) => outcomeOf(i.submission, i.label.scenario, { ...options, share: 0 }));
    expect(none.every((o) => o === null)).toBe(true);
  });

  it('default more often where the champion sees more risk', () => {
    const [champion] = outcomeScorecards();
    const legit = known.filter((k) => k.item.label.scenario === 'legitimate');
    const scored = legit.map((k) => ({
      ...k,
      score: scoreApplication(champion!, scoringInputFromEvent(k.item.submission)).score,
    }));
    const low = scored.filter((s) => s.score < 620);
    const mid = scored.filter((s) => s.score >= 620 && s.score < 700);
    const high = scored.filter((s) => s.score >= 700);
    for (const band of [low, mid, high]) expect(band.length).toBeGreaterThan(100);
    expect(badRate(low)).toBeGreaterThan(badRate(mid));
    expect(badRate(mid)).toBeGreaterThan(badRate(high));
    // Plausible for unsecured retail loans: a few percent of legitimate loans default.
    expect(badRate(legit)).toBeGreaterThan(0.02);
    expect(badRate(legit)).toBeLessThan(0.12);
  });

  it('make fraud applications mostly default', () => {
    const fraud = known.filter((k) => k.item.label.scenario !== 'legitimate');
    expect(fraud.length).toBeGreaterThan(100);
    expect(badRate(fraud)).toBeGreaterThan(0.75);
  });

  it('write a CSV the loader accepts', () => {
    const text = OUTCOME_CSV_HEADER + known.map((k) => outcomeCsvLine(k.outcome!)).join('');
    const checked = checkOutcomeFile(text, { today: '2026-12-03' });
    expect(checked.errors).toEqual([]);
    expect(checked.outcomes).toHaveLength(known.length);
    expect(new Set(checked.outcomes.map((o) => o.outcome))).toEqual(new Set(LOAN_OUTCOMES));
  });

  it('are asked for on the command line', () => {
    expect(parseGeneratorArgs(['--outcomes', 'o.csv'], {}).outcomes).toEqual({
      file: 'o.csv',
      horizonMonths: 12,
      share: 0.8,
    });
    expect(
      parseGeneratorArgs(['--outcomes', 'o.csv', '--outcome-horizon', '24', '--outcome-share', '1'], {})
        .outcomes,
    ).toEqual({ file: 'o.csv', horizonMonths: 24, share: 1 });
    expect(parseGeneratorArgs([], {}).outcomes).toBeUndefined();
    expect(() => parseGeneratorArgs(['--outcomes', 'o.csv', '--outcome-share', '2'], {})).toThrow(UsageError);
    expect(() => parseGeneratorArgs(['--outcomes', 'o.csv', '--outcome-horizon', '121'], {})).toThrow(
      UsageError,
    );
  });
});
