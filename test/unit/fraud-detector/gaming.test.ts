/**
 * A client's timestamp cannot switch rules off: a far-future or far-past submittedAt on one application
 * changes nothing for the other applications of its key, for every window rule kind and key type, and
 * per-application rules are unaffected. Pure core (source-stage steps, then one window partition).
 */
import { describe, expect, it } from 'vitest';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { evaluateEventRules } from '../../../workloads/fraud-detector/core/event-rules.ts';
import { eventTimes, isBeyondHorizon } from '../../../workloads/fraud-detector/core/event-time.ts';
import { repartitionKeys } from '../../../workloads/fraud-detector/core/repartition.ts';
import { PartitionWindows } from '../../../workloads/fraud-detector/core/windows.ts';
import { MIN, makeEvent, ruleSet, T0 } from './fixtures.ts';

const HOUR = 60 * MIN;
const YEAR = 365 * 24 * HOUR;
const NOW = new Date(T0);

const KEY_TYPES = [
  { key: 'deviceId', over: { deviceId: 'shared-device' } },
  { key: 'nationalIdHash', over: { nationalIdHash: 'b'.repeat(64) } },
  { key: 'ipAddress', over: { ipAddress: '198.51.100.7' } },
  { key: 'email', over: { email: 'shared@example.test' } },
] as const;

const rulesFor = (key: string) =>
  ruleSet([
    { id: 'velocity', kind: 'velocity', key, window: '1h', threshold: 3 },
    { id: 'distinct', kind: 'distinctCount', key, field: 'customerId', window: '1h', threshold: 3 },
    { id: 'young', kind: 'expression', expression: 'ageYears(dateOfBirth, submittedAt) < 18' },
    { id: 'bad-mail', kind: 'list', field: 'email', match: 'exact', values: ['bad@example.test'] },
  ]);

interface Sent {
  event: ApplicationEvent;
  received: number;
}

/** Alerts per application, through the detector's steps (event rules, repartition, window state). */
function detect(key: string, sent: Sent[]): Map<string, string[]> {
  const rules = rulesFor(key);
  const windows = new PartitionWindows(rules);
  const out = new Map<string, string[]>();
  const add = (id: string, rule: string) => out.set(id, [...(out.get(id) ?? []), rule].sort());
  sent.forEach(({ event, received }, offset) => {
    const receivedAt = new Date(received).toISOString();
    const times = eventTimes(event.submittedAt, receivedAt);
    for (const a of evaluateEventRules(rules, event, NOW, times)) add(a.applicationId, a.ruleId);
    if (times === undefined || isBeyondHorizon(times, 24 * HOUR)) return;
    for (const k of repartitionKeys(rules, event, receivedAt))
      for (const a of windows.process({ ...k, offset }, true, NOW).alerts) add(a.applicationId, a.ruleId);
  });
  return out;
}

const without = (m: Map<string, string[]>, id: string) => new Map([...m].filter(([k]) => k !== id));

describe('a timestamp on one application changes nothing for the others of its key', () => {
  for (const { key, over } of KEY_TYPES) {
    // Three customers on one key within 20 minutes: both window rules fire on all three.
    const burst: Sent[] = [0, 1, 2].map((i) => ({
      event: makeEvent({ id: `${key}-b${i}`, t: T0 + i * 10 * MIN, customerId: `C-${i}`, ...over }),
      received: T0 + i * 10 * MIN,
    }));
    const honest = detect(key, burst);

    it(`${key}: the burst alone is flagged by velocity and distinctCount`, () => {
      for (const { event } of burst)
        expect(honest.get(event.applicationId)).toEqual(['distinct', 'velocity']);
    });

    it(`${key}: a far-future application received earlier does not make the burst late`, () => {
      const future: Sent = {
        event: makeEvent({ id: `${key}-future`, t: T0 + YEAR, customerId: 'C-x', ...over }),
        received: T0 - 3 * HOUR,
      };
      const got = detect(key, [future, ...burst]);
      expect(without(got, `${key}-future`)).toEqual(honest);
      // It counts where it was received (3 h before), alone there.
      expect(got.get(`${key}-future`)).toBeUndefined();
    });

    it(`${key}: a far-past application received mid-burst is kept out of the key's windows`, () => {
      const past: Sent = {
        event: makeEvent({
          id: `${key}-past`,
          t: T0 - 2 * YEAR,
          customerId: 'C-y',
          ...over,
          email: 'bad@example.test',
        }),
        received: T0 + 5 * MIN,
      };
      const got = detect(key, [burst[0] as Sent, past, ...burst.slice(1)]);
      expect(without(got, `${key}-past`)).toEqual(honest);
      // Per-application rules still ran on it; window rules did not.
      expect(got.get(`${key}-past`)).toEqual(['bad-mail']);
    });

    it(`${key}: a far-future application cannot hide a burst it is part of, nor add to another time`, () => {
      // Two honest applications and one claiming next year, all received within 20 minutes: a burst.
      const mixed: Sent[] = [
        burst[0] as Sent,
        burst[1] as Sent,
        {
          event: makeEvent({ id: `${key}-f`, t: T0 + YEAR, customerId: 'C-2', ...over }),
          received: T0 + 20 * MIN,
        },
      ];
      const got = detect(key, mixed);
      for (const id of [`${key}-b0`, `${key}-b1`, `${key}-f`])
        expect(got.get(id)).toEqual(['distinct', 'velocity']);
    });
  }

  it('per-application rules read the client’s submittedAt only for that application', () => {
    const minor = makeEvent({ id: 'minor', t: T0, dateOfBirth: '2015-01-01' });
    const got = detect('deviceId', [
      { event: minor, received: T0 },
      { event: makeEvent({ id: 'adult', t: T0 + 100 * YEAR }), received: T0 },
    ]);
    expect(got.get('minor')).toEqual(['young']);
    expect(got.get('adult')).toBeUndefined();
  });
});
