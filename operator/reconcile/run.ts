/**
 * One reconcile of one CreditPipeline: what it wrote and what went wrong. Every step reports its
 * failures here (`fail`), the one error channel; the reconciler translates them once, at the top,
 * into the Degraded condition (status step) and the work queue's retry (`result`).
 */
import type { Logger } from 'pino';

export interface Problem {
  /** One CamelCase word: the Degraded condition's reason when it is the first problem. */
  reason: string;
  message: string;
}

export interface ReconcileResult {
  /** Something failed: retry with back-off (the error says what). */
  error?: Error;
  /** What was written, for logs and tests. */
  writes: number;
}

export class ReconcileRun {
  writes = 0;
  private readonly reported: Problem[] = [];

  constructor(
    /** `namespace/name` of the pipeline. */
    readonly key: string,
    readonly log: Logger,
  ) {}

  wrote(count = 1): void {
    this.writes += count;
  }

  fail(reason: string, message: string): void {
    this.reported.push({ reason, message });
  }

  get problems(): readonly Problem[] {
    return this.reported;
  }

  get failed(): boolean {
    return this.reported.length > 0;
  }

  /** The outcome for the work queue: an error (retry with back-off) when anything failed. */
  result(): ReconcileResult {
    if (!this.failed) return { writes: this.writes };
    return { writes: this.writes, error: new Error(this.reported.map((p) => p.message).join('; ')) };
  }
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Read access to the informer caches (CreditPipelines, Secrets). */
export interface CacheReader {
  get<T>(apiVersion: string, kind: string, namespace: string | undefined, name: string): T | undefined;
}
