/**
 * The join of one partition number of the applications topic and the verdicts topic, pure: an
 * application and its verdict parts (api/verdict.ts) in, complete (application, alerts) pairs out, and
 * the offsets that are safe to commit on each topic.
 *
 * An application is *open* from its first piece (its application message or any verdict part) until
 * it is decided. It is *complete* when the application, the source part and one window part per key
 * path the source part names are in. The offsets to commit on each topic are the smallest offset of a
 * piece of an open application (everything before it belongs to decided applications), else the next
 * offset after the last one read. So after a crash or a rebalance the new owner re-reads every piece
 * of every open application, and only pieces of decided ones besides; those are recognised by the
 * decision store (an issued record exists) and re-published, never decided twice.
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
  /** When to look in the decision store whether it was decided before, if still open (ms). */
  checkAtMs?: number;
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
  private readonly decided = new Map<string, true>();
  private readonly next: Partial<Record<SourceTopic, bigint>> = {};

  /** Open applications (metrics). */
  get pending(): number {
    return this.open.size;
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
    return opened;
  }

  /** Adds a verdict part; returns true when this opened its application. */
  addPart(part: VerdictPart, offset: bigint): boolean {
    this.advance('verdicts', offset);
    const { pending, opened } = this.entry(part.applicationId, 'verdicts', offset);
    if (pending === undefined) return false;
    if (part.kind === 'source') pending.source ??= part;
    else {
      const had = pending.windows.get(part.keyPath) ?? [];
      pending.windows.set(part.keyPath, [...had, ...part.alerts]);
    }
    return opened;
  }

  /** Open applications whose every piece is in. */
  complete(): Complete[] {
    const out: Complete[] = [];
    for (const p of this.open.values()) {
      if (p.event === undefined || p.source === undefined) continue;
      if (!p.source.windowKeys.every((k) => p.windows.has(k))) continue;
      const seen = new Set<string>();
      const alerts: VerdictAlert[] = [];
      for (const a of [...p.source.alerts, ...[...p.windows.values()].flat()]) {
        if (seen.has(a.alertId)) continue;
        seen.add(a.alertId);
        alerts.push(a);
      }
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
   * Looks `id` up in the decision store later, at `atMs`, if it is still open then (an application
   * that completes before is issued idempotently anyway, so most never need the lookup).
   */
  checkLater(id: string, atMs: number): void {
    const p = this.open.get(id.toLowerCase());
    if (p !== undefined) p.checkAtMs = atMs;
  }

  /** Open applications whose deferred lookup is due at `now`; each is returned once. */
  dueChecks(now: number): string[] {
    const out: string[] = [];
    for (const p of this.open.values()) {
      if (p.checkAtMs !== undefined && p.checkAtMs <= now) {
        p.checkAtMs = undefined;
        out.push(p.applicationId);
      }
    }
    return out;
  }

  /** Closes applications whose decision is written (or was found already issued). */
  markDecided(ids: Iterable<string>): void {
    for (const id of ids) {
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
    for (const p of this.open.values()) {
      for (const topic of ['applications', 'verdicts'] as const) {
        const o = p.minOffset[topic];
        const cur = out[topic];
        if (o !== undefined && cur !== undefined && o < cur) out[topic] = o;
      }
    }
    return out;
  }

  /** Age (ms) of the oldest open application with a receipt time, at `now`. */
  oldestPendingMs(now: number): number {
    let oldest = now;
    for (const p of this.open.values())
      if (p.receivedAtMs !== undefined && p.receivedAtMs < oldest) oldest = p.receivedAtMs;
    return now - oldest;
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
      pending = { applicationId: id, windows: new Map(), minOffset: {} };
      this.open.set(id, pending);
    }
    const cur = pending.minOffset[topic];
    if (cur === undefined || offset < cur) pending.minOffset[topic] = offset;
    return { pending, opened };
  }
}
