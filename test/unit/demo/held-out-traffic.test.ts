import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type AlertSeen,
  buildHeldOutTraffic,
  EXPECTED_RULES,
  scoreHeldOut,
} from '../../../demo/held-out-traffic.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS, semanticErrors } from '../../../workloads/contract/semantics.ts';
import { submissionValidator } from '../../../workloads/contract/validate.ts';
import { DEFAULT_RULES } from '../../../workloads/fraud-detector/rules/default-rules.ts';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const build = (order: 'time' | 'shuffled', seed = 7) =>
  buildHeldOutTraffic({ seed, now: NOW, order, groups: 4, legitimate: 200 });

describe('held-out traffic', () => {
  it('is written apart from the generator: imports none of its code', () => {
    const src = readFileSync(join(repoRoot, 'demo', 'held-out-traffic.ts'), 'utf8');
    expect(src).not.toMatch(/from '[^']*generator[^']*'/);
    expect(src).toContain("from '../workloads/contract/application.ts'");
  });

  it('is accepted by the contract at the door, except the far-future posts, which name /submittedAt', () => {
    for (const { body, expect: e } of build('shuffled').posts) {
      const schema = submissionValidator.validate(body);
      expect(schema.ok, JSON.stringify(schema)).toBe(true);
      const semantic = semanticErrors(body, new Date(NOW), { maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS });
      if (e.kind === 'rejected') expect(semantic.map((x) => x.path)).toEqual([e.field]);
      else expect(semantic).toEqual([]);
    }
  });

  it('spans six hours of event time, ordered in one variant and not in the other', () => {
    const times = (order: 'time' | 'shuffled') =>
      build(order)
        .posts.filter((p) => p.expect.kind !== 'rejected' && p.expect.kind !== 'beyond-horizon')
        .map((p) => Date.parse(p.body.submittedAt));
    const ordered = times('time');
    expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
    expect(NOW - Math.min(...ordered)).toBeGreaterThan(4 * 3_600_000);
    expect(NOW - Math.min(...ordered)).toBeLessThanOrEqual(6 * 3_600_000);
    const shuffled = times('shuffled');
    let inversions = 0;
    for (let i = 1; i < shuffled.length; i++)
      if ((shuffled[i] as number) < (shuffled[i - 1] as number)) inversions++;
    expect(inversions).toBeGreaterThan(shuffled.length / 4);
  });

  it('is deterministic per seed and uses other keys per variant', () => {
    expect(build('time', 3).posts.map((p) => p.body.applicant.nationalId)).toEqual(
      build('time', 3).posts.map((p) => p.body.applicant.nationalId),
    );
    const a = new Set(build('time').posts.map((p) => p.body.channel.deviceId));
    const b = build('shuffled').posts.map((p) => p.body.channel.deviceId);
    expect(b.filter((d) => a.has(d))).toEqual([]);
  });

  it('expects only live rules of the default rule set', () => {
    const live = new Set(DEFAULT_RULES.rules.filter((r) => r.mode === 'live' && r.enabled).map((r) => r.id));
    for (const rules of Object.values(EXPECTED_RULES)) for (const r of rules) expect(live.has(r)).toBe(true);
  });

  it('scores groups, members and false positives from the alerts seen', () => {
    const v = build('time');
    const ring = v.posts.filter((p) => p.expect.kind === 'fraud' && p.expect.group === 'ring-0');
    const legit = v.posts.find((p) => p.expect.kind === 'legitimate');
    const alerts: AlertSeen[] = [
      { applicationId: ring[0]?.body.applicationId ?? '', ruleId: 'device-shared-customers', mode: 'live' },
      // The wrong rule does not catch a group; shadow alerts are no false positives.
      ...ring
        .slice(1)
        .map((p) => ({ applicationId: p.body.applicationId, ruleId: 'geo-mismatch', mode: 'live' as const })),
      { applicationId: legit?.body.applicationId ?? '', ruleId: 'ip-shared-customers', mode: 'shadow' },
      { applicationId: legit?.body.applicationId ?? '', ruleId: 'velocity-national-id', mode: 'live' },
    ];
    const o = scoreHeldOut(v, alerts);
    const rings = o.scenarios.find((s) => s.scenario === 'device_ring');
    expect(rings).toMatchObject({ groups: 4, caught: 1, membersFlagged: 1 });
    expect(o.scenarios.find((s) => s.scenario === 'velocity_burst')?.caught).toBe(0);
    expect(o.falsePositives).toHaveLength(1);
    expect(o.shadowOnLegitimate).toBe(1);
  });
});
