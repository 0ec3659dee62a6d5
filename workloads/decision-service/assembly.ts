/**
 * The join of one partition number of the applications topic and the verdicts topic, pure: an
 * application and its verdict parts (api/verdict.ts) in, complete (application, alerts) pairs out, and
 * the offsets that are safe to commit on each topic.
 *
 * An application is *open* from its first piece (its application message or any verdict part) until
 * it is decided. It is *complete* when the application, the source part and one window part per key
 * path the source part names are in; completeness is checked on each piece as it is added, so a
 * complete application is ready to decide at once (`takeComplete`), without a scan. Taken, it is *in
 * flight* (being written and published) and still open; `markDecided` closes it once its decision is
 * written and published. The offsets to commit on each topic are the smallest offset of a piece of an
 * open application, in flight or not (everything before it belongs to decided applications), else the
 * next offset after the last one read: so they are safe to commit at any moment. After a crash or a
 * rebalance the new owner re-reads every piece of every open application, and only pieces of decided
 * ones besides; those are recognised by the decision store (an issued record exists) and re-published,
 * never decided twice.
 */
import type { SourceVerdictPart, VerdictAlert, VerdictPart } from '../../api/verdict.ts';
import type { ApplicationEvent } from '../contract/application.ts';

export type SourceTopic = 'applications' | 'verdicts';

export interface Pending {
  applicationId: string;
  event?: ApplicationEvent;
  /** Server receipt time of the application (ms), for the latency histogram. */
  receivedAtMs?: number;
  source?: SourceVerdictPart;
  /** Window parts received, by key path. */
  windows: Map<string, VerdictAlert[]>;
  /** Smallest offset of a piece of this application, per topic. */
  minOffset: Partial<Record<SourceTopic, bigint>>;
  /** Taken to be decided (or re-published), not yet written and published. */
  inFlight: boolean;
}

export interface Complete {
  applicationId: string;
  event: ApplicationEvent;
  receivedAtMs: number;
  /** Every alert of the verdict (source and window parts), once each. */
  alerts: VerdictAlert[];
}

/** How many decided ids a partition remembers, to ignore their late pieces without a lookup. */
const DECIDED_MEMORY = 100_000;

export class PartitionAssembly {
  private readonly open = new Map<string, Pending>();
  /** Open, complete and not in flight: ready to decide, in the order they completed. */
  private readonly ready = new Set<string>();
  private inFlightCount = 0;
  /** Deferred decision-store lookups, in the order they were asked for. */
  private checks: Array<{ id: string; atMs: number }> = [];
  private checksHead = 0;
  private readonly decided = new Map<string, true>();
  private readonly next: Partial<Record<SourceTopic, bigint>> = {};
  /** Per topic, the first piece of each application in the order read (see `oldestOpen`). */
  private readonly firstPieces: Record<
    SourceTopic,
    { entries: Array<{ offset: bigint; id: string }>; head: number; unordered: boolean }
  > = {
    applications: { entries: [], head: 0, unordered: false },
    verdicts: { entries: [], head: 0, unordered: false },
  };

  /** Open applications (metrics). */
  get pending(): number {
    return this.open.size;
  }

  /** Complete applications not yet decided: ready or in flight (backpressure). */
  get undecided(): number {
    return this.ready.size + this.inFlightCount;
  }

  /** Records that `offset` of `topic` was read (also for messages that carry nothing usable). */
  advance(topic: SourceTopic, offset: bigint): void {
    const n = offset + 1n;
    const cur = this.next[topic];
    if (cur === undefined || n > cur) this.next[topic] = n;
  }

  /** Adds an application; returns true when this opened it (first piece seen). */
  addApplication(event: ApplicationEvent, receivedAtMs: number, offset: bigint): boolean {
    this.advance('applications', offset);
    const { pending, opened } = this.entry(event.applicationId, 'applications', offset);
    if (pending === undefined) return false;
    pending.event ??= event;
    pending.receivedAtMs ??= receivedAtMs;
    this.checkComplete(pending);
    return opened;
  }

  /** Adds a verdict part; returns true when this opened its application. */
  addPart(part: VerdictPart, offset: bigint): boolean {
    this.advance('verdicts', offset);
    const { pending, opened } = this.entry(part.applicationId, 'verdicts', offset);
    if (pending === undefined) return false;
    if (part.kind === 'source') pending.source ??= part;
    else {
      // Arrays are never changed in place, so a part's own alerts can be kept as they are.
      const had = pending.windows.get(part.keyPath);
      pending.windows.set(
        part.keyPath,
        had === undefined || had.length === 0
          ? part.alerts
          : part.alerts.length === 0
            ? had
            : [...had, ...part.alerts],
      );
    }
    this.checkComplete(pending);
    return opened;
  }

  /**
   * Takes (at most `max`) complete applications to decide, in the order they completed: they are in
   * flight from now on, and still hold the commit offsets until `markDecided`.
   */
  takeComplete(max = Number.POSITIVE_INFINITY): Complete[] {
    const out: Complete[] = [];
    for (const id of this.ready) {
      if (out.length >= max) break;
      this.ready.delete(id);
      const p = this.open.get(id);
      if (p === undefined || p.event === undefined || p.source === undefined) continue;
      p.inFlight = true;
      this.inFlightCount++;
      const alerts: VerdictAlert[] = [];
      let seen: Set<string> | undefined;
      const take = (list: readonly VerdictAlert[]) => {
        for (const a of list) {
          seen ??= new Set();
          if (seen.has(a.alertId)) continue;
          seen.add(a.alertId);
          alerts.push(a);
        }
      };
      take(p.source.alerts);
      for (const list of p.windows.values()) take(list);
      out.push({
        applicationId: p.applicationId,
        event: p.event,
        receivedAtMs: p.receivedAtMs ?? Date.parse(p.event.submittedAt),
        alerts,
      });
    }
    return out;
  }

  /**
   * Takes open applications found decided before (a decision-store lookup) to re-publish what stands:
   * those of `ids` still open and not in flight, now in flight (until `markDecided`).
   */
  claim(ids: Iterable<string>): string[] {
    const out: string[] = [];
    for (const id of ids) {
      const p = this.open.get(id);
      if (p === undefined || p.inFlight) continue;
      this.ready.delete(id);
      p.inFlight = true;
      this.inFlightCount++;
      out.push(id);
    }
    return out;
  }

  /**
   * Looks `id` up in the decision store later, at `atMs`, if it is still open and not in flight then
   * (an application that completes before is issued idempotently anyway, so most never need the
   * lookup). Checks are due in the order they were asked for (callers ask with growing times).
   */
  checkLater(id: string, atMs: number): void {
    this.checks.push({ id: id.toLowerCase(), atMs });
  }

  /** Open applications (not in flight) whose deferred lookup is due at `now`; each is returned once. */
  dueChecks(now: number): string[] {
    const out: string[] = [];
    while (this.checksHead < this.checks.length) {
      const c = this.checks[this.checksHead] as { id: string; atMs: number };
      if (c.atMs > now) break;
      this.checksHead++;
      const p = this.open.get(c.id);
      if (p !== undefined && !p.inFlight) out.push(c.id);
    }
    if (this.checksHead > 1024 && this.checksHead * 2 > this.checks.length) {
      this.checks = this.checks.slice(this.checksHead);
      this.checksHead = 0;
    }
    return out;
  }

  /** Closes applications whose decision is written and published (or was found already issued). */
  markDecided(ids: Iterable<string>): void {
    for (const id of ids) {
      const p = this.open.get(id);
      if (p?.inFlight === true) this.inFlightCount--;
      this.ready.delete(id);
      this.open.delete(id);
      this.decided.set(id, true);
    }
    while (this.decided.size > DECIDED_MEMORY) {
      const oldest = this.decided.keys().next().value;
      if (oldest === undefined) break;
      this.decided.delete(oldest);
    }
  }

  /** The offset to commit on each topic (undefined: nothing read on it yet). */
  commitOffsets(): Partial<Record<SourceTopic, bigint>> {
    const out: Partial<Record<SourceTopic, bigint>> = { ...this.next };
    for (const topic of ['applications', 'verdicts'] as const) {
      const o = this.oldestOpen(topic);
      const cur = out[topic];
      if (o !== undefined && cur !== undefined && o < cur) out[topic] = o;
    }
    return out;
  }

  /**
   * The smallest first-piece offset on `topic` of an open application. Pieces are read in offset order,
   * so first pieces queue up in that order and the answer is the oldest entry still open: amortised
   * O(1) per call, not a scan of every open application (a scan only if offsets ever came out of order).
   */
  private oldestOpen(topic: SourceTopic): bigint | undefined {
    const q = this.firstPieces[topic];
    if (q.unordered) {
      let min: bigint | undefined;
      for (const p of this.open.values()) {
        const o = p.minOffset[topic];
        if (o !== undefined && (min === undefined || o < min)) min = o;
      }
      return min;
    }
    while (q.head < q.entries.length) {
      const e = q.entries[q.head] as { offset: bigint; id: string };
      if (this.open.get(e.id)?.minOffset[topic] === e.offset) return e.offset;
      q.head++;
    }
    if (q.head > 0) {
      q.entries = [];
      q.head = 0;
    }
    return undefined;
  }

  /** Age (ms) of the oldest open application with a receipt time, at `now`. */
  oldestPendingMs(now: number): number {
    let oldest = now;
    for (const p of this.open.values())
      if (p.receivedAtMs !== undefined && p.receivedAtMs < oldest) oldest = p.receivedAtMs;
    return now - oldest;
  }

  private checkComplete(p: Pending): void {
    if (p.inFlight || p.event === undefined || p.source === undefined) return;
    for (const k of p.source.windowKeys) if (!p.windows.has(k)) return;
    this.ready.add(p.applicationId);
  }

  private entry(
    applicationId: string,
    topic: SourceTopic,
    offset: bigint,
  ): { pending: Pending | undefined; opened: boolean } {
    const id = applicationId.toLowerCase();
    if (this.decided.has(id)) return { pending: undefined, opened: false };
    let pending = this.open.get(id);
    const opened = pending === undefined;
    if (pending === undefined) {
      pending = { applicationId: id, windows: new Map(), minOffset: {}, inFlight: false };
      this.open.set(id, pending);
    }
    const cur = pending.minOffset[topic];
    if (cur === undefined || offset < cur) {
      pending.minOffset[topic] = offset;
      const q = this.firstPieces[topic];
      const last = q.entries[q.entries.length - 1];
      if (last !== undefined && offset < last.offset) q.unordered = true;
      if (!q.unordered) q.entries.push({ offset, id });
    }
    return { pending, opened };
  }
}
