/**
 * A work queue of keys (`namespace/name`) with client-go's guarantees:
 * - a key is queued at most once (adding it again while queued is a no-op);
 * - a key is processed by at most one worker at a time;
 * - a key added while it is being processed is queued again once, when the worker calls `done`;
 * - failed keys come back after a per-key exponential delay (`addRateLimited`), `forget` resets it.
 */
import { ExponentialRateLimiter } from './rate-limiter.ts';

type Waiter = (key: string | undefined) => void;

export interface WorkQueueOptions {
  rateLimiter?: ExponentialRateLimiter;
  /** Called whenever the number of queued keys changes (for the queue-depth gauge). */
  onDepth?: (depth: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys that need processing: queued, or added again while processing. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiters: Waiter[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private shuttingDown = false;
  readonly rateLimiter: ExponentialRateLimiter;

  constructor(private readonly opts: WorkQueueOptions = {}) {
    this.rateLimiter = opts.rateLimiter ?? new ExponentialRateLimiter();
  }

  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.opts.onDepth?.(this.queue.length);
  }

  /** Adds `key` after `delayMs`; an earlier pending delayed add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const pending = this.timers.get(key);
    if (pending !== undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Re-queues a failed key after its back-off; returns the delay chosen. */
  addRateLimited(key: string): number {
    const delay = this.rateLimiter.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Waits for the next key; resolves `undefined` once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.opts.onDepth?.(this.queue.length);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
