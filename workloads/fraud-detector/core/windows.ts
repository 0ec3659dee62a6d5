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
import { DEFAULT_HORIZON_MS, type EventTimes, eventTimes, isBeyondHorizon } from './event-time.ts';
import { KeyTable } from './key-table.ts';

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
  /**
   * `eventTimes(record.submittedAt, record.receivedAt)` when the caller has it already (an
   * application under several keys is parsed once); computed here otherwise.
   */
  times?: EventTimes | undefined;
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

/**
 * What most inputs return: no alerts. One shared, frozen array (callers read it, never change it), so
 * the common case allocates nothing.
 */
const NO_ALERTS: FraudAlert[] = Object.freeze([]) as unknown as FraudAlert[];

/**
 * The state is a column store (what makes tens of millions of keys fit in a pod): an entry is an
 * index into typed arrays (window time, clock before, offset, marks, application id as four 32-bit
 * words) plus two string references (its key, shared with the key map, and its customer id); the
 * counted fields of distinctCount rules are kept as 52-bit hashes of their values (two values count
 * as one only if their hashes collide: about 2^-52 per pair). A key with one entry maps to that index;
 * with more, to an array of indices sorted by window time, then application id.
 */
interface GroupSlot {
  keyPath: string;
  /** Canonical paths of the counted fields, in the order their hashes are stored. */
  paths: string[];
  keys: KeyLists;
}

/** Handles of multi-entry lists are stored in the key table above this (entry indices stay below). */
const LIST = 0x40000000;

/**
 * A key → entry index, or → list of entry indices (a key with several entries), over a KeyTable;
 * the key strings live with the entries (`keyOf`) and, for lists, in `listKey`.
 */
class KeyLists {
  private readonly table: KeyTable;
  private readonly lists: number[][] = [];
  private readonly listKey: string[] = [];
  private readonly freeHandles: number[] = [];

  constructor(entryKey: (e: number) => string) {
    this.table = new KeyTable((v) => (v >= LIST ? (this.listKey[v - LIST] as string) : entryKey(v)));
  }

  get(key: string): number | number[] | undefined {
    const v = this.table.get(key);
    return v === undefined ? undefined : v >= LIST ? (this.lists[v - LIST] as number[]) : v;
  }

  set(key: string, value: number | number[]): void {
    const v = this.table.get(key);
    const handle = v !== undefined && v >= LIST ? v - LIST : undefined;
    if (typeof value === 'number') {
      this.table.set(key, value);
      if (handle !== undefined) this.release(handle);
    } else if (handle !== undefined) this.lists[handle] = value;
    else {
      const h = this.freeHandles.pop() ?? this.lists.length;
      this.lists[h] = value;
      this.listKey[h] = key;
      this.table.set(key, LIST + h);
    }
  }

  delete(key: string): void {
    const v = this.table.get(key);
    if (v === undefined) return;
    this.table.delete(key);
    if (v >= LIST) this.release(v - LIST);
  }

  private release(h: number): void {
    this.lists[h] = [];
    this.listKey[h] = '';
    this.freeHandles.push(h);
  }
}

/** Application ids in the canonical (lower-case UUID) form are stored as four words; others as text. */
function parseUuid(id: string, words: Uint32Array, at: number): boolean {
  if (id.length !== 36) return false;
  let w = 0;
  let n = 0;
  let word = 0;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
      continue;
    }
    let v: number;
    if (c >= 48 && c <= 57) v = c - 48;
    else if (c >= 97 && c <= 102) v = c - 87;
    else return false;
    word = word * 16 + v;
    if (++n === 8) {
      words[at + w++] = word;
      word = 0;
      n = 0;
    }
  }
  return true;
}

const hex8 = (w: number) => w.toString(16).padStart(8, '0');

/** A 52-bit hash of a string (two independent 32-bit mixes), exact in a double. */
export function valueHash(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b ^= b >>> 16;
  return (a >>> 0) * 0x100000 + (b >>> 12);
}

/** Marks: the first 31 rule refs seen get a bit each; later ones live in a side map. */
const MARK_BITS = 31;

export class PartitionWindows {
  private rules: CompiledRuleSet;
  private readonly groups = new Map<string, GroupSlot>();
  private readonly groupList: GroupSlot[] = [];
  /** Values per entry (the most any group counts). */
  private stride = 0;
  private keyCount = 0;
  private entryCount = 0;
  private clock: number;
  /** The offset of the last input, and the clock before the first input at that offset. */
  private currentOffset = Number.NaN;
  private offsetClockBefore = Number.NEGATIVE_INFINITY;
  private readonly maxEntries: number;
  private readonly horizonMs: number;
  private readonly markBits = new Map<string, number>();
  private readonly extraMarks = new Map<number, Set<string>>();
  private readonly textIds = new Map<number, string>();

  // Columns (capacity `cap`).
  private cap = 0;
  private t = new Float64Array(0);
  private clk = new Float64Array(0);
  private off = new Float64Array(0);
  private marks = new Uint32Array(0);
  private ids = new Uint32Array(0);
  private vals = new Float64Array(0);
  /** Bit 0: live (in its key's list); bit 1: id held as text; bits 2-7: unused. */
  private flags = new Uint8Array(0);
  private grp = new Uint16Array(0);
  private keyOf: string[] = [];
  private cust: string[] = [];
  /** Slots ever used; freed slots are reused (`free`) once the arrival order has passed them. */
  private used = 0;
  private free: number[] = [];
  /** Entries in arrival order (a ring of slot indices). */
  private arrival = new Int32Array(1024);
  private head = 0;
  private size = 0;
  private scratch = new Uint32Array(4);
  /** bestWindow's result and value counts (reused: it runs for every entry near every input). */
  private readonly best: Best = { value: 0, start: 0, from: 0, to: 0 };
  private readonly counts = new Map<number, number>();

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
    this.adoptGroups();
  }

  setRules(rules: CompiledRuleSet): void {
    this.rules = rules;
    this.adoptGroups();
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
    const slot = this.groups.get(input.keyPath);
    if (group === undefined || slot === undefined) return { outcome: 'no-rules', alerts: NO_ALERTS };
    const times = input.times ?? eventTimes(input.record.submittedAt, input.record.receivedAt);
    if (times === undefined) return { outcome: 'bad-time', alerts: NO_ALERTS };
    if (isBeyondHorizon(times, this.horizonMs)) {
      this.stats.beyondHorizon++;
      return { outcome: 'beyond-horizon', alerts: NO_ALERTS };
    }
    const t = times.window;
    const id = input.record.applicationId;
    const canonical = parseUuid(id, this.scratch, 0);
    const existing = slot.keys.get(input.key);
    if (existing !== undefined) {
      const list = typeof existing === 'number' ? [existing] : existing;
      if (list.some((e) => this.sameId(e, id, canonical))) {
        this.stats.duplicates++;
        return { outcome: 'duplicate', alerts: NO_ALERTS };
      }
    }
    const clockBefore = this.offsetClockBefore;
    const late = t < this.clock - this.rules.allowedLatenessMs - this.horizonMs;
    if (late) this.stats.late++;
    if (times.received > this.clock) this.clock = times.received;

    const e = this.allocate();
    this.t[e] = t;
    this.clk[e] = clockBefore;
    this.off[e] = input.offset;
    this.marks[e] = 0;
    this.flags[e] = canonical ? 1 : 3;
    if (canonical) this.ids.set(this.scratch, e * 4);
    else this.textIds.set(e, id);
    this.grp[e] = this.groupList.indexOf(slot);
    this.cust[e] = input.record.customerId;
    for (let j = 0; j < this.stride; j++) {
      const path = slot.paths[j];
      const v = path === undefined ? undefined : input.record.fields[path];
      this.vals[e * this.stride + j] = typeof v === 'string' ? valueHash(v) : Number.NaN;
    }
    let list: number[];
    if (existing === undefined) {
      // The key string is shared by the map and the entry.
      this.keyOf[e] = input.key;
      slot.keys.set(input.key, e);
      this.keyCount++;
      list = [e];
    } else {
      this.keyOf[e] = this.keyOf[typeof existing === 'number' ? existing : (existing[0] as number)] as string;
      list = typeof existing === 'number' ? [existing] : existing;
      this.insertSorted(list, e);
      slot.keys.set(this.keyOf[e] as string, list);
    }
    this.pushArrival(e);
    this.entryCount++;

    // Evaluated before anything is dropped, so even a late arrival is judged against what is left.
    const alerts = this.evaluate(slot, list, group, t, emit, detectedAt);
    this.purgeKey(slot, this.keyOf[e] as string, group);
    this.evict();
    return { outcome: late ? 'late' : 'accepted', alerts };
  }

  /** Where to replay from to rebuild this state (see the module comment). */
  checkpoint(nextOffset: number): Checkpoint {
    this.skipRemoved();
    if (this.size === 0) {
      return { replayFrom: nextOffset, clockBefore: Number.isFinite(this.clock) ? this.clock : null };
    }
    const first = this.arrival[this.head] as number;
    const clockBefore = this.clk[first] as number;
    return {
      replayFrom: this.off[first] as number,
      clockBefore: Number.isFinite(clockBefore) ? clockBefore : null,
    };
  }

  currentStats(): WindowStats {
    this.stats.keys = this.keyCount;
    this.stats.entries = this.entryCount;
    return this.stats;
  }

  /** The applications of a key currently in state (tests, debugging). */
  entriesOf(keyPath: string, key: string): string[] {
    const v = this.groups.get(keyPath)?.keys.get(key);
    if (v === undefined) return [];
    return (typeof v === 'number' ? [v] : v).map((e) => this.idOf(e));
  }

  // ---------------------------------------------------------------------------------------------

  /** Group slots for the rule set's key groups; the stored values follow their paths. */
  private adoptGroups(): void {
    const changed: Array<[GroupSlot, string[]]> = [];
    for (const group of this.rules.keyGroups.values()) {
      let slot = this.groups.get(group.keyPath);
      if (slot === undefined) {
        slot = {
          keyPath: group.keyPath,
          paths: [...group.distinctPaths],
          keys: new KeyLists((e) => this.keyOf[e] as string),
        };
        this.groups.set(group.keyPath, slot);
        this.groupList.push(slot);
      } else if (slot.paths.join('\n') !== group.distinctPaths.join('\n')) {
        changed.push([slot, [...group.distinctPaths]]);
      }
    }
    const stride = Math.max(
      this.stride,
      ...this.groupList.map((g) => g.paths.length),
      ...changed.map(([, p]) => p.length),
    );
    if (changed.length === 0 && stride === this.stride) return;
    // Re-lay the stored hashes out by path (a value the entry was not sent with is absent).
    const vals = new Float64Array(this.cap * stride).fill(Number.NaN);
    const newPaths = new Map(changed);
    for (let e = 0; e < this.used; e++) {
      if (((this.flags[e] as number) & 1) === 0) continue;
      const slot = this.groupList[this.grp[e] as number] as GroupSlot;
      const target = newPaths.get(slot) ?? slot.paths;
      target.forEach((path, j) => {
        const i = slot.paths.indexOf(path);
        if (i >= 0) vals[e * stride + j] = this.vals[e * this.stride + i] as number;
      });
    }
    for (const [slot, paths] of changed) slot.paths = paths;
    this.vals = vals;
    this.stride = stride;
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.cap) this.grow(Math.max(1024, Math.ceil(this.cap * 1.25)));
    return this.used++;
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array, n = 1) => {
      const b = new Float64Array(cap * n);
      b.set(a);
      return b;
    };
    this.t = f64(this.t);
    this.clk = f64(this.clk);
    this.off = f64(this.off);
    const vals = new Float64Array(cap * this.stride).fill(Number.NaN);
    vals.set(this.vals);
    this.vals = vals;
    const marks = new Uint32Array(cap);
    marks.set(this.marks);
    this.marks = marks;
    const ids = new Uint32Array(cap * 4);
    ids.set(this.ids);
    this.ids = ids;
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
    const grp = new Uint16Array(cap);
    grp.set(this.grp);
    this.grp = grp;
    this.cap = cap;
  }

  private pushArrival(e: number): void {
    if (this.size === this.arrival.length) {
      const next = new Int32Array(Math.ceil(this.arrival.length * 1.5));
      for (let i = 0; i < this.size; i++)
        next[i] = this.arrival[(this.head + i) % this.arrival.length] as number;
      this.arrival = next;
      this.head = 0;
    }
    this.arrival[(this.head + this.size) % this.arrival.length] = e;
    this.size++;
  }

  /** Removes the oldest arrival (its slot becomes reusable). */
  private popArrival(): void {
    const e = this.arrival[this.head] as number;
    this.head = (this.head + 1) % this.arrival.length;
    this.size--;
    this.free.push(e);
  }

  private sameId(e: number, id: string, canonical: boolean): boolean {
    if (((this.flags[e] as number) & 2) !== 0 || !canonical) return this.idOf(e) === id;
    const at = e * 4;
    const s = this.scratch;
    return (
      this.ids[at] === s[0] &&
      this.ids[at + 1] === s[1] &&
      this.ids[at + 2] === s[2] &&
      this.ids[at + 3] === s[3]
    );
  }

  private idOf(e: number): string {
    if (((this.flags[e] as number) & 2) !== 0) return this.textIds.get(e) as string;
    const at = e * 4;
    const w1 = hex8(this.ids[at + 1] as number);
    const w2 = hex8(this.ids[at + 2] as number);
    return `${hex8(this.ids[at] as number)}-${w1.slice(0, 4)}-${w1.slice(4)}-${w2.slice(0, 4)}-${w2.slice(4)}${hex8(this.ids[at + 3] as number)}`;
  }

  /** Window time, then application id (as the id's text sorts). */
  private before(a: number, b: number): boolean {
    const ta = this.t[a] as number;
    const tb = this.t[b] as number;
    if (ta !== tb) return ta < tb;
    if (((this.flags[a] as number) | (this.flags[b] as number)) & 2) return this.idOf(a) <= this.idOf(b);
    for (let i = 0; i < 4; i++) {
      const x = this.ids[a * 4 + i] as number;
      const y = this.ids[b * 4 + i] as number;
      if (x !== y) return x < y;
    }
    return true;
  }

  private insertSorted(list: number[], e: number): void {
    let i = list.length;
    while (i > 0 && !this.before(list[i - 1] as number, e)) i--;
    list.splice(i, 0, e);
  }

  private isMarked(e: number, ref: string): boolean {
    const bit = this.markBits.get(ref);
    if (bit !== undefined) return ((this.marks[e] as number) & (1 << bit)) !== 0;
    return this.extraMarks.get(e)?.has(ref) ?? false;
  }

  private mark(e: number, ref: string): void {
    let bit = this.markBits.get(ref);
    if (bit === undefined && this.markBits.size < MARK_BITS) {
      bit = this.markBits.size;
      this.markBits.set(ref, bit);
    }
    if (bit !== undefined) this.marks[e] = (this.marks[e] as number) | (1 << bit);
    else {
      let set = this.extraMarks.get(e);
      if (set === undefined) {
        set = new Set();
        this.extraMarks.set(e, set);
      }
      set.add(ref);
    }
  }

  private evaluate(
    slot: GroupSlot,
    list: number[],
    group: KeyGroup,
    t: number,
    emit: boolean,
    detectedAt: Date,
  ): FraudAlert[] {
    let alerts = NO_ALERTS;
    for (const rule of group.rules) {
      const j = rule.distinctPath === undefined ? -1 : slot.paths.indexOf(rule.distinctPath);
      for (const e of list) {
        const te = this.t[e] as number;
        if (te < t - rule.windowMs) continue;
        if (te > t + rule.windowMs) break;
        if (this.isMarked(e, rule.ref)) continue;
        const best = this.bestWindow(list, te, rule.windowMs, rule.distinctPath === undefined ? -1 : j);
        if (best.value < rule.threshold) continue;
        this.mark(e, rule.ref);
        if (!emit) continue;
        if (alerts === NO_ALERTS) alerts = [];
        alerts.push(this.toAlert(rule, slot, list, e, best, detectedAt));
      }
    }
    return alerts;
  }

  /**
   * The largest count (velocity, `j` = -1) or number of distinct values of the `j`th counted field
   * over the windows `[s, s + W]` that contain `tE`, where s runs over the entries' times (an optimal
   * window can always be slid right until it starts at an entry). Sliding two pointers: O(entries).
   * The result and the value counts are the state's own scratch objects, valid until the next call.
   */
  private bestWindow(list: number[], tE: number, W: number, j: number): Best {
    const stride = this.stride;
    let lo = 0;
    while (lo < list.length && (this.t[list[lo] as number] as number) < tE - W) lo++;
    const best = this.best;
    best.value = 0;
    best.start = tE;
    best.from = lo;
    best.to = lo;
    let counts: Map<number, number> | undefined;
    if (j >= 0) {
      counts = this.counts;
      counts.clear();
    }
    let k = lo;
    for (let i = lo; i < list.length; i++) {
      const start = this.t[list[i] as number] as number;
      if (start > tE) break;
      while (k < list.length && (this.t[list[k] as number] as number) <= start + W) {
        if (counts !== undefined) {
          const v = this.vals[(list[k] as number) * stride + j] as number;
          if (!Number.isNaN(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
        }
        k++;
      }
      const value = counts === undefined ? k - i : counts.size;
      if (value > best.value) {
        best.value = value;
        best.start = start;
        best.from = i;
        best.to = k;
      }
      if (counts !== undefined) {
        const v = this.vals[(list[i] as number) * stride + j] as number;
        if (!Number.isNaN(v)) {
          const c = (counts.get(v) ?? 0) - 1;
          if (c <= 0) counts.delete(v);
          else counts.set(v, c);
        }
      }
    }
    return best;
  }

  private toAlert(
    rule: WindowRule,
    slot: GroupSlot,
    list: number[],
    e: number,
    best: Best,
    detectedAt: Date,
  ): FraudAlert {
    const personal = isPersonalField(slot.keyPath);
    const inWindow = list.slice(best.from, best.to);
    const evidence: Record<string, unknown> = {
      kind: rule.kind,
      keyField: slot.keyPath,
      // Personal keys (e-mail, phone, IP) are not repeated in the alert; the application has them.
      ...(personal ? {} : { key: this.keyOf[e] }),
      threshold: rule.threshold,
      windowMs: rule.windowMs,
      windowStart: new Date(best.start).toISOString(),
      windowEnd: new Date(best.start + rule.windowMs).toISOString(),
      count: inWindow.length,
      applicationIds: inWindow.slice(0, MAX_EVIDENCE_IDS).map((x) => this.idOf(x)),
    };
    if (rule.kind === 'distinctCount') {
      evidence.distinctField = rule.distinctPath;
      evidence.distinctCount = best.value;
    }
    const id = this.idOf(e);
    return {
      alertId: alertId(id, rule.id, rule.version),
      applicationId: id,
      customerId: this.cust[e] as string,
      ruleId: rule.id,
      ruleVersion: rule.version,
      ruleKind: rule.kind,
      ruleSetVersion: this.rules.version,
      severity: rule.severity,
      reasonCode: rule.reasonCode,
      mode: rule.mode,
      eventTime: new Date(this.t[e] as number).toISOString(),
      detectedAt: detectedAt.toISOString(),
      evidence,
    };
  }

  /** Window times below this can no longer matter for a key of `group` (see the module comment). */
  private floor(group: KeyGroup): number {
    return this.clock - this.rules.allowedLatenessMs - this.horizonMs - group.maxWindowMs;
  }

  /** Drops entries of one key that can no longer matter, and enforces the per-key cap. */
  private purgeKey(slot: GroupSlot, key: string, group: KeyGroup): void {
    const v = slot.keys.get(key);
    if (v === undefined) return;
    const list = typeof v === 'number' ? [v] : v;
    const floor = this.floor(group);
    let dead = 0;
    while (dead < list.length && (this.t[list[dead] as number] as number) < floor) dead++;
    let drop = dead;
    const over = list.length - dead - this.rules.maxEntriesPerKey;
    if (over > 0) {
      drop += over;
      this.stats.forcedEvictions += over;
    }
    if (drop === 0) return;
    const removed = list.splice(0, drop);
    this.storeList(slot, key, list); // while the removed entries still name their key
    for (const e of removed) this.markRemoved(e);
  }

  /** A key's list after a change: one entry maps to its index, none drops the key. */
  private storeList(slot: GroupSlot, key: string, list: number[]): void {
    if (list.length === 0) {
      slot.keys.delete(key);
      this.keyCount--;
    } else slot.keys.set(key, list.length === 1 ? (list[0] as number) : list);
  }

  private markRemoved(e: number): void {
    if (((this.flags[e] as number) & 1) === 0) return;
    this.flags[e] = (this.flags[e] as number) & ~1;
    this.entryCount--;
    this.keyOf[e] = '';
    this.cust[e] = '';
    this.textIds.delete(e);
    this.extraMarks.delete(e);
  }

  /** Drops one entry of a key (and the key with its last entry). */
  private removeEntry(e: number): void {
    const slot = this.groupList[this.grp[e] as number] as GroupSlot;
    const key = this.keyOf[e] as string;
    const v = slot.keys.get(key);
    if (v !== undefined) {
      const list = typeof v === 'number' ? [v] : v;
      const idx = list.indexOf(e);
      if (idx >= 0) list.splice(idx, 1);
      this.storeList(slot, key, list);
    }
    this.markRemoved(e);
  }

  private skipRemoved(): void {
    while (this.size > 0 && ((this.flags[this.arrival[this.head] as number] as number) & 1) === 0)
      this.popArrival();
  }

  /**
   * Walks the arrival order from the oldest: drops entries below their key's floor (a key goes with
   * its last entry) and enforces the partition cap. Arrival order follows receipt order closely and an
   * entry's window time is never after its receipt, so the oldest arrivals are the first to expire; a
   * backdated entry behind a live one waits at most until that one expires too (bounded by the horizon).
   */
  private evict(): void {
    while (this.size > 0) {
      const e = this.arrival[this.head] as number;
      if (((this.flags[e] as number) & 1) === 0) {
        this.popArrival();
        continue;
      }
      const slot = this.groupList[this.grp[e] as number] as GroupSlot;
      const group = this.rules.keyGroups.get(slot.keyPath);
      const expired = group === undefined || (this.t[e] as number) < this.floor(group);
      if (!expired && this.entryCount <= this.maxEntries) break;
      if (!expired) this.stats.forcedEvictions++;
      this.removeEntry(e);
      this.popArrival();
    }
  }
}

interface Best {
  value: number;
  start: number;
  /** Index range [from, to) of the entries in the best window. */
  from: number;
  to: number;
}
