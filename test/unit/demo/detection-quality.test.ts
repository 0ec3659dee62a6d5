import { describe, expect, it } from 'vitest';
import { detectionQuality, LEGITIMATE } from '../../../demo/detection-quality.ts';

describe('detectionQuality', () => {
  const labels = new Map<string, string>([
    ['a1', 'velocity_burst'],
    ['a2', 'velocity_burst'],
    ['a3', 'velocity_burst'],
    ['a4', 'device_ring'],
    ['l1', LEGITIMATE],
    ['l2', LEGITIMATE],
    ['l3', LEGITIMATE],
  ]);

  it('computes recall per scenario and precision against legitimate traffic only', () => {
    const q = detectionQuality(labels, [
      { applicationId: 'a1', ruleId: 'velocity', mode: 'live' },
      { applicationId: 'a2', ruleId: 'velocity', mode: 'live' },
      { applicationId: 'a4', ruleId: 'ring', mode: 'live' },
      { applicationId: 'l1', ruleId: 'velocity', mode: 'live' },
    ]);
    const velocity = q.scenarios.find((s) => s.scenario === 'velocity_burst');
    expect(velocity).toEqual({
      scenario: 'velocity_burst',
      applications: 3,
      flagged: 2,
      recall: 2 / 3,
      precision: 2 / 3,
    });
    const ring = q.scenarios.find((s) => s.scenario === 'device_ring');
    expect(ring?.recall).toBe(1);
    expect(ring?.precision).toBe(1 / 2);
    expect(q.overall).toEqual({
      applications: 7,
      fraudulent: 4,
      flagged: 4,
      precision: 3 / 4,
      recall: 3 / 4,
    });
  });

  it('counts an application flagged by several rules once, and ignores shadow rules for flags', () => {
    const q = detectionQuality(labels, [
      { applicationId: 'a1', ruleId: 'velocity', mode: 'live' },
      { applicationId: 'a1', ruleId: 'distinct', mode: 'live' },
      { applicationId: 'a3', ruleId: 'experimental', mode: 'shadow' },
    ]);
    expect(q.overall.flagged).toBe(1);
    expect(q.scenarios.find((s) => s.scenario === 'velocity_burst')?.flagged).toBe(1);
    const shadow = q.rules.find((r) => r.ruleId === 'experimental');
    expect(shadow).toMatchObject({
      mode: 'shadow',
      flagged: 1,
      precision: 1,
      mainScenario: 'velocity_burst',
    });
  });

  it('reports zero rather than NaN when nothing was flagged', () => {
    const q = detectionQuality(labels, []);
    expect(q.overall.precision).toBe(0);
    expect(q.scenarios.every((s) => s.recall === 0 && s.precision === 0)).toBe(true);
  });
});
