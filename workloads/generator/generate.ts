/**
 * The generator's pure core: a deterministic stream of loan applications (same seed, same stream)
 * with legitimate traffic and labelled fraud scenarios injected at configurable rates.
 *
 * Labels travel beside the events, never inside them: each item is `{ submission, label }`.
 * Multi-application scenarios ("campaigns": a burst, a ring, a synthetic identity, an inflating
 * income) interleave their members with other traffic over the next few dozen applications, so their
 * event times fall within minutes of each other at the default spacing.
 */
import type { ApplicationSubmission } from '../contract/application.ts';
import { KNOWN_BAD } from './known-bad.ts';
import {
  applicationOf,
  deviceIdFor,
  drawChannel,
  drawLoan,
  drawPerson,
  emailFor,
  ipFrom,
  isoDate,
  type Person,
} from './people.ts';
import { COUNTRIES, FIRST_NAMES, LAST_NAMES, REMOTE_COUNTRIES } from './population.ts';
import { Random } from './random.ts';

export const SCENARIOS = [
  'legitimate',
  'velocity_burst',
  'device_ring',
  'synthetic_identity',
  'income_inflation',
  'geo_mismatch',
  'known_bad',
] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type FraudScenario = Exclude<Scenario, 'legitimate'>;
export const FRAUD_SCENARIOS = SCENARIOS.filter((s): s is FraudScenario => s !== 'legitimate');

/** Default share of applications per fraud scenario (about 8% fraud overall). */
export const DEFAULT_SCENARIO_RATES: Readonly<Record<FraudScenario, number>> = {
  velocity_burst: 0.02,
  device_ring: 0.015,
  synthetic_identity: 0.015,
  income_inflation: 0.01,
  geo_mismatch: 0.01,
  known_bad: 0.01,
};

/** Members per campaign (min, max) and how many stream positions a campaign spreads over. */
export const CAMPAIGN_SHAPE: Readonly<Record<FraudScenario, { size: [number, number]; spread: number }>> = {
  velocity_burst: { size: [5, 8], spread: 30 },
  device_ring: { size: [4, 7], spread: 40 },
  synthetic_identity: { size: [3, 5], spread: 40 },
  income_inflation: { size: [3, 4], spread: 60 },
  geo_mismatch: { size: [1, 1], spread: 0 },
  known_bad: { size: [1, 1], spread: 0 },
};

/** Ground truth for one application, kept outside the event (side file or `x-scenario` header). */
export interface ScenarioLabel {
  applicationId: string;
  scenario: Scenario;
  /** Groups the applications of one multi-application scenario. */
  campaignId?: string;
  /** 1-based position within its campaign (members before a rule's threshold cannot be told apart). */
  seq: number;
  /** Number of applications in its campaign (1 for single-application scenarios and legitimate). */
  size: number;
}

export interface GeneratedApplication {
  submission: ApplicationSubmission;
  label: ScenarioLabel;
}

export interface GeneratorOptions {
  seed: number;
  /** Applications to produce; omitted means an endless stream. */
  count?: number;
  /** Share of applications per fraud scenario (0..1); unspecified scenarios use the defaults. */
  scenarioRates?: Partial<Record<FraudScenario, number>>;
  /** Event time of the first application (default 2026-01-05T09:00:00Z). */
  start?: Date | string | number;
  /** Mean event-time gap between consecutive applications in ms (default 1000). */
  intervalMs?: number;
}

/** Fixed default start so the same seed gives byte-identical output. */
export const DEFAULT_START = '2026-01-05T09:00:00.000Z';

interface Pending {
  due: number;
  build: (at: Date) => GeneratedApplication;
}

export function resolveRates(rates: GeneratorOptions['scenarioRates']): Record<FraudScenario, number> {
  const resolved = { ...DEFAULT_SCENARIO_RATES, ...rates };
  let total = 0;
  for (const s of FRAUD_SCENARIOS) {
    const r = resolved[s];
    if (!Number.isFinite(r) || r < 0 || r > 1)
      throw new RangeError(`scenario rate ${s}=${r} is not in [0, 1]`);
    total += r;
  }
  if (total > 0.9) throw new RangeError(`scenario rates add up to ${total.toFixed(3)}; at most 0.9 allowed`);
  return resolved;
}

/** A deterministic stream of applications with labels. */
export function* applicationStream(options: GeneratorOptions): Generator<GeneratedApplication> {
  const rng = new Random(options.seed);
  const rates = resolveRates(options.scenarioRates);
  const start = new Date(options.start ?? DEFAULT_START).getTime();
  if (!Number.isFinite(start)) throw new RangeError(`invalid start time: ${String(options.start)}`);
  const interval = options.intervalMs ?? 1000;
  const count = options.count ?? Number.POSITIVE_INFINITY;
  const tag = (options.seed >>> 0).toString(36);
  let customers = 0;
  let campaigns = 0;
  const newCustomerId = () => `C-${tag}-${(++customers).toString().padStart(7, '0')}`;
  const queue: Pending[] = [];
  const returning: Person[] = [];

  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * interval + Math.floor(rng.next() * interval));
    const head = queue[0];
    let item: GeneratedApplication;
    if (head !== undefined && head.due <= i) {
      queue.shift();
      item = head.build(at);
    } else {
      const scenario = pickScenario(rng, rates, i, count);
      if (scenario === 'legitimate') {
        item = legitimate(rng, at, newCustomerId, returning);
      } else {
        const campaignId = `${scenario}-${tag}-${++campaigns}`;
        const members = campaign(rng, scenario, at, newCustomerId);
        const size = members.length;
        const spread = CAMPAIGN_SHAPE[scenario].spread;
        const offsets = members
          .slice(1)
          .map(() => 1 + Math.floor(rng.next() * spread))
          .sort((a, b) => a - b);
        const labelled = members.map((build, k) => (when: Date): GeneratedApplication => {
          const submission = build(when);
          return {
            submission,
            label: { applicationId: submission.applicationId, scenario, campaignId, seq: k + 1, size },
          };
        });
        offsets.forEach((offset, k) => {
          const build = labelled[k + 1];
          if (build !== undefined) enqueue(queue, { due: i + offset, build });
        });
        const first = labelled[0];
        if (first === undefined) throw new Error(`empty campaign for ${scenario}`);
        item = first(at);
      }
    }
    yield item;
  }
}

/** All `count` applications at once (tests, benchmarks, the demo). */
export function generateApplications(options: GeneratorOptions & { count: number }): GeneratedApplication[] {
  return [...applicationStream(options)];
}

/** applicationId → scenario, the shape the detection-quality report takes. */
export function labelMap(items: Iterable<GeneratedApplication>): Map<string, Scenario> {
  const map = new Map<string, Scenario>();
  for (const { label } of items) map.set(label.applicationId, label.scenario);
  return map;
}

function enqueue(queue: Pending[], p: Pending): void {
  let at = queue.length;
  while (at > 0 && (queue[at - 1]?.due ?? 0) > p.due) at--;
  queue.splice(at, 0, p);
}

function pickScenario(
  rng: Random,
  rates: Record<FraudScenario, number>,
  index: number,
  count: number,
): Scenario {
  const r = rng.next();
  let acc = 0;
  for (const s of FRAUD_SCENARIOS) {
    const { size, spread } = CAMPAIGN_SHAPE[s];
    const meanSize = (size[0] + size[1]) / 2;
    acc += rates[s] / meanSize;
    // A campaign must fit in what is left of the stream, or its label would describe half a pattern.
    if (r < acc) return index + spread + size[1] < count ? s : 'legitimate';
  }
  return 'legitimate';
}

function stamp(s: ApplicationSubmission, at: Date): ApplicationSubmission {
  s.submittedAt = at.toISOString();
  return s;
}

function legitimate(
  rng: Random,
  at: Date,
  newCustomerId: () => string,
  returning: Person[],
): GeneratedApplication {
  // About 2% of legitimate applications come from a returning customer (a second, unrelated loan).
  let person: Person;
  const back = returning.length > 20 && rng.chance(0.02) ? rng.int(0, returning.length - 1) : -1;
  if (back >= 0) {
    person = returning.splice(back, 1)[0] as Person;
  } else {
    person = drawPerson(rng, at, newCustomerId());
    returning.push(person);
    if (returning.length > 500) returning.shift();
  }
  const submission = stamp(applicationOf(rng, person, drawChannel(rng, person)), at);
  return {
    submission,
    label: { applicationId: submission.applicationId, scenario: 'legitimate', seq: 1, size: 1 },
  };
}

type Member = (at: Date) => ApplicationSubmission;

function campaign(rng: Random, scenario: FraudScenario, at: Date, newCustomerId: () => string): Member[] {
  const [min, max] = CAMPAIGN_SHAPE[scenario].size;
  const size = rng.int(min, max);
  const times = Array.from({ length: size });
  switch (scenario) {
    case 'velocity_burst': {
      // One identity, many applications in minutes, often from the same device, varying amounts.
      const person = drawPerson(rng, at, newCustomerId());
      return times.map(() => (when) => {
        const channel = drawChannel(rng, person, rng.chance(0.7) ? {} : { deviceId: deviceIdFor(rng) });
        return stamp(applicationOf(rng, person, channel), when);
      });
    }
    case 'device_ring': {
      // One device (and usually one IP), many different customers.
      const deviceId = deviceIdFor(rng);
      const country = rng.pick(COUNTRIES);
      const ipAddress = ipFrom(rng, country);
      const sharedIp = rng.chance(0.7);
      return times.map(() => (when) => {
        const person = drawPerson(rng, when, newCustomerId(), country);
        const channel = drawChannel(rng, person, sharedIp ? { deviceId, ipAddress } : { deviceId });
        return stamp(applicationOf(rng, person, channel), when);
      });
    }
    case 'synthetic_identity': {
      // One national ID behind several "people": different names or birth dates, new contacts.
      const anchor = drawPerson(rng, at, newCustomerId());
      return times.map((_, k) => (when) => {
        const person = k === 0 ? anchor : drawPerson(rng, when, newCustomerId(), anchor.country);
        person.nationalId = anchor.nationalId;
        if (k > 0 && rng.chance(0.4)) {
          // Same name, a different birth date.
          person.firstName = anchor.firstName;
          person.lastName = anchor.lastName;
          person.email = emailFor(rng, person.firstName, person.lastName);
        }
        if (k > 0 && person.dateOfBirth === anchor.dateOfBirth) {
          const dob = new Date(`${anchor.dateOfBirth}T00:00:00Z`);
          dob.setUTCDate(dob.getUTCDate() + rng.int(30, 900));
          person.dateOfBirth = isoDate(dob);
        }
        if (k > 0 && person.firstName === anchor.firstName && person.lastName === anchor.lastName) {
          person.firstName = rng.pick(FIRST_NAMES.filter((n) => n !== anchor.firstName));
        } else if (k > 0 && rng.chance(0.5)) {
          person.lastName = rng.pick(LAST_NAMES);
        }
        return stamp(applicationOf(rng, person, drawChannel(rng, person)), when);
      });
    }
    case 'income_inflation': {
      // The same person re-applies with a higher declared income each time (and asks for more).
      const person = drawPerson(rng, at, newCustomerId());
      if (person.employment.status !== 'employed' && person.employment.status !== 'self_employed') {
        person.employment = {
          status: 'employed',
          employer: 'Northwind Logistics',
          monthsInJob: 14,
          annualIncome: 24_000,
        };
      }
      const base = person.employment.annualIncome;
      let factor = 1;
      return times.map((_, k) => (when) => {
        if (k > 0) factor *= 1.3 + 0.4 * rng.next();
        const annualIncome = Math.round((base * factor) / 100) * 100;
        const inflated: Person = { ...person, employment: { ...person.employment, annualIncome } };
        const loan = drawLoan(rng, inflated);
        return stamp(applicationOf(rng, inflated, drawChannel(rng, inflated), loan), when);
      });
    }
    case 'geo_mismatch': {
      // Address in one country, connection (IP and geolocation) from another.
      const person = drawPerson(rng, at, newCustomerId());
      const remote = rng.chance(0.6)
        ? rng.pick(REMOTE_COUNTRIES)
        : rng.pick(COUNTRIES.filter((c) => c.code !== person.country.code));
      const connection = { country: remote, ipAddress: ipFrom(rng, remote) };
      return [
        (when) =>
          stamp(
            applicationOf(
              rng,
              person,
              drawChannel(rng, person, { connection, type: rng.chance(0.6) ? 'web' : 'mobile' }),
            ),
            when,
          ),
      ];
    }
    case 'known_bad': {
      // One hit on a known-bad list: e-mail, e-mail domain, IP range or device.
      const person = drawPerson(rng, at, newCustomerId());
      const list = rng.pick(['emails', 'emailDomains', 'ipRanges', 'deviceIds'] as const);
      const choice: { deviceId?: string; ipAddress?: string } = {};
      if (list === 'emails') person.email = rng.pick(KNOWN_BAD.emails);
      else if (list === 'emailDomains')
        person.email = emailFor(rng, person.firstName, person.lastName).replace(
          /@.*$/,
          `@${rng.pick(KNOWN_BAD.emailDomains)}`,
        );
      else if (list === 'deviceIds') choice.deviceId = rng.pick(KNOWN_BAD.deviceIds);
      else choice.ipAddress = addressIn(rng, rng.pick(KNOWN_BAD.ipRanges.filter((r) => !r.includes(':'))));
      return [(when) => stamp(applicationOf(rng, person, drawChannel(rng, person, choice)), when)];
    }
  }
}

/** A host address inside an IPv4 /24 CIDR (the known-bad IPv4 ranges are /24s). */
function addressIn(rng: Random, cidr: string): string {
  const [base] = cidr.split('/');
  const octets = (base ?? '').split('.');
  return `${octets.slice(0, 3).join('.')}.${rng.int(1, 254)}`;
}
