/**
 * The decision service's pipeline (scheduling only; the warehouse, the producer and the consumer are
 * replaced by recording functions the test settles by hand): commits never pass an application whose
 * decision is not written and published; inserts are group-committed across partitions with a bounded
 * number in flight; failed writes are retried; lookups re-publish what stands; a rebalance commits
 * nothing for the partitions it dropped.
 */
import { describe, expect, it } from 'vitest';
import type { VerdictPart } from '../../../api/verdict.ts';
import { createLogger } from '../../../lib/log.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { pseudonymize } from '../../../workloads/contract/pseudonymize.ts';
import { PartitionAssembly, type SourceTopic } from '../../../workloads/decision-service/assembly.ts';
import {
  DecisionPipeline,
  type PartitionState,
  type PipelineIo,
} from '../../../workloads/decision-service/pipeline.ts';
import type { DecisionRecordInput, StandingRecord } from '../../../workloads/decision-service/records.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';

const events: ApplicationEvent[] = generateApplications({ seed: 9, count: 8 }).map((a) =>
  pseudonymize(a.submission, 'unit-test-key-0123456789', new Date()),
);
const idOf = (e: ApplicationEvent) => e.applicationId.toLowerCase();
const source = (e: ApplicationEvent): VerdictPart => ({
  kind: 'source',
  applicationId: e.applicationId,
  customerId: e.applicant.customerId,
  checkedAt: '2026-12-03T00:00:00Z',
  alerts: [],
  ruleSetVersion: 'v1',
  windowKeys: [],
  beyondHorizon: false,
});

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const standingOf = (r: DecisionRecordInput): StandingRecord => ({
  ...r,
  recordId: `rec-${r.applicationId}`,
  revision: 1,
  supersedes: null,
  supersedeReason: null,
});

/** Recording I/O: every call waits until the test settles it. */
function harness(options: { maxWrites?: number } = {}) {
  const issues: Array<{ records: readonly DecisionRecordInput[]; d: Deferred<void> }> = [];
  const publishes: Array<{ ids: string[]; d: Deferred<void> }> = [];
  const lookups: Array<{ ids: readonly string[]; d: Deferred<StandingRecord[]> }> = [];
  const commits: Array<Array<{ partition: number; topic: SourceTopic; offset: bigint }>> = [];
  const io: PipelineIo = {
    decide: (c, issuedAt) => ({
      applicationId: c.applicationId,
      decision: 'approve',
      scoreDecision: 'approve',
      policyRules: [],
      reasonCodes: [],
      fraudSeverity: null,
      approvedAmount: 1,
      modelKey: 'm@1',
      modelChecksum: 'x',
      source: 'stream',
      runId: 'test',
      issuedAt,
    }),
    mayIssue: () => Promise.resolve(),
    issue: async (records) => {
      const d = deferred<void>();
      issues.push({ records, d });
      await d.promise;
      return { standing: records.map(standingOf), issued: new Set(records.map((r) => r.applicationId)) };
    },
    standing: (ids) => {
      const d = deferred<StandingRecord[]>();
      lookups.push({ ids, d });
      return d.promise;
    },
    publish: (standing) => {
      const d = deferred<void>();
      publishes.push({ ids: standing.map((r) => r.applicationId), d });
      return d.promise;
    },
    commit: async (offsets) => {
      commits.push([...offsets]);
    },
    observeLatency: () => undefined,
    log: createLogger('pipeline-test', { write: () => undefined }),
  };
  const pipeline = new DecisionPipeline(io, { retryMs: 1, ...options });
  const partition = (p: number): PartitionState =>
    pipeline.state(p, () => ({
      partition: p,
      assembly: new PartitionAssembly(),
      replayBelow: {},
      committed: {},
    }));
  /** Lets scheduled pumps and settled promises run. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const lastCommit = (p: number, topic: SourceTopic) => {
    for (const c of [...commits].reverse()) {
      const hit = c.find((o) => o.partition === p && o.topic === topic);
      if (hit !== undefined) return hit.offset;
    }
    return 0n; // nothing committed: the partition's start
  };
  return { pipeline, partition, settle, issues, publishes, lookups, commits, lastCommit };
}

/** Application `e` and its (complete) verdict in partition `st`, at these offsets. */
function arrive(h: ReturnType<typeof harness>, st: PartitionState, e: ApplicationEvent, at: bigint): void {
  st.assembly.addApplication(e, 1, at);
  st.assembly.addPart(source(e), at);
  h.pipeline.pump(st);
}

describe('DecisionPipeline', () => {
  it('commits past an application only once its decision is written and published', async () => {
    const h = harness();
    const p0 = h.partition(0);
    const [a] = events as [ApplicationEvent];
    arrive(h, p0, a, 0n);
    await h.settle();
    expect(h.issues).toHaveLength(1);
    expect(h.lastCommit(0, 'applications')).toBe(0n);
    h.issues[0]?.d.resolve();
    await h.settle();
    expect(h.publishes.map((p) => p.ids)).toEqual([[idOf(a)]]);
    h.pipeline.pump(p0);
    await h.settle();
    expect(h.lastCommit(0, 'applications')).toBe(0n);
    h.publishes[0]?.d.resolve();
    await h.settle();
    expect(h.lastCommit(0, 'applications')).toBe(1n);
    expect(h.lastCommit(0, 'verdicts')).toBe(1n);
    expect(h.pipeline.idle()).toBe(true);
  });

  it('puts what completes meanwhile, in every partition, into the next insert; at most maxWrites in flight', async () => {
    const h = harness({ maxWrites: 1 });
    const [p0, p1] = [h.partition(0), h.partition(1)];
    const [a, b, c, d] = events as [ApplicationEvent, ApplicationEvent, ApplicationEvent, ApplicationEvent];
    arrive(h, p0, a, 0n);
    await h.settle();
    arrive(h, p0, b, 1n);
    arrive(h, p1, c, 0n);
    arrive(h, p1, d, 1n);
    await h.settle();
    expect(h.issues.map((i) => i.records.map((r) => r.applicationId))).toEqual([[idOf(a)]]);
    h.issues[0]?.d.resolve();
    await h.settle();
    expect(h.issues.map((i) => i.records.map((r) => r.applicationId).sort())).toEqual([
      [idOf(a)],
      [idOf(b), idOf(c), idOf(d)].sort(),
    ]);
    // Partition 1 is committed past c and d only after the second write is published.
    h.publishes[0]?.d.resolve();
    await h.settle();
    expect(h.lastCommit(0, 'applications')).toBe(1n);
    expect(h.lastCommit(1, 'applications')).toBe(0n);
    h.issues[1]?.d.resolve();
    await h.settle();
    h.publishes[1]?.d.resolve();
    await h.settle();
    expect(h.lastCommit(0, 'applications')).toBe(2n);
    expect(h.lastCommit(1, 'applications')).toBe(2n);
  });

  it('retries a failed insert (idempotent) and decides once it succeeds', async () => {
    const h = harness();
    const p0 = h.partition(0);
    const [a] = events as [ApplicationEvent];
    arrive(h, p0, a, 0n);
    await h.settle();
    h.issues[0]?.d.reject(new Error('connection reset'));
    for (let i = 0; i < 20 && h.issues.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(h.pipeline.problem).toMatch(/connection reset/);
    expect(h.issues[1]?.records.map((r) => r.applicationId)).toEqual([idOf(a)]);
    expect(h.lastCommit(0, 'applications')).toBe(0n);
    h.issues[1]?.d.resolve();
    await h.settle();
    h.publishes[0]?.d.resolve();
    await h.settle();
    expect(h.lastCommit(0, 'applications')).toBe(1n);
    expect(h.pipeline.problem).toBeNull();
  });

  it('re-publishes and closes an application found decided before; one not found stays open', async () => {
    const h = harness();
    const p0 = h.partition(0);
    const [a, b] = events as [ApplicationEvent, ApplicationEvent];
    // Application messages of a replay: their verdict parts were read and committed by an earlier owner.
    p0.assembly.addApplication(a, 1, 0n);
    p0.assembly.addApplication(b, 1, 1n);
    h.pipeline.lookUp(p0, [idOf(a), idOf(b)]);
    h.pipeline.pump(p0);
    await h.settle();
    expect(h.lookups.map((l) => [...l.ids])).toEqual([[idOf(a), idOf(b)]]);
    h.lookups[0]?.d.resolve([standingOf(decisionOf(a))]);
    await h.settle();
    expect(h.publishes.map((p) => p.ids)).toEqual([[idOf(a)]]);
    h.publishes[0]?.d.resolve();
    await h.settle();
    expect(h.lastCommit(0, 'applications')).toBe(1n); // b (offset 1) is still open
    expect(h.issues).toHaveLength(0);
  });

  it('after a rebalance, work in flight finishes but commits nothing for the dropped partitions', async () => {
    const h = harness();
    const p0 = h.partition(0);
    const [a] = events as [ApplicationEvent];
    arrive(h, p0, a, 0n);
    await h.settle();
    const before = h.commits.length;
    h.pipeline.reset();
    h.issues[0]?.d.resolve();
    await h.settle();
    h.publishes[0]?.d.resolve();
    await h.settle();
    h.pipeline.pump();
    await h.settle();
    expect(h.commits.slice(before)).toEqual([]);
    // The new generation's state of the partition starts empty.
    expect(h.partition(0).assembly.pending).toBe(0);
  });
});

function decisionOf(e: ApplicationEvent): DecisionRecordInput {
  return {
    applicationId: idOf(e),
    decision: 'decline',
    scoreDecision: 'decline',
    policyRules: [],
    reasonCodes: ['R1'],
    fraudSeverity: null,
    approvedAmount: 0,
    modelKey: 'm@1',
    modelChecksum: 'x',
    source: 'batch',
    runId: 'earlier',
    issuedAt: new Date(0),
  };
}
