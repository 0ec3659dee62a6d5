import { describe, expect, it } from 'vitest';
import { ExponentialRateLimiter } from '../../../operator/queue/rate-limiter.ts';
import { WorkQueue } from '../../../operator/queue/work-queue.ts';

describe('WorkQueue', () => {
  it('hands out keys in order and deduplicates a key queued twice', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.length).toBe(0);
  });

  it('never gives the same key to two workers at once, and re-runs it once if added while processing', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    const first = await q.get();
    expect(first).toBe('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    expect(q.length).toBe(0); // held back while a worker has it
    let second: string | undefined;
    void q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done('ns/a');
    await Promise.resolve();
    expect(second).toBe('ns/a');
    q.done('ns/a');
    expect(q.length).toBe(0);
  });

  it('wakes a waiting worker when a key arrives and ends waiters on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('ns/x');
    expect(await waiting).toBe('ns/x');
    const idle = q.get();
    q.shutDown();
    expect(await idle).toBeUndefined();
    q.add('ns/y');
    expect(q.length).toBe(0);
  });

  it('re-queues a failed key after its back-off, and forget resets the back-off', async () => {
    const q = new WorkQueue({
      rateLimiter: new ExponentialRateLimiter({ baseDelayMs: 5, maxDelayMs: 1000 }),
    });
    // t0 before the timer starts: taken after it, a pause in between (load, GC) shortened the wait seen.
    const t0 = Date.now();
    expect(q.addRateLimited('ns/a')).toBe(5);
    expect(q.length).toBe(0);
    expect(await q.get()).toBe('ns/a');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4);
    q.done('ns/a');
    expect(q.addRateLimited('ns/a')).toBe(10);
    q.forget('ns/a');
    expect(q.rateLimiter.retries('ns/a')).toBe(0);
    q.shutDown();
  });

  it('reports its depth', () => {
    const depths: number[] = [];
    const q = new WorkQueue({ onDepth: (d) => depths.push(d) });
    q.add('a');
    q.add('b');
    void q.get();
    expect(depths).toEqual([1, 2, 1]);
  });
});

describe('ExponentialRateLimiter', () => {
  it('doubles per consecutive failure of a key, from the base up to the cap', () => {
    const r = new ExponentialRateLimiter({ baseDelayMs: 100, maxDelayMs: 300_000 });
    const delays = Array.from({ length: 14 }, () => r.when('k'));
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(delays.at(-1)).toBe(300_000);
    expect(Math.max(...delays)).toBe(300_000);
    for (let i = 0; i < 2000; i++) r.when('k');
    expect(r.when('k')).toBe(300_000);
  });

  it('keeps keys independent and forgets on success', () => {
    const r = new ExponentialRateLimiter({ baseDelayMs: 10, maxDelayMs: 1000 });
    r.when('a');
    r.when('a');
    expect(r.when('b')).toBe(10);
    expect(r.retries('a')).toBe(2);
    r.forget('a');
    expect(r.when('a')).toBe(10);
  });

  it('rejects a base above the cap', () => {
    expect(() => new ExponentialRateLimiter({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(RangeError);
  });
});
