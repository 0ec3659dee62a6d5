/**
 * The demo path, smaller, on the harness node: chart → operator (a pod of the platform image with its
 * ServiceAccount) → CreditPipeline → every workload a pod as rendered → generator traffic → alerts,
 * scores, decisions, and the fraud-operations loop (signed webhook deliveries to a receiver on the
 * node address, cases worked by analysts through the cases API with Kubernetes tokens, precision from
 * their verdicts, page screenshots); and what a platform team checks on real pods: containers under
 * containerd-shim-runc-v2, uid 10001 with a read-only root in the detector, a killed detector process
 * restarted by the kubelet while the pipeline carries on. Asserts on the numbers, not only on the exit code.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl } from '../../demo/cluster.ts';
import { runHeldOut } from '../../demo/held-out-run.ts';
import { DEFAULT_DEMO, readManifests, runDemo } from '../../demo/run-demo.ts';
import type { DemoSummary } from '../../demo/summary.ts';
import { ensureImages } from '../../infra/node/images.ts';

describe('the demo path end to end', () => {
  let summary: DemoSummary | undefined;

  // The images are built (only when their sources changed) before the demo's own time limit starts.
  beforeAll(() => {
    ensureImages(['platform', 'postgres', 'ferretdb']);
  }, 1_800_000);

  // The pipeline's pods stop with the test (the next demo run resets the namespace anyway): left
  // running they would keep polling the broker beside whatever runs next on this machine.
  afterAll(() => {
    const ns = readManifests(DEFAULT_DEMO.pipelineFile).find((d) => d.kind === 'CreditPipeline')?.metadata
      .namespace;
    if (ns !== undefined) kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
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
    // Model validation on the generated loan outcomes (about 80% of the applications have one).
    const v = s.validation;
    expect(v).toBeDefined();
    expect(v?.load.rejected).toBe(0);
    expect(v?.load.rowsRead).toBeGreaterThan(2200);
    expect(v?.load.rowsRead).toBeLessThan(2600);
    expect(v?.load.inserted).toBe(v?.load.rowsRead);
    expect(v?.horizonMonths).toBe(12);
    expect(v?.models.map((m) => m.role).sort()).toEqual(['challenger', 'champion']);
    for (const m of v?.models ?? []) {
      expect(m.applications).toBe(v?.load.rowsRead);
      expect(m.gini).toBeGreaterThan(0.1);
      expect(m.badRate).toBeGreaterThan(0.05);
      expect(m.badRate).toBeLessThan(0.3);
    }
    expect(v?.championChallenger).toHaveLength(1);
    expect(v?.championChallenger[0]?.applications).toBe(v?.load.rowsRead);
    const champion = v?.models.find((m) => m.role === 'champion')?.modelKey;
    expect(v?.stability.filter((x) => x.modelKey === champion && x.psi !== null)).toHaveLength(7);
    expect(v?.grades.length).toBeGreaterThanOrEqual(2 * 5);
    for (const check of s.checks) expect.soft(check.ok, `${check.name}: ${check.detail}`).toBe(true);
  });

  it('runs every workload as a container on the node: under containerd-shim-runc-v2, restricted, restarted by the kubelet when killed', () => {
    const checks = summary?.checks ?? [];
    const about = (pattern: RegExp) => checks.filter((c) => pattern.test(c.name));
    // Each named check is there (the demo makes them on the node) and passed.
    for (const pattern of [
      /runs on the node/,
      /containerd-shim-runc-v2/,
      /kubectl exec into .*uid 10001/,
      /kubelet restarted/,
    ]) {
      const found = about(pattern);
      expect(found, String(pattern)).toHaveLength(1);
      for (const c of found) expect(c.ok, `${c.name}: ${c.detail}`).toBe(true);
    }
  });

  it('delivers every live alert to the webhook, processed exactly once per idempotency key, signed', () => {
    const f = summary?.fraudOps;
    if (f === undefined) throw new Error('the demo ran without the fraud-ops loop');
    const live = (summary?.alerts.byRule ?? [])
      .filter((r) => r.mode === 'live')
      .reduce((n, r) => n + r.count, 0);
    expect(f.delivery.liveAlerts).toBe(live);
    expect(f.receiver.accepted).toBe(live);
    expect(f.receiver.missing).toBe(0);
    expect(f.receiver.unexpected).toBe(0);
    // At-least-once: a retry after a response that came too late arrives again; the receiver
    // recognises it by the key and does not process it twice. Only retries may repeat.
    expect(f.receiver.duplicatesWithoutRetry).toBe(0);
    expect(f.receiver.duplicateKeys).toBeLessThanOrEqual(f.receiver.duplicates);
    expect(f.receiver.duplicateKeys).toBeLessThanOrEqual(f.delivery.retried);
    expect(f.receiver.signatureFailures).toBe(0);
    expect(f.receiver.malformed).toBe(0);
    // Every request the receiver saw is accounted for: processed, refused on purpose, or a duplicate.
    expect(f.receiver.requests).toBe(
      f.receiver.accepted + f.receiver.refusedOnPurpose + f.receiver.duplicates,
    );
    expect(Object.values(f.receiver.byRule).reduce((n, c) => n + c, 0)).toBe(live);
    // The outbox agrees: all delivered, the refused ones after a retry, nothing dead or pending.
    expect(f.delivery.enqueued).toBe(live);
    expect(f.delivery.delivered).toBe(live);
    expect(f.delivery.deadLettered).toBe(0);
    expect(f.delivery.pending).toBe(0);
    expect(f.receiver.refusedOnPurpose).toBeGreaterThan(0);
    expect(f.delivery.retried).toBeGreaterThanOrEqual(f.receiver.refusedOnPurpose);
    expect(f.delivery.attempts).toBeGreaterThanOrEqual(
      live + f.receiver.refusedOnPurpose + f.receiver.duplicates,
    );
  });

  it('opens one case per application with live alerts; analysts resolve a share through the API', () => {
    const f = summary?.fraudOps;
    if (f === undefined) throw new Error('the demo ran without the fraud-ops loop');
    const status = (s: string) => f.cases.byStatus.find((b) => b.label === s)?.count ?? -1;
    expect(f.cases.opened).toBe(f.cases.applicationsWithLiveAlerts);
    expect(f.team.cases).toBe(f.cases.opened);
    const resolved =
      f.team.resolved.confirmed_fraud + f.team.resolved.legitimate + f.team.resolved.inconclusive;
    expect(resolved / f.team.cases).toBeGreaterThanOrEqual(0.6);
    expect(resolved / f.team.cases).toBeLessThanOrEqual(0.8);
    expect(status('confirmed_fraud')).toBe(f.team.resolved.confirmed_fraud);
    expect(status('legitimate')).toBe(f.team.resolved.legitimate);
    expect(status('inconclusive')).toBe(f.team.resolved.inconclusive);
    expect(status('investigating')).toBe(f.team.investigating);
    expect(status('open')).toBe(f.team.leftOpen + f.team.unlabelled);
    expect(f.team.resolved.inconclusive).toBeGreaterThan(0);
    expect(f.team.notes).toBeGreaterThanOrEqual(f.team.resolved.inconclusive);
    expect(f.team.refusals).toEqual({ noToken: 401, analystReassigns: 403 });
  });

  it('measures per-rule precision from verdicts, consistent with the labels of the resolved alerts', () => {
    const f = summary?.fraudOps;
    if (f === undefined) throw new Error('the demo ran without the fraud-ops loop');
    const judged = f.precision.filter((p) => p.resolved > 0);
    expect(judged.length).toBeGreaterThan(3);
    for (const p of f.precision) {
      expect(p.consistent, p.ruleId).toBe(true);
      expect(p.resolved, p.ruleId).toBe(p.confirmedFraud + p.legitimate + p.inconclusive);
      expect(p.precision, p.ruleId).toBe(p.resolved === 0 ? null : p.confirmedFraud / p.resolved);
      expect(p.precision, p.ruleId).toBe(p.expectedFromLabels);
    }
    // Shadow rules open no cases, so they have no verdicts; their label precision is still shown.
    for (const p of f.precision.filter((x) => x.mode === 'shadow')) expect(p.alerts).toBe(0);
    // Verdicts summed over rules match the alerts of the resolved cases.
    const totalResolved = judged.reduce((n, p) => n + p.resolved, 0);
    expect(totalResolved).toBeGreaterThanOrEqual(
      f.team.resolved.confirmed_fraud + f.team.resolved.legitimate + f.team.resolved.inconclusive,
    );
  });

  it('took screenshots of the analysts’ page', () => {
    const shots = summary?.fraudOps?.screenshots;
    if (shots === undefined || shots === null) throw new Error('no screenshots');
    for (const file of [shots.queue, shots.rules]) {
      const png = readFileSync(file);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(png.length).toBeGreaterThan(20_000);
    }
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
