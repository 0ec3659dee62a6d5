/**
 * The demo path, smaller: chart → operator (run by the local runner with its ServiceAccount) →
 * CreditPipeline → workloads as rendered → generator traffic → alerts, scores, decisions.
 * Asserts on the numbers, not only on the exit code.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runHeldOut } from '../../demo/held-out-run.ts';
import { DEFAULT_DEMO, runDemo, stopDemo } from '../../demo/run-demo.ts';
import type { DemoSummary } from '../../demo/summary.ts';

describe('the demo path end to end', () => {
  let summary: DemoSummary | undefined;

  afterAll(async () => {
    await stopDemo();
  });

  it('turns a CreditPipeline and generator traffic into alerts, scores and decisions', async () => {
    summary = await runDemo({
      ...DEFAULT_DEMO,
      count: 3000,
      rate: 300,
      seed: 7,
      progress: (step, detail) => process.stdout.write(`[e2e] ${step}${detail ? `: ${detail}` : ''}\n`),
    });
    const s = summary;
    expect(s.pipeline.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(s.applications.generated).toBe(3000);
    expect(s.applications.accepted).toBe(3000);
    expect(s.applications.inWarehouse).toBe(3000);
    expect(s.applications.rejectedByApi).toBe(DEFAULT_DEMO.invalidPosts);
    expect(s.deadLetters.count).toBeGreaterThanOrEqual(DEFAULT_DEMO.poisonMessages);
    expect(s.alerts.total).toBeGreaterThan(0);
    expect(s.quality.overall.recall).toBeGreaterThanOrEqual(0.9);
    expect(s.quality.overall.precision).toBeGreaterThanOrEqual(0.5);
    const decided = s.decisions.reduce((n, d) => n + d.count, 0);
    expect(decided).toBe(3000);
    expect(s.decisions.map((d) => d.label).sort()).toEqual(['approve', 'decline', 'refer']);
    expect(s.scoring.status).toBe('succeeded');
    expect(s.scoring.scored).toBe(3000);
    expect(s.latencyMs.p99).not.toBeNull();
    for (const check of s.checks) expect.soft(check.ok, `${check.name}: ${check.detail}`).toBe(true);
  });

  it('catches held-out traffic shuffled over six hours as well as in time order, with no live false positives', async () => {
    expect(summary, 'the demo path ran first').toBeDefined();
    const r = await runHeldOut({ seed: 11, groups: 3, legitimate: 120 }, (line) =>
      process.stdout.write(`[e2e held-out] ${line}\n`),
    );
    const [inOrder, shuffled] = r.outcomes;
    for (const o of [inOrder, shuffled]) {
      expect(o?.scenarios.map((s) => s.scenario).sort()).toEqual([
        'device_ring',
        'far_past_ring',
        'future_clock_ring',
        'income_reapplication',
        'synthetic_identity',
        'velocity_burst',
      ]);
      for (const s of o?.scenarios ?? []) expect(s.caught, `${o?.order} ${s.scenario}`).toBe(s.groups);
      expect(o?.falsePositives).toEqual([]);
    }
    for (const check of r.checks) expect.soft(check.ok, `${check.name}: ${check.detail}`).toBe(true);
  });
});
