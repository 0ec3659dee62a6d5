/** The join state of one partition (pure): completeness, alerts once each, safe commit offsets. */
import { describe, expect, it } from 'vitest';
import type { VerdictAlert, VerdictPart } from '../../../api/verdict.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { pseudonymize } from '../../../workloads/contract/pseudonymize.ts';
import { PartitionAssembly } from '../../../workloads/decision-service/assembly.ts';
import { coPartition, coPartitionAssigner } from '../../../workloads/decision-service/assigner.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';

const events: ApplicationEvent[] = generateApplications({ seed: 5, count: 3 }).map((a) =>
  pseudonymize(a.submission, 'unit-test-key-0123456789', new Date()),
);
const alert = (id: string, rule: string): VerdictAlert => ({
  alertId: `${id}:${rule}:1`,
  ruleId: rule,
  ruleVersion: 1,
  severity: 'high',
  mode: 'live',
  reasonCode: 'R',
});
const source = (e: ApplicationEvent, windowKeys: string[], alerts: VerdictAlert[] = []): VerdictPart => ({
  kind: 'source',
  applicationId: e.applicationId,
  customerId: e.applicant.customerId,
  checkedAt: '2026-12-03T00:00:00Z',
  alerts,
  ruleSetVersion: 'v1',
  windowKeys,
  beyondHorizon: false,
});
const windowPart = (e: ApplicationEvent, keyPath: string, alerts: VerdictAlert[] = []): VerdictPart => ({
  kind: 'window',
  applicationId: e.applicationId,
  customerId: e.applicant.customerId,
  checkedAt: '2026-12-03T00:00:00Z',
  alerts,
  keyPath,
});

describe('PartitionAssembly', () => {
  it('completes an application only with the application, the source part and every window part, in any order', () => {
    const [a] = events as [ApplicationEvent];
    const s = new PartitionAssembly();
    expect(s.addPart(windowPart(a, 'deviceId'), 10n)).toBe(true);
    expect(s.takeComplete()).toEqual([]);
    s.addPart(source(a, ['deviceId', 'ipAddress'], [alert(a.applicationId, 'geo')]), 11n);
    expect(s.takeComplete()).toEqual([]);
    s.addApplication(a, 1000, 5n);
    expect(s.takeComplete()).toEqual([]);
    s.addPart(windowPart(a, 'ipAddress', [alert(a.applicationId, 'ip'), alert(a.applicationId, 'geo')]), 12n);
    const [done] = s.takeComplete();
    expect(done?.applicationId).toBe(a.applicationId.toLowerCase());
    expect(done?.receivedAtMs).toBe(1000);
    expect(done?.alerts.map((x) => x.ruleId)).toEqual(['geo', 'ip']);
  });

  it('commits each topic at the oldest piece of an open application, and past everything once decided', () => {
    const [a, b] = events as [ApplicationEvent, ApplicationEvent];
    const s = new PartitionAssembly();
    s.addApplication(a, 1, 3n);
    s.addPart(source(a, []), 7n);
    s.addApplication(b, 2, 4n);
    s.addPart(source(b, ['deviceId']), 8n);
    s.advance('applications', 5n); // poison at 5: read, nothing to keep
    expect(s.commitOffsets()).toEqual({ applications: 3n, verdicts: 7n });
    s.markDecided([a.applicationId.toLowerCase()]);
    expect(s.commitOffsets()).toEqual({ applications: 4n, verdicts: 8n });
    s.addPart(windowPart(b, 'deviceId'), 9n);
    s.markDecided(s.takeComplete().map((c) => c.applicationId));
    expect(s.commitOffsets()).toEqual({ applications: 6n, verdicts: 10n });
    expect(s.pending).toBe(0);
  });

  it('commits at the oldest open piece also when pieces come out of offset order', () => {
    const [a, b, c] = events as [ApplicationEvent, ApplicationEvent, ApplicationEvent];
    const s = new PartitionAssembly();
    s.addApplication(a, 1, 8n);
    s.addApplication(b, 1, 3n);
    s.addApplication(c, 1, 9n);
    expect(s.commitOffsets().applications).toBe(3n);
    s.markDecided([b.applicationId.toLowerCase()]);
    expect(s.commitOffsets().applications).toBe(8n);
    s.markDecided([a.applicationId.toLowerCase(), c.applicationId.toLowerCase()]);
    expect(s.commitOffsets().applications).toBe(10n);
  });

  it('ignores late pieces of a decided application (no reopening, no second decision)', () => {
    const [a] = events as [ApplicationEvent];
    const s = new PartitionAssembly();
    s.addApplication(a, 1, 0n);
    s.addPart(source(a, []), 0n);
    s.markDecided(s.takeComplete().map((c) => c.applicationId));
    expect(s.addPart(source(a, []), 1n)).toBe(false);
    expect(s.addApplication(a, 1, 1n)).toBe(false);
    expect(s.takeComplete()).toEqual([]);
    expect(s.commitOffsets()).toEqual({ applications: 2n, verdicts: 2n });
  });

  it('defers the decision-store lookup of an open application: due once, at its time, only if still open', () => {
    const [a, b, c] = events as [ApplicationEvent, ApplicationEvent, ApplicationEvent];
    const s = new PartitionAssembly();
    for (const [i, e] of [a, b, c].entries()) {
      s.addApplication(e, 1, BigInt(i));
      s.checkLater(e.applicationId, 1000 + i);
    }
    // a completes before its time: never looked up.
    s.addPart(source(a, []), 0n);
    s.markDecided(s.takeComplete().map((x) => x.applicationId));
    expect(s.dueChecks(999)).toEqual([]);
    expect(s.dueChecks(1001)).toEqual([b.applicationId.toLowerCase()]);
    expect(s.dueChecks(5000)).toEqual([c.applicationId.toLowerCase()]);
    expect(s.dueChecks(9000)).toEqual([]);
    // Unknown or decided ids are ignored.
    s.checkLater(a.applicationId, 0);
    expect(s.dueChecks(9000)).toEqual([]);
  });
});

describe('PartitionAssembly in flight', () => {
  it('hands a complete application out once; taken, it holds the commit offsets until marked decided', () => {
    const [a, b] = events as [ApplicationEvent, ApplicationEvent];
    const s = new PartitionAssembly();
    s.addApplication(a, 1, 0n);
    s.addApplication(b, 1, 1n);
    s.addPart(source(b, []), 0n);
    s.addPart(source(a, []), 1n);
    expect(s.undecided).toBe(2);
    // In the order they completed, at most `max` at a time.
    expect(s.takeComplete(1).map((c) => c.applicationId)).toEqual([b.applicationId.toLowerCase()]);
    expect(s.takeComplete().map((c) => c.applicationId)).toEqual([a.applicationId.toLowerCase()]);
    expect(s.takeComplete()).toEqual([]);
    // A late duplicate part of one in flight does not make it ready again.
    s.addPart(source(a, []), 2n);
    expect(s.takeComplete()).toEqual([]);
    expect(s.undecided).toBe(2);
    expect(s.commitOffsets()).toEqual({ applications: 0n, verdicts: 0n });
    s.markDecided([b.applicationId.toLowerCase()]);
    expect(s.commitOffsets()).toEqual({ applications: 0n, verdicts: 1n });
    s.markDecided([a.applicationId.toLowerCase()]);
    expect(s.commitOffsets()).toEqual({ applications: 2n, verdicts: 3n });
    expect(s.undecided).toBe(0);
  });

  it('claims for re-publication only applications still open and not in flight', () => {
    const [a, b, c] = events as [ApplicationEvent, ApplicationEvent, ApplicationEvent];
    const s = new PartitionAssembly();
    s.addApplication(a, 1, 0n);
    s.addApplication(b, 1, 1n);
    s.addPart(source(b, []), 0n);
    const [taken] = s.takeComplete();
    expect(taken?.applicationId).toBe(b.applicationId.toLowerCase());
    s.checkLater(a.applicationId, 0);
    const ids = [a, b, c].map((e) => e.applicationId.toLowerCase());
    expect(s.claim(ids)).toEqual([ids[0]]);
    // Claimed, a is no longer handed out when its verdict completes it.
    s.addPart(source(a, []), 1n);
    expect(s.takeComplete()).toEqual([]);
    expect(s.dueChecks(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});

describe('coPartition', () => {
  it('gives partition p of every topic to one member, the same plan whatever the member order', () => {
    const plan = coPartition(['m-b', 'm-a', 'm-c'], [5, 0, 1, 2, 3, 4]);
    expect(plan).toEqual(
      new Map([
        ['m-a', [0, 3]],
        ['m-b', [1, 4]],
        ['m-c', [2, 5]],
      ]),
    );
    expect(coPartition(['m-c', 'm-a', 'm-b'], [0, 1, 2, 3, 4, 5])).toEqual(plan);
    expect(coPartition(['only'], [0, 1, 2]).get('only')).toEqual([0, 1, 2]);
  });

  it('as the group assigner: the same partition numbers of both topics to each member', () => {
    const members = [
      { memberId: 'm-b', topics: ['apps', 'verdicts'] },
      { memberId: 'm-a', topics: ['apps', 'verdicts'] },
    ];
    const plan = coPartitionAssigner.assign(
      members,
      new Map([
        ['apps', 3],
        ['verdicts', 3],
      ]),
    );
    expect(plan).toEqual(
      new Map([
        [
          'm-a',
          [
            { topic: 'apps', partitions: [0, 2] },
            { topic: 'verdicts', partitions: [0, 2] },
          ],
        ],
        [
          'm-b',
          [
            { topic: 'apps', partitions: [1] },
            { topic: 'verdicts', partitions: [1] },
          ],
        ],
      ]),
    );
  });
});
