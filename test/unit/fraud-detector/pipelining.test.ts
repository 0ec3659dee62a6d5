import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import {
  CommitPipeline,
  type PartitionCommit,
} from '../../../workloads/fraud-detector/io/commit-pipeline.ts';
import { groupCommit } from '../../../workloads/fraud-detector/io/group-commit.ts';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));
const log = createLogger('test').child({}, { level: 'silent' });

describe('group commit', () => {
  it('sends at once when idle, and whatever arrives meanwhile together in the next write', async () => {
    const writes: number[][] = [];
    const gates: Array<ReturnType<typeof deferred>> = [];
    const g = groupCommit<number>(
      (items) => {
        writes.push(items);
        const d = deferred();
        gates.push(d);
        return d.promise;
      },
      { maxWeight: 100 },
    );
    const a = g.add([1, 2]);
    await tick();
    expect(writes).toEqual([[1, 2]]);
    const b = g.add([3]);
    const c = g.add([4, 5]);
    await tick();
    expect(writes).toHaveLength(1); // one write in flight at a time
    gates[0]?.resolve();
    await a;
    await tick();
    expect(writes[1]).toEqual([3, 4, 5]);
    expect(g.pending()).toBe(0);
    gates[1]?.reject(new Error('broker down'));
    await expect(b).rejects.toThrow('broker down');
    await expect(c).rejects.toThrow('broker down');
    // The next write goes on.
    const d = g.add([6]);
    await tick();
    gates[2]?.resolve();
    await d;
    expect(writes[2]).toEqual([6]);
  });

  it('never splits one add, and caps a write by weight', async () => {
    const writes: number[][] = [];
    const g = groupCommit<number>(
      async (items) => {
        writes.push(items);
      },
      { maxWeight: 3 },
    );
    await Promise.all([g.add([1, 2]), g.add([3, 4]), g.add([5]), g.add([6, 7, 8, 9])]);
    expect(writes).toEqual([
      [1, 2],
      [3, 4, 5],
      [6, 7, 8, 9],
    ]);
  });
});

describe('commit pipeline', () => {
  function fakeConsumer() {
    const commits: Array<Array<{ partition: number; offset: bigint; metadata?: string }>> = [];
    const commit = async (list: PartitionCommit[]) => {
      commits.push(list.map(({ partition, offset, metadata }) => ({ partition, offset, metadata })));
    };
    return { commit, commits };
  }

  it('commits a partition only up to the last batch whose writes, and all before, landed', async () => {
    const { commit, commits } = fakeConsumer();
    const failures: number[] = [];
    const p = new CommitPipeline({
      commit,
      log,
      onFailure: (partition) => failures.push(partition),
    });
    const w = [deferred(), deferred(), deferred(), deferred()];
    p.started(0, 0n);
    await p.add(0, 10n, 'm10', 100n, w[0]?.promise as Promise<void>);
    await p.add(0, 20n, 'm20', 100n, w[1]?.promise as Promise<void>);
    await p.add(1, 5n, undefined, 100n, w[2]?.promise as Promise<void>);
    w[1]?.resolve(); // the second batch landed before the first
    await tick();
    expect(commits).toEqual([]);
    w[0]?.resolve();
    w[2]?.resolve();
    await tick();
    await tick();
    expect(commits.flat()).toContainEqual({ partition: 0, offset: 20n, metadata: 'm20' });
    expect(commits.flat()).toContainEqual({ partition: 1, offset: 5n, metadata: undefined });
    expect(commits.flat().some((c) => c.offset === 10n)).toBe(false); // coalesced
    expect(failures).toEqual([]);
  });

  it('spaces commits by minIntervalMs, coalescing what lands meanwhile, and still commits the last', async () => {
    vi.useFakeTimers();
    try {
      const { commit, commits } = fakeConsumer();
      const p = new CommitPipeline({ commit, log, minIntervalMs: 100, onFailure: () => {} });
      p.started(0, 0n);
      await p.add(0, 10n, undefined, 100n, Promise.resolve());
      await vi.advanceTimersByTimeAsync(0);
      expect(commits).toEqual([[{ partition: 0, offset: 10n, metadata: undefined }]]);
      // Three more batches land within the interval: nothing is committed until it is over, then once.
      for (const offset of [20n, 30n, 40n]) {
        await p.add(0, offset, undefined, 100n, Promise.resolve());
        await vi.advanceTimersByTimeAsync(10);
      }
      expect(commits).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(100);
      expect(commits).toEqual([
        [{ partition: 0, offset: 10n, metadata: undefined }],
        [{ partition: 0, offset: 40n, metadata: undefined }],
      ]);
      // Nothing new: no commit.
      await vi.advanceTimersByTimeAsync(500);
      expect(commits).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('after a failed write commits nothing more of that partition and asks to read it again', async () => {
    const { commit, commits } = fakeConsumer();
    const failures: Array<[number, bigint]> = [];
    const p = new CommitPipeline({
      commit,
      log,
      onFailure: (partition, from) => failures.push([partition, from]),
    });
    const w = [deferred(), deferred(), deferred()];
    p.started(2, 40n);
    await p.add(2, 50n, undefined, 100n, w[0]?.promise as Promise<void>);
    await p.add(2, 60n, undefined, 100n, w[1]?.promise as Promise<void>);
    await p.add(2, 70n, undefined, 100n, w[2]?.promise as Promise<void>);
    w[0]?.resolve();
    await tick();
    await tick();
    expect(commits.flat()).toEqual([{ partition: 2, offset: 50n, metadata: undefined }]);
    w[1]?.reject(new Error('produce failed'));
    w[2]?.resolve();
    await tick();
    await tick();
    expect(failures).toEqual([[2, 50n]]);
    expect(commits.flat()).toEqual([{ partition: 2, offset: 50n, metadata: undefined }]);
    await p.drain(100);
  });

  it('on a rebalance keeps what is pending of kept partitions, forgets the others, and makes callers wait beyond maxPending', async () => {
    const { commit, commits } = fakeConsumer();
    const p = new CommitPipeline({ commit, log, maxPending: 3, onFailure: () => undefined });
    const w = [deferred(), deferred(), deferred()];
    await p.add(0, 1n, undefined, 9n, w[0]?.promise as Promise<void>);
    await p.add(1, 7n, undefined, 9n, w[1]?.promise as Promise<void>);
    let released = false;
    const third = p.add(0, 2n, undefined, 9n, w[2]?.promise as Promise<void>).then(() => {
      released = true;
    });
    await tick();
    expect(released).toBe(false);
    p.processedUpTo(2, 30n);
    // Partition 1 moved to another member; 0 and 2 stay: reading resumes after what was processed.
    expect([...p.rebalanced(new Set([0, 2]))].sort()).toEqual([
      [0, 2n],
      [2, 30n],
    ]);
    await third; // partition 1's pending batch no longer counts
    w[0]?.resolve();
    w[1]?.resolve();
    w[2]?.resolve();
    await tick();
    await tick();
    expect(commits.flat().at(-1)).toEqual({ partition: 0, offset: 2n, metadata: undefined });
    expect(commits.flat().some((c) => c.partition === 1)).toBe(false);
  });
  it('weighs batches by their messages: many small batches pass, a caller waits once the weight reaches maxPending', async () => {
    const { commit } = fakeConsumer();
    const p = new CommitPipeline({ commit, log, maxPending: 100, onFailure: () => undefined });
    const slow = deferred(); // one slow write (an alert insert) in flight
    await p.add(0, 1n, undefined, 999n, slow.promise, 5);
    // Twenty more small batches while it is in flight: still under the weight, nobody waits.
    const gates = Array.from({ length: 20 }, () => deferred());
    for (const [i, g] of gates.entries()) await p.add(0, BigInt(i + 2), undefined, 999n, g.promise, 4);
    let released = false;
    const heavy = p.add(1, 60n, undefined, 999n, deferred().promise, 20).then(() => {
      released = true;
    });
    await tick();
    expect(released).toBe(false); // 5 + 80 + 20 ≥ 100
    for (const g of gates) g.resolve();
    await heavy; // 80 landed: 25 waiting
    slow.resolve();
    await tick();
    await p.drain(0);
  });
});
