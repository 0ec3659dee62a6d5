/**
 * Commit-after-write without waiting for the write: a stage hands each batch's writes (a promise) and
 * the offset to commit once they landed, and goes on with the next batch. Offsets are committed per
 * partition in order, only up to the last batch whose writes — and those of every batch before it —
 * have landed; commits are coalesced (one commit request in flight per stage, carrying the newest
 * landed offset of every partition) and spaced (`minIntervalMs` from the end of one to the start of the
 * next): commits are off the output path (a stage's output is read downstream as soon as it is
 * written), so their rate only bounds how much a crash replays, and a commit per batch cost the stage
 * and the broker a request per batch for nothing.
 *
 * - A batch's writes that fail: nothing of that partition after the last commit is committed; the
 *   stage is told (`onFailure`) and seeks back to the last committed offset, so the batches are
 *   processed and written again (the writes are idempotent on their natural keys).
 * - A rebalance (`rebalanced`): what is pending for the partitions this member keeps stays pending and is
 *   committed under the new generation, and reading them resumes where processing was (not at the last
 *   commit, so nothing is processed twice); for the partitions it lost, pending offsets are forgotten
 *   (their writes may still land) and their new owners start from the last commit.
 * - Backpressure: `add` resolves at once unless the batches waiting for their writes weigh `maxPending`
 *   (a stage weighs a batch by its input messages: a bound on work at risk and on memory, not on the
 *   number of round trips, so a stage reading small batches at a moderate rate does not stop reading
 *   while one slow write, e.g. an alert insert, is in flight).
 */
import type { Logger } from '../../../lib/log.ts';

interface Pending {
  partition: number;
  /** The offset to commit (the next one to read). */
  offset: bigint;
  metadata: string | undefined;
  highWatermark: bigint;
  landed: boolean;
  epoch: number;
  weight: number;
}

/** One partition's offset to commit (the next record to read), with its metadata. */
export interface PartitionCommit {
  partition: number;
  offset: bigint;
  metadata?: string;
}

export interface CommitPipelineOptions {
  /** Commits offsets of the stage's topic (io/batch-consumer's `commit`); rejects when it did not. */
  commit(offsets: PartitionCommit[]): Promise<void>;
  log: Logger;
  /** Weight (input messages, or batches where `add` is given none) waiting for writes before `add` makes the caller wait. */
  maxPending?: number;
  /**
   * A batch's writes failed: the stage must read `partition` again from `from` (its last committed
   * offset, or where this member started reading it).
   */
  onFailure(partition: number, from: bigint, err: unknown): void;
  /** After a commit (lag metrics). */
  onCommitted?(partition: number, offset: bigint, highWatermark: bigint): void;
  /** Least time (ms) from the end of one commit to the start of the next (default 0). */
  minIntervalMs?: number;
}

/**
 * The stages' commit spacing: a crash replays at most this much more (plus the writes in flight), and
 * at 1,000 applications/s the two stages send 20 commits a second instead of one per batch (~160).
 */
export const COMMIT_INTERVAL_MS = 100;

/**
 * What a stage lets wait for its writes, in input messages (applications; window inputs), before it
 * stops reading: a few seconds of traffic at thousands per second. Bounded by messages, not batches: at
 * a moderate rate batches are small and many, and a bound of a few batches made a stage stop reading
 * while one alert insert was in flight, which then delayed every application behind it.
 */
export const MAX_PENDING_MESSAGES = 20_000;

export class CommitPipeline {
  private readonly queues = new Map<number, Pending[]>();
  /** Last committed offset (or where reading started) per partition, this generation. */
  private readonly committed = new Map<number, bigint>();
  /** The offset after the last batch processed per partition (where reading resumes). */
  private readonly processed = new Map<number, bigint>();
  private readonly epochs = new Map<number, number>();
  private ready = new Map<number, Pending>();
  private inFlight: Promise<void> | undefined;
  /** No commit starts before this (Date.now() ms); `timer` pumps then. */
  private nextCommitAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiting = 0;
  private waiters: Array<() => void> = [];
  private readonly maxPending: number;

  constructor(private readonly o: CommitPipelineOptions) {
    this.maxPending = o.maxPending ?? 16;
  }

  /**
   * A rebalance gave this member `assigned`: forgets the other partitions; returns, for each kept
   * partition it has processed batches of, the offset to resume reading at (after the last processed).
   */
  rebalanced(assigned: ReadonlySet<number>): Map<number, bigint> {
    const known = new Set([...this.queues.keys(), ...this.processed.keys(), ...this.committed.keys()]);
    const resume = new Map<number, bigint>();
    for (const partition of known) {
      if (!assigned.has(partition)) this.forget(partition);
      else {
        const at = this.processed.get(partition);
        if (at !== undefined) resume.set(partition, at);
      }
    }
    return resume;
  }

  /** Forgets a partition: nothing pending of it is committed by this member. */
  forget(partition: number): void {
    for (const e of this.queues.get(partition) ?? []) if (!e.landed) this.waiting -= e.weight;
    this.queues.delete(partition);
    this.ready.delete(partition);
    this.committed.delete(partition);
    this.processed.delete(partition);
    this.epochs.set(partition, (this.epochs.get(partition) ?? 0) + 1);
    this.release();
  }

  /** Batches of `partition` were processed up to `next` (exclusive) without writes (a replay). */
  processedUpTo(partition: number, next: bigint): void {
    this.processed.set(partition, next);
  }

  /** Where this member started reading `partition` in this generation (the first batch's offset). */
  started(partition: number, firstOffset: bigint): void {
    if (!this.committed.has(partition)) this.committed.set(partition, firstOffset);
  }

  /**
   * `work`: the batch's writes. `offset` (the next offset to read) is committed, with `metadata`,
   * once they and those of the partition's earlier batches landed. Resolves when the caller may go on.
   */
  add(
    partition: number,
    offset: bigint,
    metadata: string | undefined,
    highWatermark: bigint,
    work: Promise<unknown>,
    weight = 1,
  ): Promise<void> {
    const epoch = this.epochs.get(partition) ?? 0;
    this.epochs.set(partition, epoch);
    this.processed.set(partition, offset);
    const entry: Pending = { partition, offset, metadata, highWatermark, landed: false, epoch, weight };
    let queue = this.queues.get(partition);
    if (queue === undefined) {
      queue = [];
      this.queues.set(partition, queue);
    }
    queue.push(entry);
    this.waiting += weight;
    work.then(
      () => {
        if (entry.epoch !== this.epochs.get(partition)) return;
        entry.landed = true;
        this.waiting -= entry.weight;
        this.pump();
        this.release();
      },
      (err: unknown) => {
        if (entry.epoch !== this.epochs.get(partition)) return;
        // Nothing of this partition after the last commit may be committed now.
        const from = this.committed.get(partition);
        this.forget(partition);
        this.o.log.warn(
          { err, partition, from },
          'writes failed; reading the partition again from its last commit',
        );
        if (from !== undefined) this.o.onFailure(partition, from, err);
      },
    );
    if (this.waiting < this.maxPending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when every pending batch landed and was committed (or `timeoutMs` passed). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const pending = [...this.queues.values()].some((q) => q.length > 0) || this.ready.size > 0;
      if (!pending && this.inFlight === undefined) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private release(): void {
    while (this.waiting < this.maxPending && this.waiters.length > 0) this.waiters.shift()?.();
  }

  private pump(): void {
    for (const [partition, queue] of this.queues) {
      let last: Pending | undefined;
      while (queue.length > 0 && (queue[0] as Pending).landed) last = queue.shift();
      if (last !== undefined) this.ready.set(partition, last);
    }
    if (this.inFlight !== undefined || this.ready.size === 0) return;
    const wait = this.nextCommitAt - Date.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    const batch = [...this.ready.values()];
    this.ready = new Map();
    let failed = false;
    this.inFlight = this.o
      .commit(
        batch.map((e) => ({
          partition: e.partition,
          offset: e.offset,
          ...(e.metadata === undefined ? {} : { metadata: e.metadata }),
        })),
      )
      .then(
        () => {
          for (const e of batch) {
            if (e.epoch !== this.epochs.get(e.partition)) continue;
            this.committed.set(e.partition, e.offset);
            this.o.onCommitted?.(e.partition, e.offset, e.highWatermark);
          }
        },
        (err: unknown) => {
          // A rebalance or a coordinator move: retried with the next landed batch if still ours.
          failed = true;
          this.o.log.warn({ err: (err as Error).message }, 'offset commit failed');
          for (const e of batch) {
            if (e.epoch === this.epochs.get(e.partition) && !this.ready.has(e.partition))
              this.ready.set(e.partition, e);
          }
        },
      )
      .finally(() => {
        this.nextCommitAt = Date.now() + (this.o.minIntervalMs ?? 0);
        if (!failed) {
          this.inFlight = undefined;
          this.pump();
          return;
        }
        setTimeout(() => {
          this.inFlight = undefined;
          this.pump();
        }, 200).unref();
      });
  }
}
