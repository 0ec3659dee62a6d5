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

const HOUR = 60 * MIN;

/** Feeds events in the given order; `received` gives an event's receipt time (default: its submission). */
function feed(
  w: PartitionWindows,
  events: ApplicationEvent[],
  from = 0,
  emit = true,
  received: (e: ApplicationEvent, i: number) => number | undefined = () => undefined,
) {
  const alerts: FraudAlert[] = [];
  const outcomes: string[] = [];
  events.forEach((event, i) => {
    const r = w.process(
      {
        keyPath: 'channel.deviceId',
        key: event.channel.deviceId,
        offset: from + i,
        record: recordOf(event, received(event, from + i)),
      },
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

describe('window time and horizon', () => {
  it('evaluates an application hours out of order against its key, as if it had come in order', () => {
    const w = new PartitionWindows(velocity(3, '10m'));
    const arrival = T0 + 10 * HOUR;
    feed(w, [makeEvent({ id: 'now', t: arrival })]);
    const r = feed(
      w,
      [0, 1, 2].map((m) => makeEvent({ id: `old${m}`, t: T0 + m * MIN })),
      1,
      true,
      () => arrival,
    );
    expect(r.outcomes).toEqual(['accepted', 'accepted', 'accepted']);
    expect(ids(r.alerts)).toEqual(['old0', 'old1', 'old2']);
    expect(w.currentStats().late).toBe(0);
  });

  it('accepts an application exactly one horizon before its receipt, and not one millisecond more', () => {
    const w = new PartitionWindows(velocity(2, '10m'), { horizonMs: 6 * HOUR });
    const receipt = T0 + 6 * HOUR;
    const edge = feed(w, [makeEvent({ id: 'edge', t: T0 })], 0, true, () => receipt);
    expect(edge.outcomes).toEqual(['accepted']);
    const beyond = feed(w, [makeEvent({ id: 'beyond', t: T0 - 1 })], 1, true, () => receipt);
    expect(beyond.outcomes).toEqual(['beyond-horizon']);
    expect(beyond.alerts).toEqual([]);
    expect(w.entriesOf('channel.deviceId', 'dev-1')).toEqual(['edge']);
    expect(w.currentStats().beyondHorizon).toBe(1);
  });

  it('places a far-future submission at its receipt time: it cannot move the key ahead', () => {
    const w = new PartitionWindows(velocity(3, '10m'));
    // Submitted "a year from now", received at T0: counted at T0.
    const future = feed(w, [makeEvent({ id: 'future', t: T0 + 365 * 24 * HOUR })], 0, true, () => T0);
    expect(future.outcomes).toEqual(['accepted']);
    const burst = [1, 2, 3].map((m) => makeEvent({ id: `b${m}`, t: T0 + 30 * MIN + m * MIN }));
    const r = feed(w, burst, 1);
    expect(r.outcomes).toEqual(['accepted', 'accepted', 'accepted']);
    expect(ids(r.alerts)).toEqual(['b1', 'b2', 'b3']);
  });

  it('flags a backdated burst, where its submission times put it', () => {
    const w = new PartitionWindows(velocity(3, '10m'));
    const receipt = T0 + 20 * HOUR;
    const r = feed(
      w,
      [0, 1, 2].map((m) => makeEvent({ id: `back${m}`, t: T0 + m * MIN })),
      0,
      true,
      () => receipt,
    );
    expect(ids(r.alerts)).toEqual(['back0', 'back1', 'back2']);
    expect(r.alerts[0]?.eventTime).toBe(new Date(T0).toISOString());
  });

  it('counts as late (and still evaluates) an application far behind the partition clock near its horizon', () => {
    const rules = velocity(2, '10m', { allowedLateness: '10m' });
    const w = new PartitionWindows(rules, { horizonMs: 2 * HOUR });
    feed(w, [makeEvent({ id: 'ahead', t: T0 + 5 * HOUR, deviceId: 'other' })]);
    // Received at T0 (5 h before the partition clock), submitted 1h59 before that: its windows
    // reach below what the partition must keep, so it is late, but evaluated all the same.
    const r = feed(
      w,
      [makeEvent({ id: 'l1', t: T0 - 119 * MIN }), makeEvent({ id: 'l2', t: T0 - 118 * MIN })],
      1,
      true,
      () => T0,
    );
    expect(r.outcomes).toEqual(['late', 'late']);
    expect(w.currentStats().late).toBe(2);
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
          const rules = velocity(3, '10m');
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

describe('out-of-order input within the horizon', () => {
  it('flags the same applications in time order and shuffled over hours, with receipts stamped on arrival', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            minute: fc.integer({ min: 0, max: 6 * 60 }),
            device: fc.constantFrom('d1', 'd2', 'd3'),
            customer: fc.constantFrom('c1', 'c2', 'c3', 'c4'),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer(),
        (specs, seed) => {
          const rules = ruleSet([
            { id: 'vel', kind: 'velocity', key: 'deviceId', window: '10m', threshold: 3 },
            {
              id: 'ring',
              kind: 'distinctCount',
              key: 'deviceId',
              field: 'customerId',
              window: '1h',
              threshold: 3,
            },
          ]);
          const events = specs
            .map((sp, i) =>
              makeEvent({
                id: `e${String(i).padStart(3, '0')}`,
                t: T0 + sp.minute * MIN,
                deviceId: sp.device,
                customerId: sp.customer,
              }),
            )
            .sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt));
          const shuffled = [...events].sort(
            (a, b) => (hash(a.applicationId, seed) - hash(b.applicationId, seed)) | 0,
          );
          // In order: each received when submitted. Shuffled: all posted after the 6 hours, one a second.
          const inOrder = feed(new PartitionWindows(rules), events);
          const late = feed(
            new PartitionWindows(rules),
            shuffled,
            0,
            true,
            (_e, i) => T0 + 6 * HOUR + i * 1000,
          );
          expect(late.outcomes.every((o) => o === 'accepted')).toBe(true);
          expect(alertKeys(late.alerts)).toEqual(alertKeys(inOrder.alerts));
          expect(new Set(late.alerts.map((a) => a.alertId)).size).toBe(late.alerts.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});

const alertKeys = (alerts: FraudAlert[]) => alerts.map((a) => a.alertId).sort();

function hash(s: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
  return h;
}

describe('bounded state', () => {
  it('drops a key once the receipt clock passes its entries by lateness + horizon + window', () => {
    const rules = velocity(3, '10m', { allowedLateness: '1m' });
    const w = new PartitionWindows(rules, { horizonMs: 30 * MIN });
    const evs = Array.from({ length: 100 }, (_, i) =>
      makeEvent({ id: `k${i}`, t: T0 + i * MIN, deviceId: `dev-${i}` }),
    );
    feed(w, evs);
    const stats = w.currentStats();
    // Keys more than 1 + 30 + 10 minutes behind the clock are gone.
    expect(stats.keys).toBeLessThanOrEqual(42);
    expect(stats.keys).toBeGreaterThanOrEqual(41);
    expect(stats.entries).toBe(stats.keys);
  });

  it('drops entries of a busy key once they fall behind the floor, and keeps the horizon', () => {
    const rules = velocity(1000, '10m', { allowedLateness: '1m' });
    const w = new PartitionWindows(rules, { horizonMs: 60 * MIN });
    feed(
      w,
      Array.from({ length: 200 }, (_, i) => makeEvent({ id: `b${i}`, t: T0 + i * MIN })),
    );
    // 1 + 60 + 10 minutes at one event per minute.
    const held = w.entriesOf('channel.deviceId', 'dev-1').length;
    expect(held).toBeLessThanOrEqual(72);
    expect(held).toBeGreaterThanOrEqual(71);
  });

  it('does not let a backdated entry outlive the horizon of what arrived after it', () => {
    const rules = velocity(1000, '10m', { allowedLateness: '1m' });
    const w = new PartitionWindows(rules, { horizonMs: 60 * MIN });
    feed(w, [makeEvent({ id: 'fresh', t: T0, deviceId: 'a' })]);
    feed(w, [makeEvent({ id: 'backdated', t: T0 - 50 * MIN, deviceId: 'b' })], 1, true, () => T0);
    feed(w, [makeEvent({ id: 'later', t: T0 + 2 * HOUR, deviceId: 'c' })], 2);
    expect(w.entriesOf('channel.deviceId', 'b')).toEqual([]);
    expect(w.currentStats().keys).toBe(1);
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
    const rules: CompiledRuleSet = velocity(3, '10m', { allowedLateness: '3m' });
    const horizonMs = 15 * MIN;
    // Received every 20 s; submitted up to 2 minutes earlier, every 13th one 12 minutes earlier.
    const received = (_e: ApplicationEvent, i: number) => T0 + i * 20_000 + 150_000;
    const events = Array.from({ length: 300 }, (_, i) =>
      makeEvent({
        id: `r${String(i).padStart(4, '0')}`,
        t: T0 + i * 20_000 + ((i * 7919) % 5) * 30_000 - (i % 13 === 0 ? 12 * MIN : 0),
        deviceId: `d${(i * 31) % 17}`,
      }),
    );
    const fullRun = feed(new PartitionWindows(rules, { horizonMs }), events, 0, true, received);
    const full = alertKeys(fullRun.alerts);
    expect(full.length).toBeGreaterThan(0);
    expect(fullRun.outcomes.every((o) => o === 'accepted')).toBe(true);

    for (const cut of [1, 50, 123, 250]) {
      const first = new PartitionWindows(rules, { horizonMs });
      const before = feed(first, events.slice(0, cut), 0, true, received).alerts;
      const cp = first.checkpoint(cut);
      expect(cp.replayFrom).toBeLessThanOrEqual(cut);
      // A new owner: replay [replayFrom, cut) without emitting, then continue live.
      const second = new PartitionWindows(rules, { clock: cp.clockBefore, horizonMs });
      const replay = feed(second, events.slice(cp.replayFrom, cut), cp.replayFrom, false, received);
      expect(replay.alerts).toEqual([]);
      const after = feed(second, events.slice(cut), cut, true, received).alerts;
      expect(alertKeys([...before, ...after]), `cut at ${cut}`).toEqual(full);
    }
  });

  it('replays whole packed messages: several inputs at one offset keep the clock from before the first', () => {
    const rules: CompiledRuleSet = velocity(3, '10m', { allowedLateness: '3m' });
    const horizonMs = 15 * MIN;
    const received = (_e: ApplicationEvent, i: number) => T0 + i * 20_000 + 150_000;
    const events = Array.from({ length: 300 }, (_, i) =>
      makeEvent({
        id: `p${String(i).padStart(4, '0')}`,
        t: T0 + i * 20_000 + ((i * 7919) % 5) * 30_000 - (i % 11 === 0 ? 12 * MIN : 0),
        deviceId: `d${(i * 31) % 17}`,
      }),
    );
    // Seven applications per message: the offset of input i is floor(i / 7).
    const PER = 7;
    const run = (w: PartitionWindows, from: number, to: number, emit: boolean) => {
      const alerts: FraudAlert[] = [];
      for (let i = from; i < to; i++) {
        const event = events[i] as ApplicationEvent;
        const r = w.process(
          {
            keyPath: 'channel.deviceId',
            key: event.channel.deviceId,
            offset: Math.floor(i / PER),
            record: recordOf(event, received(event, i)),
          },
          emit,
          NOW,
        );
        alerts.push(...r.alerts);
      }
      return alerts;
    };
    const full = alertKeys(run(new PartitionWindows(rules, { horizonMs }), 0, events.length, true));
    expect(full.length).toBeGreaterThan(0);
    for (const cutMessage of [1, 9, 20, 37]) {
      const cut = cutMessage * PER;
      const first = new PartitionWindows(rules, { horizonMs });
      const before = run(first, 0, cut, true);
      const cp = first.checkpoint(cutMessage);
      expect(cp.replayFrom).toBeLessThanOrEqual(cutMessage);
      const second = new PartitionWindows(rules, { clock: cp.clockBefore, horizonMs });
      expect(run(second, cp.replayFrom * PER, cut, false)).toEqual([]);
      const after = run(second, cut, events.length, true);
      expect(alertKeys([...before, ...after]), `cut at message ${cutMessage}`).toEqual(full);
    }
  });

  it('checkpoints at the next offset when nothing is held', () => {
    const w = new PartitionWindows(velocity());
    expect(w.checkpoint(7)).toEqual({ replayFrom: 7, clockBefore: null });
  });
});

describe('compact state', () => {
  const devices = (threshold: number) =>
    ruleSet([
      { id: 'dev', kind: 'distinctCount', key: 'deviceId', field: 'customerId', window: '1h', threshold },
    ]);
  const at = (w: PartitionWindows, e: ApplicationEvent, offset: number) =>
    w.process(
      { keyPath: 'channel.deviceId', key: e.channel.deviceId, offset, record: recordOf(e) },
      true,
      NOW,
    );

  it('gives back application ids exactly, whatever their form, and knows duplicates by them', () => {
    const w = new PartitionWindows(devices(3));
    const ids = [
      '0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3',
      '0A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D3', // upper case: another id, kept as text
      'not-a-uuid',
    ];
    const alerts = ids.flatMap(
      (id, i) => at(w, makeEvent({ id, customerId: `C-${i}`, t: T0 + i }), i).alerts,
    );
    expect(alerts.map((a) => a.applicationId).sort()).toEqual([...ids].sort());
    expect(alerts.find((a) => a.applicationId === ids[0])?.customerId).toBe('C-0');
    expect(w.entriesOf('channel.deviceId', 'dev-1').sort()).toEqual([...ids].sort());
    for (const [i, id] of ids.entries())
      expect(at(w, makeEvent({ id, customerId: 'C-9', t: T0 + 50 }), 10 + i).outcome).toBe('duplicate');
  });

  it('orders equal times by application id as text, in both forms', () => {
    const w = new PartitionWindows(velocity(9));
    const ids = [
      'ffffffff-0000-4000-8000-000000000000',
      'B-text',
      '00000000-0000-4000-8000-00000000000a',
      'a-text',
    ];
    ids.forEach((id, i) => {
      feed(w, [makeEvent({ id, t: T0 })], i);
    });
    expect(w.entriesOf('channel.deviceId', 'dev-1')).toEqual([...ids].sort());
  });

  it('counts a field a reloaded rule set adds from then on, and keeps what the old one counted', () => {
    const byCustomer = devices(3);
    const w = new PartitionWindows(byCustomer);
    at(w, makeEvent({ customerId: 'C-1', firstName: 'A', t: T0 }), 0);
    at(w, makeEvent({ customerId: 'C-2', firstName: 'B', t: T0 + MIN }), 1);
    // The reload adds a distinct count of first names on the same key (a new value layout).
    w.setRules(
      ruleSet([
        {
          id: 'dev',
          kind: 'distinctCount',
          key: 'deviceId',
          field: 'customerId',
          window: '1h',
          threshold: 3,
        },
        {
          id: 'names',
          kind: 'distinctCount',
          key: 'deviceId',
          field: 'firstName',
          window: '1h',
          threshold: 2,
        },
      ]),
    );
    const third = at(w, makeEvent({ customerId: 'C-3', firstName: 'C', t: T0 + 2 * MIN }), 2);
    // Customers were kept across the reload: three of them now.
    expect(third.alerts.filter((a) => a.ruleId === 'dev')).toHaveLength(3);
    // First names of the entries before the reload were not sent with them: only one is known.
    expect(third.alerts.filter((a) => a.ruleId === 'names')).toHaveLength(0);
    // Two names known now: every member of that window is flagged (the earlier ones too).
    const fourth = at(w, makeEvent({ customerId: 'C-4', firstName: 'D', t: T0 + 3 * MIN }), 3);
    const names = fourth.alerts.filter((a) => a.ruleId === 'names');
    expect(names.map((a) => a.customerId).sort()).toEqual(['C-1', 'C-2', 'C-3', 'C-4']);
    expect(names[0]?.evidence).toMatchObject({ distinctCount: 2 });
  });

  it('reuses the slots of expired entries and keeps its counts right', () => {
    const rules = velocity(2, '10m', { allowedLateness: '1m' });
    const w = new PartitionWindows(rules, { horizonMs: 10 * MIN });
    for (let i = 0; i < 5000; i++)
      feed(w, [makeEvent({ id: `s${i}`, t: T0 + i * MIN, deviceId: `d${i % 7}` })], i);
    const stats = w.currentStats();
    // About 21 minutes of traffic (1 + 10 + 10) is held, one application a minute.
    expect(stats.entries).toBeLessThan(40);
    expect(stats.keys).toBeLessThanOrEqual(7);
    const held = [0, 1, 2, 3, 4, 5, 6].flatMap((d) => w.entriesOf('channel.deviceId', `d${d}`));
    expect(held).toHaveLength(stats.entries);
    expect(held).toContain('s4999');
  });
});
