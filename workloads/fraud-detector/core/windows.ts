/**
 * Keyed event-time window state of one partition of the repartition topic, and the evaluation of the
 * window rules (velocity, distinctCount). Pure: messages in (with their offsets), hits out.
 *
 * Times (core/event-time.ts)
 * - Each application has a *window time* `t = min(submittedAt, receivedAt)`, where `receivedAt` is the
 *   server's receipt time: a client can place an application earlier than it reached us, never later,
 *   so no application can push its key's clock ahead and make the others of its key look late.
 * - An application whose window time is more than the *horizon* (default 24 h) before its own receipt
 *   is `beyond-horizon`: not added to the state, not evaluated by window rules (the source stage
 *   records it with the reason; per-application rules ran on it there). This depends on the application
 *   alone, not on arrival order.
 *
 * Semantics
 * - An application belongs to a *burst* of its key when some window of the rule's length that
 *   contains its window time holds ≥ `threshold` applications (velocity) or ≥ `threshold` distinct
 *   values of the counted field (distinctCount). Every member of such a burst is flagged, including
 *   those that arrived before the one that completed it (they are re-evaluated when it arrives).
 *   Applications are inserted into their key's state in window-time order wherever they arrive, so an
 *   application arriving hours out of order is evaluated exactly like one arriving in order: the final
 *   set of flagged applications depends on the set of applications of the key, not on the order they
 *   arrived in. This is what makes 1 and N replicas, and shuffled and ordered input, agree.
 * - Window bounds are inclusive: applications exactly `window` apart are in one window.
 * - Duplicates (an applicationId already in the key's state, e.g. re-published after a source-stage
 *   crash) are ignored.
 *
 * Bounded state
 * - The partition keeps a *receipt clock* C: the newest `receivedAt` it has processed (server time, so
 *   no client moves it). A later application, received at R ≥ C − allowedLateness, has window time
 *   ≥ R − horizon and can only share a window with entries at ≥ R − horizon − window. So entries older
 *   than `C − allowedLateness − horizon − longest window of the key` can no longer change a decision
 *   and are dropped; a key is dropped with its last entry. `allowedLateness` is thus how far behind its
 *   partition's receipt clock an application may reach the window stage (a lagging source replica, a
 *   replay) and still find the whole state it could need; one arriving later than that *and* close to
 *   its horizon is counted as `late` and still evaluated against the state that is left.
 * - A key keeps at most `maxEntriesPerKey` entries and the partition at most `maxEntries` (oldest
 *   first beyond that; both are counted as forced evictions, the only case where results can differ
 *   from unbounded state).
 *
 * Recovery
 * - `checkpoint()` gives the smallest offset still in the state and the partition clock before it;
 *   replaying the partition from that offset to the committed one with `emit: false` rebuilds the
 *   same state, including which applications were already flagged.
 */

import { alertId, type FraudAlert } from '../../../api/alert.ts';
import type { CompiledRuleSet, KeyGroup, WindowRule } from '../rules/compile.ts';
import { isPersonalField } from '../rules/fields.ts';
import { DEFAULT_HORIZON_MS, eventTimes, isBeyondHorizon } from './event-time.ts';

/** What the window state needs of one application (the repartition message; see core/repartition.ts). */
export interface WindowRecord {
  applicationId: string;
  customerId: string;
  submittedAt: string;
  /**
   * The server's receipt time (RFC 3339). Absent only in records written before receipt times existed;
   * then `submittedAt` stands in for it.
   */
  receivedAt?: string;
  /** Values of the fields counted by the key group's distinctCount rules, by canonical path. */
  fields: Record<string, string>;
}

export interface WindowInput {
  keyPath: string;
  key: string;
  offset: number;
  record: WindowRecord;
}

/**
 * `late`: accepted and evaluated, but it reached the window stage more than allowedLateness behind the
 * partition's receipt clock with a window time near its horizon, so entries it could share a window
 * with may already have been dropped.
 */
export type WindowOutcome = 'accepted' | 'late' | 'duplicate' | 'no-rules' | 'bad-time' | 'beyond-horizon';

export interface Checkpoint {
  /** Replay from this offset to rebuild the state. */
  replayFrom: number;
  /** The partition clock before the message at `replayFrom` was processed (null: none yet). */
  clockBefore: number | null;
}

interface KeyState {
  keyPath: string;
  key: string;
  /** Sorted by window time, then application id. */
  entries: Entry[];
}

interface Entry {
  id: string;
  customerId: string;
  t: number;
  offset: number;
  clockBefore: number;
  /** Values of the group's counted fields (distinctCount), by canonical path. */
  values: Record<string, string> | undefined;
  /** Rule refs (`id@version`) this entry has already been flagged by. */
  marks: string[] | undefined;
  removed: boolean;
  ks: KeyState;
}

export interface WindowOptions {
  /** Cap on entries held by the partition (default 2,000,000). */
  maxEntries?: number;
  /** The partition's receipt clock to start from (a checkpoint's `clockBefore`). */
  clock?: number | null;
  /** How far before its receipt an application's window time may be (default 24 h). */
  horizonMs?: number;
}

export interface WindowStats {
  keys: number;
  entries: number;
  late: number;
  beyondHorizon: number;
  duplicates: number;
  forcedEvictions: number;
}

const MAX_EVIDENCE_IDS = 20;

export class PartitionWindows {
  private rules: CompiledRuleSet;
  /** keyPath → key value → state (nested, so the long key path is not repeated in every map key). */
  private readonly keys = new Map<string, Map<string, KeyState>>();
  private keyCount = 0;
  private arrival: Entry[] = [];
  private head = 0;
  private clock: number;
  /** The offset of the last input, and the clock before the first input at that offset. */
  private currentOffset = Number.NaN;
  private offsetClockBefore = Number.NEGATIVE_INFINITY;
  private entryCount = 0;
  private readonly maxEntries: number;
  private readonly horizonMs: number;
  readonly stats: WindowStats = {
    keys: 0,
    entries: 0,
    late: 0,
    beyondHorizon: 0,
    duplicates: 0,
    forcedEvictions: 0,
  };

  constructor(rules: CompiledRuleSet, options: WindowOptions = {}) {
    this.rules = rules;
    this.maxEntries = options.maxEntries ?? 2_000_000;
    this.clock = options.clock ?? Number.NEGATIVE_INFINITY;
    this.horizonMs = options.horizonMs ?? DEFAULT_HORIZON_MS;
  }

  setRules(rules: CompiledRuleSet): void {
    this.rules = rules;
  }

  /**
   * Adds one application to its key's state and returns the alerts it completes (for itself or for
   * earlier members of its burst). With `emit: false` (replay) the state and flags are updated the
   * same way but no alerts are returned.
   */
  process(
    input: WindowInput,
    emit: boolean,
    detectedAt: Date,
  ): { outcome: WindowOutcome; alerts: FraudAlert[] } {
    // Several inputs may share one offset (a packed repartition message): a replay from that offset
    // processes them all again, so each keeps the clock from before the first of them.
    if (input.offset !== this.currentOffset) {
      this.currentOffset = input.offset;
      this.offsetClockBefore = this.clock;
    }
    const group = this.rules.keyGroups.get(input.keyPath);
    if (group === undefined) return { outcome: 'no-rules', alerts: [] };
    const times = eventTimes(input.record.submittedAt, input.record.receivedAt);
    if (times === undefined) return { outcome: 'bad-time', alerts: [] };
    if (isBeyondHorizon(times, this.horizonMs)) {
      this.stats.beyondHorizon++;
      return { outcome: 'beyond-horizon', alerts: [] };
    }
    const t = times.window;
    let byKey = this.keys.get(input.keyPath);
    if (byKey === undefined) {
      byKey = new Map();
      this.keys.set(input.keyPath, byKey);
    }
    let ks = byKey.get(input.key);
    if (ks !== undefined) {
      const id = input.record.applicationId;
      if (ks.entries.some((e) => e.id === id)) {
        this.stats.duplicates++;
        return { outcome: 'duplicate', alerts: [] };
      }
    } else {
      ks = { keyPath: input.keyPath, key: input.key, entries: [] };
      byKey.set(input.key, ks);
      this.keyCount++;
    }
    const clockBefore = this.offsetClockBefore;
    const late = t < this.clock - this.rules.allowedLatenessMs - this.horizonMs;
    if (late) this.stats.late++;
    if (times.received > this.clock) this.clock = times.received;

    let values: Record<string, string> | undefined;
    if (group.distinctPaths.length > 0) {
      values = {};
      for (const path of group.distinctPaths) {
        const v = input.record.fields[path];
        if (typeof v === 'string') values[path] = v;
      }
    }
    const entry: Entry = {
      id: input.record.applicationId,
      customerId: input.record.customerId,
      t,
      offset: input.offset,
      clockBefore,
      values,
      marks: undefined,
      removed: false,
      ks,
    };
    insertSorted(ks.entries, entry);
    this.arrival.push(entry);
    this.entryCount++;

    // Evaluated before anything is dropped, so even a late arrival is judged against what is left.
    const alerts = this.evaluate(ks, group, t, emit, detectedAt);
    this.purgeKey(ks, group);
    this.evict();
    return { outcome: late ? 'late' : 'accepted', alerts };
  }

  /** Where to replay from to rebuild this state (see the module comment). */
  checkpoint(nextOffset: number): Checkpoint {
    this.skipRemoved();
    const first = this.arrival[this.head];
    if (first === undefined) {
      return { replayFrom: nextOffset, clockBefore: Number.isFinite(this.clock) ? this.clock : null };
    }
    return {
      replayFrom: first.offset,
      clockBefore: Number.isFinite(first.clockBefore) ? first.clockBefore : null,
    };
  }

  currentStats(): WindowStats {
    this.stats.keys = this.keyCount;
    this.stats.entries = this.entryCount;
    return this.stats;
  }

  /** The applications of a key currently in state (tests, debugging). */
  entriesOf(keyPath: string, key: string): string[] {
    return (this.keys.get(keyPath)?.get(key)?.entries ?? []).map((e) => e.id);
  }

  private evaluate(ks: KeyState, group: KeyGroup, t: number, emit: boolean, detectedAt: Date): FraudAlert[] {
    const alerts: FraudAlert[] = [];
    for (const rule of group.rules) {
      for (const e of ks.entries) {
        if (e.t < t - rule.windowMs) continue;
        if (e.t > t + rule.windowMs) break;
        if (e.marks?.includes(rule.ref)) continue;
        const best = bestWindow(ks.entries, e.t, rule);
        if (best.value < rule.threshold) continue;
        e.marks = e.marks === undefined ? [rule.ref] : [...e.marks, rule.ref];
        if (emit) alerts.push(this.toAlert(rule, ks, e, best, detectedAt));
      }
    }
    return alerts;
  }

  private toAlert(rule: WindowRule, ks: KeyState, e: Entry, best: Best, detectedAt: Date): FraudAlert {
    const personal = isPersonalField(ks.keyPath);
    const inWindow = ks.entries.slice(best.from, best.to);
    const evidence: Record<string, unknown> = {
      kind: rule.kind,
      keyField: ks.keyPath,
      // Personal keys (e-mail, phone, IP) are not repeated in the alert; the application has them.
      ...(personal ? {} : { key: ks.key }),
      threshold: rule.threshold,
      windowMs: rule.windowMs,
      windowStart: new Date(best.start).toISOString(),
      windowEnd: new Date(best.start + rule.windowMs).toISOString(),
      count: inWindow.length,
      applicationIds: inWindow.slice(0, MAX_EVIDENCE_IDS).map((x) => x.id),
    };
    if (rule.kind === 'distinctCount') {
      evidence.distinctField = rule.distinctPath;
      evidence.distinctCount = best.value;
    }
    return {
      alertId: alertId(e.id, rule.id, rule.version),
      applicationId: e.id,
      customerId: e.customerId,
      ruleId: rule.id,
      ruleVersion: rule.version,
      ruleKind: rule.kind,
      ruleSetVersion: this.rules.version,
      severity: rule.severity,
      reasonCode: rule.reasonCode,
      mode: rule.mode,
      eventTime: new Date(e.t).toISOString(),
      detectedAt: detectedAt.toISOString(),
      evidence,
    };
  }

  /** Window times below this can no longer matter for a key of `group` (see the module comment). */
  private floor(group: KeyGroup): number {
    return this.clock - this.rules.allowedLatenessMs - this.horizonMs - group.maxWindowMs;
  }

  /** Drops entries of one key that can no longer matter, and enforces the per-key cap. */
  private purgeKey(ks: KeyState, group: KeyGroup): void {
    const floor = this.floor(group);
    let dead = 0;
    while (dead < ks.entries.length && (ks.entries[dead] as Entry).t < floor) dead++;
    let drop = dead;
    const over = ks.entries.length - dead - this.rules.maxEntriesPerKey;
    if (over > 0) {
      drop += over;
      this.stats.forcedEvictions += over;
    }
    if (drop === 0) return;
    for (const e of ks.entries.splice(0, drop)) this.markRemoved(e);
    if (ks.entries.length === 0) this.deleteKey(ks);
  }

  private markRemoved(e: Entry): void {
    if (e.removed) return;
    e.removed = true;
    this.entryCount--;
  }

  /** Drops one entry of a key (and the key with its last entry). */
  private removeEntry(ks: KeyState, e: Entry): void {
    const idx = ks.entries.indexOf(e);
    if (idx >= 0) ks.entries.splice(idx, 1);
    this.markRemoved(e);
    if (ks.entries.length === 0) this.deleteKey(ks);
  }

  private deleteKey(ks: KeyState): void {
    const byKey = this.keys.get(ks.keyPath);
    if (byKey?.get(ks.key) !== ks) return;
    byKey.delete(ks.key);
    this.keyCount--;
  }

  private skipRemoved(): void {
    while (this.head < this.arrival.length && (this.arrival[this.head] as Entry).removed) this.head++;
    this.compact();
  }

  /**
   * Walks the arrival order from the oldest: drops entries below their key's floor (a key goes with
   * its last entry) and enforces the partition cap. Arrival order follows receipt order closely and an
   * entry's window time is never after its receipt, so the oldest arrivals are the first to expire; a
   * backdated entry behind a live one waits at most until that one expires too (bounded by the horizon).
   */
  private evict(): void {
    while (this.head < this.arrival.length) {
      const e = this.arrival[this.head] as Entry;
      if (e.removed) {
        this.head++;
        continue;
      }
      const ks = e.ks;
      const group = this.rules.keyGroups.get(ks.keyPath);
      const expired = group === undefined || e.t < this.floor(group);
      if (!expired && this.entryCount <= this.maxEntries) break;
      if (!expired) this.stats.forcedEvictions++;
      this.removeEntry(ks, e);
      this.head++;
    }
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.arrival.length) {
      this.arrival = this.arrival.slice(this.head);
      this.head = 0;
    }
  }
}

function insertSorted(entries: Entry[], e: Entry): void {
  let i = entries.length;
  while (i > 0) {
    const prev = entries[i - 1] as Entry;
    if (prev.t < e.t || (prev.t === e.t && prev.id <= e.id)) break;
    i--;
  }
  entries.splice(i, 0, e);
}

interface Best {
  value: number;
  start: number;
  /** Index range [from, to) of the entries in the best window. */
  from: number;
  to: number;
}

/**
 * The largest count (velocity) or number of distinct values (distinctCount) over the windows
 * `[s, s + window]` that contain `tE`, where s runs over the entries' times (an optimal window can
 * always be slid right until it starts at an entry). Sliding two pointers: O(entries).
 */
export function bestWindow(
  entries: ReadonlyArray<{ t: number; values: Record<string, string> | undefined }>,
  tE: number,
  rule: Pick<WindowRule, 'windowMs' | 'distinctPath'>,
): Best {
  const W = rule.windowMs;
  const path = rule.distinctPath;
  let lo = 0;
  while (lo < entries.length && (entries[lo] as { t: number }).t < tE - W) lo++;
  const best: Best = { value: 0, start: tE, from: lo, to: lo };
  const counts = new Map<string, number>();
  let k = lo;
  for (let j = lo; j < entries.length; j++) {
    const start = (entries[j] as { t: number }).t;
    if (start > tE) break;
    while (k < entries.length && (entries[k] as { t: number }).t <= start + W) {
      if (path !== undefined) {
        const v = entries[k]?.values?.[path];
        if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      k++;
    }
    const value = path === undefined ? k - j : counts.size;
    if (value > best.value) {
      best.value = value;
      best.start = start;
      best.from = j;
      best.to = k;
    }
    if (path !== undefined) {
      const v = entries[j]?.values?.[path];
      if (v !== undefined) {
        const c = (counts.get(v) ?? 0) - 1;
        if (c <= 0) counts.delete(v);
        else counts.set(v, c);
      }
    }
  }
  return best;
}
