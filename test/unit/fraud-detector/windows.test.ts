import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FraudAlert } from '../../../api/alert.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { PartitionWindows } from '../../../workloads/fraud-detector/core/windows.ts';
import type { CompiledRuleSet } from '../../../workloads/fraud-detector/rules/compile.ts';
import { MIN, makeEvent, recordOf, ruleSet, T0 } from './fixtures.ts';

const NOW = new Date('2026-03-10T13:00:00Z');

const velocity = (threshold = 3, window = '10m', settings: Record<string, unknown> = {}) =>
  ruleSet([{ id: 'vel', kind: 'velocity', key: 'deviceId', window, threshold }], settings);

function feed(w: PartitionWindows, events: ApplicationEvent[], from = 0, emit = true) {
  const alerts: FraudAlert[] = [];
  const outcomes: string[] = [];
  events.forEach((event, i) => {
    const r = w.process(
      { keyPath: 'channel.deviceId', key: event.channel.deviceId, offset: from + i, record: recordOf(event) },
      emit,
      NOW,
    );
    outcomes.push(r.outcome);
    alerts.push(...r.alerts);
  });
  return { alerts, outcomes };
}

const ids = (alerts: FraudAlert[]) => alerts.map((a) => a.applicationId).sort();

describe('velocity windows', () => {
  it('flags every member of a burst reaching the threshold, including the earlier ones', () => {
    const w = new PartitionWindows(velocity(3));
    const evs = [0, 1, 2].map((m) => makeEvent({ id: `a${m}`, t: T0 + m * MIN }));
    const first = feed(w, evs.slice(0, 2));
    expect(first.alerts).toEqual([]);
    const third = feed(w, evs.slice(2), 2);
    expect(ids(third.alerts)).toEqual(['a0', 'a1', 'a2']);
    expect(third.alerts[0]?.evidence).toMatchObject({
      count: 3,
      threshold: 3,
      keyField: 'channel.deviceId',
      key: 'dev-1',
    });
  });

  it('counts events exactly one window apart together, and not one millisecond more', () => {
    const inside = new PartitionWindows(velocity(2, '10m'));
    expect(
      feed(inside, [makeEvent({ id: 'x', t: T0 }), makeEvent({ id: 'y', t: T0 + 10 * MIN })]).alerts,
    ).toHaveLength(2);
    const outside = new PartitionWindows(velocity(2, '10m'));
    expect(
      feed(outside, [makeEvent({ id: 'x', t: T0 }), makeEvent({ id: 'y', t: T0 + 10 * MIN + 1 })]).alerts,
    ).toHaveLength(0);
  });

  it('does not join two bursts further apart than the window, and keys do not mix', () => {
    const w = new PartitionWindows(velocity(3, '10m'));
    const evs = [
      makeEvent({ id: 'a', t: T0 }),
      makeEvent({ id: 'b', t: T0 + 6 * MIN }),
      makeEvent({ id: 'c', t: T0 + 12 * MIN }),
      makeEvent({ id: 'other', t: T0 + 7 * MIN, deviceId: 'dev-2' }),
    ];
    // a..c span 12 minutes: no 10-minute window holds three.
    expect(feed(w, evs).alerts).toEqual([]);
    // d at +13 makes b, c, d a burst (+6..+13); a stays unflagged.
    expect(ids(feed(w, [makeEvent({ id: 'd', t: T0 + 13 * MIN })], 4).alerts)).toEqual(['b', 'c', 'd']);
  });

  it('raises each alert once per application and rule version', () => {
    const w = new PartitionWindows(velocity(2));
    const evs = [0, 1, 2, 3].map((m) => makeEvent({ id: `a${m}`, t: T0 + m * MIN }));
    const all = feed(w, evs).alerts.map((a) => a.alertId);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(4);
  });

  it('ignores a duplicate application id (a re-published event)', () => {
    const w = new PartitionWindows(velocity(2));
    const e = makeEvent({ id: 'dup', t: T0 });
    const r = feed(w, [e, e]);
    expect(r.outcomes).toEqual(['accepted', 'duplicate']);
    expect(r.alerts).toEqual([]);
    expect(w.currentStats().duplicates).toBe(1);
  });
});

describe('lateness', () => {
  it('accepts an event exactly allowedLateness behind its key, and drops one a millisecond older', () => {
    const rules = velocity(2, '10m', { allowedLateness: '5m' });
    const w = new PartitionWindows(rules);
    feed(w, [makeEvent({ id: 'new', t: T0 + 30 * MIN })]);
    const onEdge = feed(w, [makeEvent({ id: 'edge', t: T0 + 25 * MIN })], 1);
    expect(onEdge.outcomes).toEqual(['accepted']);
    expect(ids(onEdge.alerts)).toEqual(['edge', 'new']);
    const tooLate = feed(w, [makeEvent({ id: 'late', t: T0 + 25 * MIN - 1 })], 2);
    expect(tooLate.outcomes).toEqual(['late']);
    expect(tooLate.alerts).toEqual([]);
    expect(w.currentStats().late).toBe(1);
    expect(w.entriesOf('channel.deviceId', 'dev-1')).not.toContain('late');
  });

  it('judges lateness per key: a key far behind the partition is not late', () => {
    const w = new PartitionWindows(velocity(2, '10m', { allowedLateness: '1m', keyIdleTimeout: '1d' }));
    feed(w, [makeEvent({ id: 'ahead', t: T0 + 600 * MIN, deviceId: 'fast' })]);
    const r = feed(
      w,
      [
        makeEvent({ id: 'b1', t: T0, deviceId: 'slow' }),
        makeEvent({ id: 'b2', t: T0 + MIN, deviceId: 'slow' }),
      ],
      1,
    );
    expect(r.outcomes).toEqual(['accepted', 'accepted']);
    expect(ids(r.alerts)).toEqual(['b1', 'b2']);
  });
});

describe('distinct-count windows', () => {
  const rules = ruleSet([
    { id: 'ring', kind: 'distinctCount', key: 'deviceId', field: 'customerId', window: '1h', threshold: 3 },
  ]);

  it('counts distinct values, not applications', () => {
    const w = new PartitionWindows(rules);
    const same = [0, 1, 2, 3].map((m) => makeEvent({ id: `s${m}`, t: T0 + m * MIN, customerId: 'C-1' }));
    expect(feed(w, same).alerts).toEqual([]);
    const r = feed(
      w,
      [
        makeEvent({ id: 'x', t: T0 + 5 * MIN, customerId: 'C-2' }),
        makeEvent({ id: 'y', t: T0 + 6 * MIN, customerId: 'C-3' }),
      ],
      4,
    );
    expect(ids(r.alerts)).toEqual(['s0', 's1', 's2', 's3', 'x', 'y']);
    expect(r.alerts.find((a) => a.applicationId === 'y')?.evidence).toMatchObject({
      distinctField: 'applicant.customerId',
      distinctCount: 3,
    });
  });

  it('keeps personal key values out of the evidence', () => {
    const byEmail = ruleSet([{ id: 'e', kind: 'velocity', key: 'email', window: '1h', threshold: 2 }]);
    const w = new PartitionWindows(byEmail);
    const alerts = [0, 1].flatMap(
      (m) =>
        w.process(
          {
            keyPath: 'applicant.email',
            key: 'ada@example.test',
            offset: m,
            record: recordOf(makeEvent({ id: `e${m}`, t: T0 + m })),
          },
          true,
          NOW,
        ).alerts,
    );
    expect(alerts).toHaveLength(2);
    expect(JSON.stringify(alerts)).not.toContain('ada@example.test');
  });
});

describe('order independence', () => {
  it('flags the same applications whatever the arrival order, when none is late', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ minute: fc.integer({ min: 0, max: 90 }), device: fc.constantFrom('d1', 'd2', 'd3') }),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        fc.integer(),
        (specs, seed) => {
          const rules = velocity(3, '10m', { allowedLateness: '2h', keyIdleTimeout: '1d' });
          const events = specs.map((s, i) =>
            makeEvent({ id: `e${String(i).padStart(3, '0')}`, t: T0 + s.minute * MIN, deviceId: s.device }),
          );
          const shuffled = [...events].sort(
            (a, b) => (hash(a.applicationId, seed) - hash(b.applicationId, seed)) | 0,
          );
          const a = ids(feed(new PartitionWindows(rules), events).alerts);
          const b = ids(feed(new PartitionWindows(rules), shuffled).alerts);
          expect(b).toEqual(a);
          // And against a brute-force definition: some 10-minute window containing e holds ≥ 3 of its device.
          const expected = events
            .filter((e) => {
              const te = Date.parse(e.submittedAt);
              const same = events
                .filter((x) => x.channel.deviceId === e.channel.deviceId)
                .map((x) => Date.parse(x.submittedAt));
              return same.some(
                (s) =>
                  s <= te &&
                  te <= s + 10 * MIN &&
                  same.filter((x) => x >= s && x <= s + 10 * MIN).length >= 3,
              );
            })
            .map((e) => e.applicationId)
            .sort();
          expect(a).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function hash(s: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
  return h;
}

describe('bounded state', () => {
  it('drops idle keys once the partition clock passes the idle timeout', () => {
    const rules = velocity(3, '10m', { allowedLateness: '1m', keyIdleTimeout: '30m' });
    const w = new PartitionWindows(rules);
    const evs = Array.from({ length: 100 }, (_, i) =>
      makeEvent({ id: `k${i}`, t: T0 + i * MIN, deviceId: `dev-${i}` }),
    );
    feed(w, evs);
    const stats = w.currentStats();
    // Keys idle for more than 30 minutes (plus the current one) are gone.
    expect(stats.keys).toBeLessThanOrEqual(32);
    expect(stats.entries).toBe(stats.keys);
  });

  it('drops entries of a busy key older than lateness + 2 windows behind it', () => {
    const rules = velocity(1000, '10m', { allowedLateness: '1m', keyIdleTimeout: '1d' });
    const w = new PartitionWindows(rules);
    feed(
      w,
      Array.from({ length: 200 }, (_, i) => makeEvent({ id: `b${i}`, t: T0 + i * MIN })),
    );
    // 21 minutes of horizon at one event per minute.
    expect(w.entriesOf('channel.deviceId', 'dev-1').length).toBeLessThanOrEqual(22);
  });

  it('caps entries per key and counts forced evictions', () => {
    const rules = velocity(1000, '1d', { maxEntriesPerKey: 10 });
    const w = new PartitionWindows(rules);
    feed(
      w,
      Array.from({ length: 25 }, (_, i) => makeEvent({ id: `c${i}`, t: T0 + i })),
    );
    expect(w.entriesOf('channel.deviceId', 'dev-1')).toHaveLength(10);
    expect(w.currentStats().forcedEvictions).toBe(15);
  });
});

describe('checkpoint and replay', () => {
  it('rebuilds, from the checkpoint offset, a state that gives the same alerts as never stopping', () => {
    const rules: CompiledRuleSet = velocity(3, '10m', { allowedLateness: '3m', keyIdleTimeout: '30m' });
    const events = Array.from({ length: 300 }, (_, i) =>
      makeEvent({
        id: `r${String(i).padStart(4, '0')}`,
        t: T0 + i * 20_000 + ((i * 7919) % 5) * 30_000,
        deviceId: `d${(i * 31) % 17}`,
      }),
    );
    const full = feed(new PartitionWindows(rules), events)
      .alerts.map((a) => a.alertId)
      .sort();

    for (const cut of [1, 50, 123, 250]) {
      const first = new PartitionWindows(rules);
      const before = feed(first, events.slice(0, cut)).alerts;
      const cp = first.checkpoint(cut);
      expect(cp.replayFrom).toBeLessThanOrEqual(cut);
      // A new owner: replay [replayFrom, cut) without emitting, then continue live.
      const second = new PartitionWindows(rules, { clock: cp.clockBefore });
      const replay = feed(second, events.slice(cp.replayFrom, cut), cp.replayFrom, false);
      expect(replay.alerts).toEqual([]);
      const after = feed(second, events.slice(cut), cut).alerts;
      const combined = [...before, ...after].map((a) => a.alertId).sort();
      expect(combined, `cut at ${cut}`).toEqual(full);
    }
  });

  it('checkpoints at the next offset when nothing is held', () => {
    const w = new PartitionWindows(velocity());
    expect(w.checkpoint(7)).toEqual({ replayFrom: 7, clockBefore: null });
  });
});
