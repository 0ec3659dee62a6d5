/**
 * What the decision service does with the join state of its partitions (assembly.ts), off the consumer's
 * fetch loop: the consumer only adds pieces and asks for a pump; writing, publishing, looking up and
 * committing run here, so reading the next fetch never waits for the warehouse.
 *
 * - **Writes, group-committed across partitions.** Complete applications of every partition go out
 *   together in one idempotent insert (`issue`), at most `maxWrites` inserts in flight; whatever
 *   completes meanwhile goes in the next. So an idle service writes an application as soon as its last
 *   piece is read, and a busy one writes fewer, larger batches (batching adapts to the load).
 * - **Publish, then done.** Each write's standing records are published (`publish`, off the insert's
 *   slot: the next insert does not wait for it; one publication in flight, carrying everything written
 *   meanwhile); only then are their applications marked decided in their partition's assembly. A write or publish that fails is
 *   retried (both are idempotent) until it succeeds, the partitions move to another member, or the
 *   service closes.
 * - **Lookups** (applications opened by a piece an earlier owner may have read, or still open a while
 *   after their application message) go out batched, one request in flight; what stands is claimed,
 *   re-published and marked decided.
 * - **Commits after writes.** A partition's offsets are those of its assembly at commit time: the
 *   oldest piece of an application still open or in flight, so an offset never passes an application
 *   whose decision is not written and published. One commit request in flight, carrying every
 *   partition whose offsets moved, at most one per `commitIntervalMs` (commits are off the decision path).
 */
import type { Logger } from '../../lib/log.ts';
import type { Complete, PartitionAssembly, SourceTopic } from './assembly.ts';
import type { DecisionRecordInput, StandingRecord } from './records.ts';

/** One partition number's join state, for one generation of the group. */
export interface PartitionState {
  partition: number;
  assembly: PartitionAssembly;
  /**
   * Per topic, the high watermark of its first batch since this member got the partition: pieces below
   * it may have been read by an earlier owner (a replay), pieces from it on are new.
   */
  replayBelow: Partial<Record<SourceTopic, bigint>>;
  /** Offsets last committed per topic (a commit that would not move them is skipped). */
  committed: Partial<Record<SourceTopic, bigint>>;
}

export interface PipelineIo {
  /** The decision of a complete application (pure). */
  decide(c: Complete, issuedAt: Date): DecisionRecordInput;
  /** Resolves while first decisions may be issued (the stream's claim is held). */
  mayIssue(): Promise<void>;
  /** Idempotent insert: the standing record of every input and which this call wrote. */
  issue(
    records: readonly DecisionRecordInput[],
  ): Promise<{ standing: StandingRecord[]; issued: Set<string> }>;
  /** Standing revision-1 records of these applications. */
  standing(ids: readonly string[]): Promise<StandingRecord[]>;
  publish(standing: readonly StandingRecord[], issued: ReadonlySet<string>): Promise<void>;
  commit(offsets: ReadonlyArray<{ partition: number; topic: SourceTopic; offset: bigint }>): Promise<void>;
  /** Receipt → decision written, per application this service issued (ms). */
  observeLatency(ms: number): void;
  log: Logger;
}

export interface PipelineOptions {
  /** Inserts in flight at once (default 2). */
  maxWrites?: number;
  /** Most applications per insert (default 1000). */
  maxWriteBatch?: number;
  /** Complete applications not yet decided, over all partitions, before reading waits (default 5000). */
  maxUndecided?: number;
  /** First retry delay of a failed write, publish, lookup or commit, doubled up to 5 s (default 100). */
  retryMs?: number;
  /**
   * Least time between two offset commits (default 100 ms). Commits are off the decision path; this
   * only bounds how much a crash replays, and spares the broker and this process a request per insert.
   */
  commitIntervalMs?: number;
}

/** Most decisions per publication (a record batch per partition stays well under the broker's 1 MiB). */
const MAX_PUBLISH_BATCH = 1000;

interface Publication {
  stateOf: ReadonlyMap<string, PartitionState>;
  standing: readonly StandingRecord[];
  issued: ReadonlySet<string>;
  stale: () => boolean;
}

interface Lookup {
  state: PartitionState;
  id: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DecisionPipeline {
  private readonly states = new Map<number, PartitionState>();
  private writes = 0;
  /** Written (or found) decisions waiting for publication; one publication in flight carries them all. */
  private toPublish: Publication[] = [];
  private publishing = false;
  private nextCommitAt = 0;
  private commitTimer: NodeJS.Timeout | undefined;
  private lookingUp = false;
  private committing = false;
  private lookups: Lookup[] = [];
  private readonly dirty = new Set<PartitionState>();
  private waiters: Array<{ resolve: () => void; gone: () => boolean }> = [];
  private scheduled = false;
  private rotor = 0;
  private closed = false;
  /** Why writing, publishing, looking up or committing is failing now (readiness); null when not. */
  problem: string | null = null;
  private readonly maxWrites: number;
  private readonly maxWriteBatch: number;
  private readonly maxUndecided: number;
  private readonly retryMs: number;
  private readonly commitIntervalMs: number;

  constructor(
    private readonly io: PipelineIo,
    options: PipelineOptions = {},
  ) {
    this.maxWrites = options.maxWrites ?? 2;
    this.maxWriteBatch = options.maxWriteBatch ?? 1000;
    this.maxUndecided = options.maxUndecided ?? 5000;
    this.retryMs = options.retryMs ?? 100;
    this.commitIntervalMs = options.commitIntervalMs ?? 100;
  }

  /** The partitions of this generation (a rebalance replaces them all: `reset`). */
  partitions(): IterableIterator<PartitionState> {
    return this.states.values();
  }

  /** The state of `partition` in this generation, created empty on first use. */
  state(partition: number, create: () => PartitionState): PartitionState {
    let st = this.states.get(partition);
    if (st === undefined) {
      st = create();
      this.states.set(partition, st);
    }
    return st;
  }

  /**
   * A new generation: every partition's state is dropped (its new owner, maybe this member, replays
   * from the last commit). Work in flight for the old states finishes but commits nothing.
   */
  reset(): void {
    this.states.clear();
    this.lookups = [];
    this.dirty.clear();
    this.release();
  }

  /** Looks these up in the decision store soon (batched with others). */
  lookUp(state: PartitionState, ids: readonly string[]): void {
    for (const id of ids) this.lookups.push({ state, id });
  }

  /** Something may have changed: write, look up and commit what can be, once this turn is over. */
  pump(state?: PartitionState): void {
    if (state !== undefined) this.dirty.add(state);
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    // Batches of one fetch (several partitions) are handled in the same turn: they share the insert.
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /**
   * Resolves when reading may go on (complete applications not yet decided are few enough), or once
   * `gone()` (the batch went stale in a rebalance: the next generation's setup waits for its handler).
   */
  admit(gone: () => boolean = () => false): Promise<void> {
    if (this.undecided() < this.maxUndecided || this.closed || gone()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ resolve, gone }));
  }

  /** Nothing in flight and nothing ready to write, look up or commit. */
  idle(): boolean {
    if (
      this.writes > 0 ||
      this.publishing ||
      this.toPublish.length > 0 ||
      this.lookingUp ||
      this.committing ||
      this.lookups.length > 0
    )
      return false;
    for (const st of this.states.values()) if (st.assembly.undecided > 0) return false;
    return [...this.dirty].every((st) => this.offsetsToCommit(st).length === 0);
  }

  /** Stops starting work (what is in flight finishes; failing retries give up). */
  close(): void {
    this.closed = true;
    clearTimeout(this.commitTimer);
    this.release();
  }

  private current(st: PartitionState): boolean {
    return this.states.get(st.partition) === st;
  }

  private undecided(): number {
    let n = 0;
    for (const st of this.states.values()) n += st.assembly.undecided;
    return n;
  }

  private release(): void {
    const all = this.undecided() < this.maxUndecided || this.closed;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (all || w.gone()) w.resolve();
      else this.waiters.push(w);
    }
  }

  private run(): void {
    if (this.closed) return;
    this.release();
    while (this.writes < this.maxWrites) {
      const items: Array<{ state: PartitionState; complete: Complete }> = [];
      // Each insert starts at the next partition, so a partition with a backlog does not starve the others.
      const states = [...this.states.values()];
      const first = states.length === 0 ? 0 : this.rotor++ % states.length;
      for (const st of [...states.slice(first), ...states.slice(0, first)]) {
        const room = this.maxWriteBatch - items.length;
        if (room <= 0) break;
        for (const c of st.assembly.takeComplete(room)) items.push({ state: st, complete: c });
      }
      if (items.length === 0) break;
      this.writes++;
      void this.write(items)
        .catch((err: unknown) => {
          // Not retried (deciding itself failed): the applications stay open and hold the commit point.
          this.problem = `deciding failed: ${err instanceof Error ? err.message : String(err)}`;
          this.io.log.error({ err: this.problem }, 'deciding failed; these applications stay open');
        })
        .finally(() => {
          this.writes--;
          this.pump();
        });
    }
    const now = Date.now();
    for (const st of this.states.values()) this.lookUp(st, st.assembly.dueChecks(now));
    if (!this.lookingUp && this.lookups.length > 0) {
      const batch = this.lookups.filter((l) => this.current(l.state));
      this.lookups = [];
      if (batch.length > 0) {
        this.lookingUp = true;
        void this.lookUpNow(batch).finally(() => {
          this.lookingUp = false;
          this.pump();
        });
      }
    }
    if (!this.committing && this.dirty.size > 0) {
      const wait = this.nextCommitAt - Date.now();
      if (wait > 0) {
        if (this.commitTimer === undefined) {
          this.commitTimer = setTimeout(() => {
            this.commitTimer = undefined;
            this.pump();
          }, wait);
          this.commitTimer.unref();
        }
      } else {
        this.committing = true;
        void this.commitNow().finally(() => {
          this.committing = false;
          this.nextCommitAt = Date.now() + this.commitIntervalMs;
          if (this.dirty.size > 0) this.pump();
        });
      }
    }
  }

  /** Retries `attempt` until it succeeds; undefined once `giveUp()` (moved away, closing). */
  private async retrying<T>(
    what: string,
    attempt: () => Promise<T>,
    giveUp: () => boolean,
  ): Promise<T | undefined> {
    for (let n = 0; ; n++) {
      try {
        const result = await attempt();
        this.problem = null;
        return result;
      } catch (err) {
        this.problem = `${what} failed: ${err instanceof Error ? err.message : String(err)}`;
        this.io.log.warn({ err: this.problem, attempt: n + 1 }, `${what} failed; retrying`);
        if (giveUp()) return undefined;
        await sleep(Math.min(5_000, this.retryMs * 2 ** n));
        if (giveUp()) return undefined;
      }
    }
  }

  private async write(items: Array<{ state: PartitionState; complete: Complete }>): Promise<void> {
    const stale = () => this.closed || items.every((i) => !this.current(i.state));
    await this.io.mayIssue();
    const issuedAt = new Date();
    const records = items.map((i) => this.io.decide(i.complete, issuedAt));
    const result = await this.retrying('writing decisions', () => this.io.issue(records), stale);
    if (result === undefined) return;
    const written = Date.now();
    for (const { complete } of items) {
      if (result.issued.has(complete.applicationId))
        this.io.observeLatency(Math.max(0, written - complete.receivedAtMs));
    }
    const stateOf = new Map(items.map((i) => [i.complete.applicationId, i.state]));
    // The insert's slot is free now: the next insert does not wait for this publication (its
    // applications still hold their commit point until published).
    this.publish({ stateOf, standing: result.standing, issued: result.issued, stale });
  }

  private async lookUpNow(batch: Lookup[]): Promise<void> {
    const ids = [...new Set(batch.map((l) => l.id))];
    const stale = () => this.closed || batch.every((l) => !this.current(l.state));
    const found = await this.retrying('looking up decisions', () => this.io.standing(ids), stale);
    if (found === undefined || found.length === 0) return;
    const byId = new Map(found.map((r) => [r.applicationId, r]));
    const stateOf = new Map<string, PartitionState>();
    const standing: StandingRecord[] = [];
    for (const l of batch) {
      const record = byId.get(l.id);
      if (record === undefined || stateOf.has(l.id) || !this.current(l.state)) continue;
      // Only those still open and not being decided right now (else that write publishes it).
      if (l.state.assembly.claim([l.id]).length === 0) continue;
      stateOf.set(l.id, l.state);
      standing.push(record);
    }
    if (standing.length > 0) this.publish({ stateOf, standing, issued: new Set(), stale });
  }

  /**
   * Publishes what stands, then marks the applications decided, each in its partition. Group commit:
   * one publication in flight; what is written meanwhile goes out together in the next one.
   */
  private publish(p: Publication): void {
    this.toPublish.push(p);
    this.publishNext();
  }

  private publishNext(): void {
    if (this.publishing || this.toPublish.length === 0) return;
    const group: Publication[] = [];
    let count = 0;
    while (this.toPublish.length > 0) {
      const next = this.toPublish[0] as Publication;
      if (group.length > 0 && count + next.standing.length > MAX_PUBLISH_BATCH) break;
      group.push(next);
      count += next.standing.length;
      this.toPublish.shift();
    }
    const standing = group.flatMap((g) => g.standing);
    const issued = new Set(group.flatMap((g) => [...g.issued]));
    this.publishing = true;
    void this.retrying(
      'publishing decisions',
      () => this.io.publish(standing, issued).then(() => true),
      () => group.every((g) => g.stale()),
    )
      .then((published) => {
        if (published === undefined) return;
        for (const g of group) this.markDecided(g.stateOf);
      })
      .finally(() => {
        this.publishing = false;
        this.publishNext();
        this.pump();
      });
  }

  private markDecided(stateOf: ReadonlyMap<string, PartitionState>): void {
    const byPartition = new Map<PartitionState, string[]>();
    for (const [id, st] of stateOf) {
      const ids = byPartition.get(st);
      if (ids === undefined) byPartition.set(st, [id]);
      else ids.push(id);
    }
    for (const [st, ids] of byPartition) {
      st.assembly.markDecided(ids);
      if (this.current(st)) this.dirty.add(st);
    }
  }

  private offsetsToCommit(
    st: PartitionState,
  ): Array<{ partition: number; topic: SourceTopic; offset: bigint }> {
    if (!this.current(st)) return [];
    const offsets = st.assembly.commitOffsets();
    const out: Array<{ partition: number; topic: SourceTopic; offset: bigint }> = [];
    for (const topic of ['applications', 'verdicts'] as const) {
      const offset = offsets[topic];
      if (offset !== undefined && offset !== st.committed[topic])
        out.push({ partition: st.partition, topic, offset });
    }
    return out;
  }

  private async commitNow(): Promise<void> {
    const states = [...this.dirty];
    this.dirty.clear();
    const plan = states.map((st) => ({ st, offsets: this.offsetsToCommit(st) }));
    const commits = plan.flatMap((p) => p.offsets);
    if (commits.length === 0) return;
    try {
      await this.io.commit(commits);
      for (const { st, offsets } of plan) for (const o of offsets) st.committed[o.topic] = o.offset;
    } catch (err) {
      // A rebalance or a coordinator move: tried again (if still ours) after a pause.
      this.io.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'offset commit failed');
      await sleep(this.retryMs * 2);
      for (const { st } of plan) if (this.current(st)) this.dirty.add(st);
    }
  }
}
