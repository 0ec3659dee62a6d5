/**
 * Held-out traffic for the fraud detector, written apart from the project's generator (it imports no
 * generator code, uses other names, places, devices and address ranges, and other group sizes and
 * timings) so that running it against `make demo`'s pipeline tests the rules on fraud, not on the
 * generator. Pure: builds the submissions and scores the alerts they raised.
 *
 * Each variant holds fraud groups (device rings, velocity bursts, synthetic identities, income
 * re-applications, client clock games), each of which a live rule should flag, and legitimate traffic
 * (including look-alikes just under each rule's threshold) that no live rule should flag. Event times
 * spread over the last six hours; `order: 'time'` posts in submission-time order, `order: 'shuffled'`
 * in a random order, so the two variants measure whether arrival order changes what is caught.
 */
import type { ApplicationSubmission } from '../workloads/contract/application.ts';

export type HeldOutScenario =
  | 'device_ring'
  | 'velocity_burst'
  | 'synthetic_identity'
  | 'income_reapplication'
  | 'future_clock_ring'
  | 'far_past_ring';

/** What the ingestion API should answer, and what the detector should do with an accepted post. */
export type Expectation =
  | { kind: 'fraud'; group: string; scenario: HeldOutScenario; rules: readonly string[] }
  | { kind: 'legitimate'; look: string }
  /** Rejected at the door: 400 naming `field`. */
  | { kind: 'rejected'; group: string; field: string }
  /** Accepted, too old for window state: a `beyond-horizon` dead letter; its group is still caught. */
  | { kind: 'beyond-horizon'; group: string; scenario: HeldOutScenario; rules: readonly string[] };

export interface HeldOutPost {
  body: ApplicationSubmission;
  expect: Expectation;
}

export interface HeldOutVariant {
  order: 'time' | 'shuffled';
  posts: HeldOutPost[];
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Small seeded PRNG (mulberry32): the same seed gives the same traffic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = [
  'Ingrid',
  'Matteo',
  'Lucía',
  'Oskar',
  'Fenna',
  'Tomasz',
  'Aoife',
  'Henrik',
  'Zeynep',
  'Radu',
  'Maren',
  'Joaquim',
];
const LAST = [
  'Lindqvist',
  'Bianchi',
  'Navarro',
  'Kowalski',
  'Jansen',
  'Murphy',
  'Hansen',
  'Yilmaz',
  'Popescu',
  'Berg',
  'Costa',
  'Vogel',
];
const PLACES = [
  { country: 'DE', city: 'Leipzig', street: 'Karl-Liebknecht-Straße', currency: 'EUR' },
  { country: 'NL', city: 'Utrecht', street: 'Oudegracht', currency: 'EUR' },
  { country: 'IT', city: 'Bologna', street: 'Via Zamboni', currency: 'EUR' },
  { country: 'ES', city: 'Valencia', street: 'Carrer de Colón', currency: 'EUR' },
  { country: 'PL', city: 'Kraków', street: 'ulica Floriańska', currency: 'PLN' },
] as const;
const PURPOSES = ['auto', 'home_improvement', 'debt_consolidation', 'education', 'medical'] as const;

interface Person {
  customerId: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  nationalId: string;
  email: string;
  phone: string;
  place: (typeof PLACES)[number];
  postcode: string;
  income: number;
}

class Builder {
  private readonly r: () => number;
  private serial = 0;
  readonly posts: HeldOutPost[] = [];

  constructor(
    seed: number,
    private readonly now: number,
    private readonly tag: string,
  ) {
    // The clock is part of the seed: a second run against the same pipeline uses new ids and keys.
    this.r = rng(seed ^ Math.floor(now / 1000));
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)] as T;
  }

  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.r() * (i + 1));
      [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
    }
    return xs;
  }

  /** Uniform in [0, 1). */
  r01(): number {
    return this.r();
  }

  next(): number {
    return ++this.serial;
  }

  person(): Person {
    const n = this.next();
    const first = this.pick(FIRST);
    const last = this.pick(LAST);
    const year = this.int(1956, 2001);
    return {
      customerId: `HO-${this.tag}-${n.toString().padStart(6, '0')}`,
      firstName: first,
      lastName: last,
      dateOfBirth: `${year}-${String(this.int(1, 12)).padStart(2, '0')}-${String(this.int(1, 28)).padStart(2, '0')}`,
      nationalId: `HO${this.tag.toUpperCase()}${String(n).padStart(6, '0')}${this.int(10, 99)}`,
      email: `${first
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}.${n}@held-out-mail.example`,
      phone: `+49 15${this.int(10_000_000, 99_999_999)}`,
      place: this.pick(PLACES),
      postcode: String(this.int(10_000, 99_999)),
      income: this.int(24, 95) * 1000,
    };
  }

  /** A public IPv4 address outside the documentation ranges the default lists name. */
  ip(): string {
    return `${this.pick([31, 46, 62, 77, 85, 91])}.${this.int(1, 254)}.${this.int(1, 254)}.${this.int(1, 254)}`;
  }

  device(): string {
    return `fp-${this.tag}-${randomHex(this.r, 16)}`;
  }

  application(
    p: Person,
    at: number,
    device: string,
    ip: string,
    over: Partial<Person> = {},
  ): ApplicationSubmission {
    const who = { ...p, ...over };
    const amount = this.int(2, 30) * 500;
    return {
      applicationId: uuidFrom(this.r),
      submittedAt: new Date(at).toISOString(),
      schemaVersion: 'credit.application.v1',
      applicant: {
        customerId: who.customerId,
        firstName: who.firstName,
        lastName: who.lastName,
        dateOfBirth: who.dateOfBirth,
        nationalId: who.nationalId,
        email: who.email,
        phone: who.phone,
        address: {
          line1: `${this.int(1, 180)} ${who.place.street}`,
          city: who.place.city,
          postcode: who.postcode,
          country: who.place.country,
        },
      },
      employment: {
        status: 'employed',
        employer: 'Held-out Works',
        monthsInJob: this.int(6, 200),
        annualIncome: who.income,
      },
      loan: {
        amount: Math.min(amount, who.income * 2),
        currency: who.place.currency,
        termMonths: this.pick([12, 24, 36, 48, 60]),
        purpose: this.pick(PURPOSES),
      },
      credit: {
        monthlyDebtPayments: this.int(0, 400),
        openCreditLines: this.int(0, 6),
        delinquencies24m: 0,
        creditHistoryMonths: this.int(24, 300),
        bankruptcies: 0,
        bureauScore: this.int(560, 820),
      },
      channel: {
        type: this.pick(['web', 'mobile'] as const),
        ipAddress: ip,
        deviceId: device,
        userAgent: 'HeldOut/1.0',
      },
    };
  }

  /** A moment in the last six hours, leaving room for a group spread of `spreadMs` before now. */
  moment(spreadMs: number): number {
    return this.now - spreadMs - this.int(2 * MINUTE, 6 * HOUR - spreadMs);
  }

  add(body: ApplicationSubmission, expect: Expectation): void {
    this.posts.push({ body, expect });
  }
}

function randomHex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

function uuidFrom(r: () => number): string {
  const h = randomHex(r, 32).split('');
  h[12] = '4';
  h[16] = '89ab'[Math.floor(r() * 4)] as string;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Rules a scenario must be caught by (any one of them, live). */
export const EXPECTED_RULES: Record<HeldOutScenario, readonly string[]> = {
  device_ring: ['device-shared-customers'],
  velocity_burst: ['velocity-national-id'],
  synthetic_identity: ['synthetic-identity-dob', 'synthetic-identity-name'],
  income_reapplication: ['income-changed'],
  future_clock_ring: ['device-shared-customers'],
  far_past_ring: ['device-shared-customers'],
};

export interface HeldOutOptions {
  seed: number;
  /** The server's clock when the traffic is built (ms since the epoch). */
  now: number;
  order: 'time' | 'shuffled';
  /** Groups per fraud scenario. */
  groups: number;
  /** Legitimate applicants. */
  legitimate: number;
}

/** Builds one variant: fraud groups and legitimate traffic, posted in time order or shuffled. */
export function buildHeldOutTraffic(o: HeldOutOptions): HeldOutVariant {
  const b = new Builder(
    o.seed,
    o.now,
    `${o.order === 'time' ? 't' : 's'}${o.seed.toString(36)}${Math.floor(o.now / 1000).toString(36)}`,
  );
  const fraud = (group: string, scenario: HeldOutScenario): Expectation => ({
    kind: 'fraud',
    group,
    scenario,
    rules: EXPECTED_RULES[scenario],
  });

  for (let g = 0; g < o.groups; g++) {
    // A device ring: 3–6 customers on one device within 45 minutes, half of them behind one IP.
    {
      const group = `ring-${g}`;
      const start = b.moment(45 * MINUTE);
      const device = b.device();
      const sharedIp = b.ip();
      const size = b.int(3, 6);
      for (let i = 0; i < size; i++) {
        const ip = i % 2 === 0 ? sharedIp : b.ip();
        b.add(
          b.application(b.person(), start + b.int(0, 45 * MINUTE), device, ip),
          fraud(group, 'device_ring'),
        );
      }
    }
    // A velocity burst: one identity, 3–5 applications within 50 minutes, new device each time.
    {
      const group = `burst-${g}`;
      const p = b.person();
      const start = b.moment(50 * MINUTE);
      for (let i = 0, n = b.int(3, 5); i < n; i++) {
        b.add(
          b.application(p, start + b.int(0, 50 * MINUTE), b.device(), b.ip()),
          fraud(group, 'velocity_burst'),
        );
      }
    }
    // A synthetic identity: one national ID under two or three names / birth dates, hours apart.
    {
      const group = `synthetic-${g}`;
      const base = b.person();
      const start = b.moment(4 * HOUR);
      for (let i = 0, n = b.int(2, 3); i < n; i++) {
        const alias = b.person();
        b.add(
          b.application(
            { ...alias, nationalId: base.nationalId },
            start + b.int(0, 4 * HOUR),
            b.device(),
            b.ip(),
          ),
          fraud(group, 'synthetic_identity'),
        );
      }
    }
    // Income inflation: the same person twice, 1–5 hours apart, income up by 40–80%.
    {
      const group = `income-${g}`;
      const p = b.person();
      const start = b.moment(5 * HOUR);
      const at2 = start + b.int(HOUR, 5 * HOUR);
      b.add(b.application(p, start, b.device(), b.ip()), fraud(group, 'income_reapplication'));
      b.add(
        b.application(p, at2, b.device(), b.ip(), { income: Math.round(p.income * (1.4 + b.r01() * 0.4)) }),
        fraud(group, 'income_reapplication'),
      );
    }
    // A ring whose first post claims a time a year ahead (refused), then one within the allowed
    // skew, then honest members: the ring must still be caught.
    {
      const group = `future-${g}`;
      const device = b.device();
      b.add(b.application(b.person(), o.now + 365 * 24 * HOUR, device, b.ip()), {
        kind: 'rejected',
        group,
        field: '/submittedAt',
      });
      b.add(b.application(b.person(), o.now + 3 * MINUTE, device, b.ip()), fraud(group, 'future_clock_ring'));
      const start = o.now - b.int(5, 40) * MINUTE;
      for (let i = 0; i < 2; i++) {
        b.add(
          b.application(b.person(), start + b.int(0, 4 * MINUTE), device, b.ip()),
          fraud(group, 'future_clock_ring'),
        );
      }
    }
    // A ring with one member backdated three days (beyond the 24-h horizon: a dead letter, judged on
    // itself) and three honest members: the far-past one must not hide the others.
    {
      const group = `past-${g}`;
      const device = b.device();
      b.add(b.application(b.person(), o.now - 72 * HOUR, device, b.ip()), {
        kind: 'beyond-horizon',
        group,
        scenario: 'far_past_ring',
        rules: EXPECTED_RULES.far_past_ring,
      });
      const start = b.moment(30 * MINUTE);
      for (let i = 0; i < 3; i++) {
        b.add(
          b.application(b.person(), start + b.int(0, 30 * MINUTE), device, b.ip()),
          fraud(group, 'far_past_ring'),
        );
      }
    }
  }

  // Legitimate traffic: one application each, plus look-alikes just under every threshold.
  for (let i = 0; i < o.legitimate; i++) {
    const p = b.person();
    // Room for the look-alikes' later applications (up to 50 minutes) before now.
    const at = b.moment(50 * MINUTE);
    const look = i % 10;
    if (look === 0) {
      // The same person twice within an hour (a retry): under the velocity threshold of three.
      b.add(b.application(p, at, b.device(), b.ip()), { kind: 'legitimate', look: 'retry' });
      b.add(b.application(p, at + b.int(1, 50) * MINUTE, b.device(), b.ip()), {
        kind: 'legitimate',
        look: 'retry',
      });
    } else if (look === 1) {
      // Two customers of one household on one device: under the ring threshold of three.
      const device = b.device();
      const ip = b.ip();
      b.add(b.application(p, at, device, ip), { kind: 'legitimate', look: 'household' });
      b.add(b.application(b.person(), at + b.int(1, 40) * MINUTE, device, ip), {
        kind: 'legitimate',
        look: 'household',
      });
    } else if (look === 2) {
      // Three colleagues behind one office IP.
      const ip = b.ip();
      for (let k = 0; k < 3; k++) {
        b.add(b.application(k === 0 ? p : b.person(), at + k * b.int(1, 15) * MINUTE, b.device(), ip), {
          kind: 'legitimate',
          look: 'office',
        });
      }
    } else {
      b.add(b.application(p, at, b.device(), b.ip()), { kind: 'legitimate', look: 'single' });
    }
  }

  const posts =
    o.order === 'time'
      ? [...b.posts].sort((x, y) => Date.parse(x.body.submittedAt) - Date.parse(y.body.submittedAt))
      : b.shuffle([...b.posts]);
  return { order: o.order, posts };
}

export interface AlertSeen {
  applicationId: string;
  ruleId: string;
  mode: 'live' | 'shadow';
}

export interface ScenarioOutcome {
  scenario: HeldOutScenario;
  groups: number;
  caught: number;
  /** Accepted fraud members alerted by an expected rule / accepted fraud members. */
  members: number;
  membersFlagged: number;
}

export interface VariantOutcome {
  order: 'time' | 'shuffled';
  scenarios: ScenarioOutcome[];
  legitimate: number;
  /** Legitimate applications with any live alert (false positives), by look. */
  falsePositives: Array<{ look: string; applicationId: string; ruleId: string }>;
  shadowOnLegitimate: number;
}

/** Scores one variant against the alerts its accepted applications raised. */
export function scoreHeldOut(variant: HeldOutVariant, alerts: readonly AlertSeen[]): VariantOutcome {
  const byApp = new Map<string, AlertSeen[]>();
  for (const a of alerts) byApp.set(a.applicationId, [...(byApp.get(a.applicationId) ?? []), a]);
  const groups = new Map<string, { scenario: HeldOutScenario; caught: boolean }>();
  const members = new Map<HeldOutScenario, { n: number; flagged: number }>();
  const falsePositives: VariantOutcome['falsePositives'] = [];
  let legitimate = 0;
  let shadowOnLegitimate = 0;
  for (const { body, expect } of variant.posts) {
    const seen = byApp.get(body.applicationId) ?? [];
    if (expect.kind === 'legitimate') {
      legitimate++;
      for (const a of seen) {
        if (a.mode === 'live')
          falsePositives.push({ look: expect.look, applicationId: a.applicationId, ruleId: a.ruleId });
        else shadowOnLegitimate++;
      }
    } else if (expect.kind === 'fraud') {
      const hit = seen.some((a) => a.mode === 'live' && expect.rules.includes(a.ruleId));
      const g = groups.get(expect.group) ?? { scenario: expect.scenario, caught: false };
      g.caught ||= hit;
      groups.set(expect.group, g);
      const m = members.get(expect.scenario) ?? { n: 0, flagged: 0 };
      m.n++;
      if (hit) m.flagged++;
      members.set(expect.scenario, m);
    }
  }
  const scenarios = [...members.keys()].sort().map((scenario) => {
    const gs = [...groups.values()].filter((g) => g.scenario === scenario);
    const m = members.get(scenario) ?? { n: 0, flagged: 0 };
    return {
      scenario,
      groups: gs.length,
      caught: gs.filter((g) => g.caught).length,
      members: m.n,
      membersFlagged: m.flagged,
    };
  });
  return { order: variant.order, scenarios, legitimate, falsePositives, shadowOnLegitimate };
}
