import { describe, expect, it } from 'vitest';
import {
  comparePrecision,
  DEFAULT_PLAN,
  planCase,
  type ResolvedAlert,
  unitHash,
  verdictFor,
} from '../../../demo/fraud-ops-plan.ts';

const plan = { seed: 42, ...DEFAULT_PLAN };
const ids = Array.from({ length: 4000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

describe('planCase', () => {
  it('resolves about the configured share, deterministically, with verdicts from the labels', () => {
    const actions = ids.map((id, i) => planCase(id, i % 3 === 0 ? 'legitimate' : 'velocity_burst', plan));
    expect(ids.map((id) => planCase(id, 'velocity_burst', plan))).toEqual(
      ids.map((id) => planCase(id, 'velocity_burst', plan)),
    );
    const resolved = actions.filter((a) => a.kind === 'resolve');
    expect(resolved.length / ids.length).toBeGreaterThan(0.66);
    expect(resolved.length / ids.length).toBeLessThan(0.74);
    const inconclusive = resolved.filter((a) => a.kind === 'resolve' && a.verdict === 'inconclusive');
    expect(inconclusive.length / resolved.length).toBeGreaterThan(0.03);
    expect(inconclusive.length / resolved.length).toBeLessThan(0.07);
    for (const [i, a] of actions.entries()) {
      if (a.kind !== 'resolve' || a.verdict === 'inconclusive') continue;
      expect(a.verdict).toBe(i % 3 === 0 ? 'legitimate' : 'confirmed_fraud');
    }
    // Every inconclusive verdict is explained; some of the others carry a note.
    expect(inconclusive.every((a) => a.kind === 'resolve' && a.note)).toBe(true);
    const noted = resolved.filter((a) => a.kind === 'resolve' && a.note && a.verdict !== 'inconclusive');
    expect(noted.length / resolved.length).toBeGreaterThan(0.07);
    expect(noted.length / resolved.length).toBeLessThan(0.13);
    const investigating = actions.filter((a) => a.kind === 'investigate').length;
    expect(investigating / (ids.length - resolved.length)).toBeGreaterThan(0.15);
    expect(investigating / (ids.length - resolved.length)).toBeLessThan(0.25);
  });

  it('changes with the seed and leaves unlabelled applications alone', () => {
    const a = ids.map((id) => planCase(id, 'x', plan).kind);
    const b = ids.map((id) => planCase(id, 'x', { ...plan, seed: 7 }).kind);
    expect(a).not.toEqual(b);
    expect(planCase(ids[0] as string, undefined, plan)).toEqual({ kind: 'leave', why: 'no label' });
  });

  it('maps labels to verdicts and hashes into [0, 1)', () => {
    expect(verdictFor('legitimate')).toBe('legitimate');
    expect(verdictFor('device_ring')).toBe('confirmed_fraud');
    for (const id of ids.slice(0, 100)) {
      const u = unitHash(id);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
  });
});

describe('comparePrecision', () => {
  const labels = new Map([
    ['a1', 'velocity_burst'],
    ['a2', 'legitimate'],
    ['a3', 'velocity_burst'],
    ['a4', 'device_ring'],
  ]);
  const resolved: ResolvedAlert[] = [
    { ruleId: 'velocity', applicationId: 'a1', verdict: 'confirmed_fraud' },
    { ruleId: 'velocity', applicationId: 'a2', verdict: 'legitimate' },
    { ruleId: 'velocity', applicationId: 'a3', verdict: 'inconclusive' },
    { ruleId: 'device', applicationId: 'a4', verdict: 'confirmed_fraud' },
  ];
  const api = [
    {
      ruleId: 'velocity',
      alerts: 5,
      resolved: 3,
      confirmedFraud: 1,
      legitimate: 1,
      inconclusive: 1,
      precision: 1 / 3,
    },
    {
      ruleId: 'device',
      alerts: 1,
      resolved: 1,
      confirmedFraud: 1,
      legitimate: 0,
      inconclusive: 0,
      precision: 1,
    },
  ];
  const byLabels = [
    { ruleId: 'velocity', precision: 0.8, mode: 'live' as const },
    { ruleId: 'device', precision: 1, mode: 'live' as const },
    { ruleId: 'ip-shadow', precision: 0.5, mode: 'shadow' as const },
  ];

  it('sets verdict precision beside the labels of the same alerts and of all flagged', () => {
    const rows = comparePrecision(api, resolved, labels, byLabels);
    expect(rows.map((r) => r.ruleId)).toEqual(['device', 'ip-shadow', 'velocity']);
    const velocity = rows.find((r) => r.ruleId === 'velocity');
    expect(velocity).toMatchObject({
      precision: 1 / 3,
      expectedFromLabels: 1 / 3,
      consistent: true,
      labelPrecision: 0.8,
    });
    const shadow = rows.find((r) => r.ruleId === 'ip-shadow');
    expect(shadow).toMatchObject({
      resolved: 0,
      precision: null,
      expectedFromLabels: null,
      consistent: true,
      mode: 'shadow',
    });
  });

  it('flags a verdict that contradicts the label, or counts that differ from the resolved alerts', () => {
    const wrong = resolved.map((a) =>
      a.applicationId === 'a2' ? { ...a, verdict: 'confirmed_fraud' as const } : a,
    );
    expect(
      comparePrecision(api, wrong, labels, byLabels).find((r) => r.ruleId === 'velocity')?.consistent,
    ).toBe(false);
    const missing = resolved.filter((a) => a.applicationId !== 'a4');
    expect(
      comparePrecision(api, missing, labels, byLabels).find((r) => r.ruleId === 'device')?.consistent,
    ).toBe(false);
  });
});
