/**
 * Per-key exponential back-off for failed reconciles (client-go's ItemExponentialFailureRateLimiter):
 * the n-th consecutive failure of a key waits `base * 2^(n-1)`, capped at `max`. `forget` resets a key
 * after a success.
 */
export interface RateLimiterOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

export class ExponentialRateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(private readonly opts: RateLimiterOptions = { baseDelayMs: 100, maxDelayMs: 300_000 }) {
    if (opts.baseDelayMs <= 0 || opts.maxDelayMs < opts.baseDelayMs)
      throw new RangeError('rate limiter needs 0 < baseDelayMs <= maxDelayMs');
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  when(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    // 2^(n-1) overflows to Infinity for large n; Math.min caps it.
    const delay = this.opts.baseDelayMs * 2 ** (n - 1);
    return Math.min(delay, this.opts.maxDelayMs);
  }

  /** How many times `key` failed in a row. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Clears the failure history of `key` (after a successful reconcile, or when the object is gone). */
  forget(key: string): void {
    this.failures.delete(key);
  }
}
