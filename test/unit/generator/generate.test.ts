import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { submissionValidator } from '../../../workloads/contract/validate.ts';
import {
  FRAUD_SCENARIOS,
  type GeneratedApplication,
  generateApplications,
  labelMap,
} from '../../../workloads/generator/generate.ts';
import { KNOWN_BAD } from '../../../workloads/generator/known-bad.ts';

const apps = generateApplications({ seed: 7, count: 4000 });
const by = (scenario: string) => apps.filter((a) => a.label.scenario === scenario);
const campaigns = (scenario: string) => {
  const groups = new Map<string, GeneratedApplication[]>();
  for (const a of by(scenario)) {
    const id = a.label.campaignId ?? a.label.applicationId;
    groups.set(id, [...(groups.get(id) ?? []), a]);
  }
  return [...groups.values()];
};

describe('generator', () => {
  it('produces applications the contract accepts', () => {
    const invalid = apps.filter((a) => !submissionValidator.validate(a.submission).ok);
    expect(invalid).toEqual([]);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = generateApplications({ seed: 7, count: 4000 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(apps));
    const other = generateApplications({ seed: 8, count: 50 });
    expect(other[0]?.submission.applicationId).not.toBe(apps[0]?.submission.applicationId);
  });

  it('gives unique application ids, labels matching the events, and event times in order', () => {
    const ids = new Set(apps.map((a) => a.submission.applicationId));
    expect(ids.size).toBe(apps.length);
    expect(apps.every((a) => a.label.applicationId === a.submission.applicationId)).toBe(true);
    const times = apps.map((a) => Date.parse(a.submission.submittedAt));
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] ?? 0))).toBe(true);
    expect(labelMap(apps).size).toBe(apps.length);
  });

  it('injects every fraud scenario near its configured rate', () => {
    for (const s of FRAUD_SCENARIOS) {
      const share = by(s).length / apps.length;
      expect(share, s).toBeGreaterThan(0.004);
      expect(share, s).toBeLessThan(0.04);
    }
    expect(by('legitimate').length / apps.length).toBeGreaterThan(0.88);
  });

  it('honours custom rates, including zero', () => {
    const only = generateApplications({
      seed: 3,
      count: 2000,
      scenarioRates: {
        velocity_burst: 0.2,
        device_ring: 0,
        synthetic_identity: 0,
        income_inflation: 0,
        geo_mismatch: 0,
        known_bad: 0,
      },
    });
    const scenarios = new Set(only.map((a) => a.label.scenario));
    expect([...scenarios].sort()).toEqual(['legitimate', 'velocity_burst']);
    const share = only.filter((a) => a.label.scenario === 'velocity_burst').length / only.length;
    expect(share).toBeGreaterThan(0.12);
    expect(share).toBeLessThan(0.28);
    expect(() => generateApplications({ seed: 1, count: 1, scenarioRates: { known_bad: 1.5 } })).toThrow(
      /known_bad/,
    );
  });

  it('makes velocity bursts: one identity, several applications within minutes', () => {
    for (const group of campaigns('velocity_burst')) {
      expect(group.length).toBeGreaterThanOrEqual(5);
      expect(new Set(group.map((a) => a.submission.applicant.nationalId)).size).toBe(1);
      expect(new Set(group.map((a) => a.submission.applicant.customerId)).size).toBe(1);
      const t = group.map((a) => Date.parse(a.submission.submittedAt));
      expect(Math.max(...t) - Math.min(...t)).toBeLessThan(60 * 60_000);
      expect(group.map((a) => a.label.seq)).toEqual(group.map((_, i) => i + 1));
    }
  });

  it('makes device rings: one device, distinct customers', () => {
    for (const group of campaigns('device_ring')) {
      expect(new Set(group.map((a) => a.submission.channel.deviceId)).size).toBe(1);
      expect(new Set(group.map((a) => a.submission.applicant.customerId)).size).toBe(group.length);
      expect(new Set(group.map((a) => a.submission.applicant.nationalId)).size).toBe(group.length);
    }
  });

  it('makes synthetic identities: one national id, differing names or birth dates', () => {
    for (const group of campaigns('synthetic_identity')) {
      expect(new Set(group.map((a) => a.submission.applicant.nationalId)).size).toBe(1);
      const people = new Set(
        group.map(
          (a) =>
            `${a.submission.applicant.firstName}|${a.submission.applicant.lastName}|${a.submission.applicant.dateOfBirth}`,
        ),
      );
      expect(people.size).toBe(group.length);
    }
  });

  it('makes income inflation: the same person declaring a rising income', () => {
    for (const group of campaigns('income_inflation')) {
      expect(new Set(group.map((a) => a.submission.applicant.customerId)).size).toBe(1);
      expect(new Set(group.map((a) => a.submission.applicant.dateOfBirth)).size).toBe(1);
      const incomes = group.map((a) => a.submission.employment.annualIncome);
      for (let i = 1; i < incomes.length; i++)
        expect(incomes[i]).toBeGreaterThan((incomes[i - 1] ?? 0) * 1.2);
    }
  });

  it('makes geo mismatches: connection country differs from address country', () => {
    for (const a of by('geo_mismatch')) {
      expect(a.submission.channel.geo?.country).toBeDefined();
      expect(a.submission.channel.geo?.country).not.toBe(a.submission.applicant.address.country);
    }
  });

  it('puts known-bad values only in known_bad applications, and one in each of those', () => {
    const ranges = new BlockList();
    for (const cidr of KNOWN_BAD.ipRanges) {
      const [net, bits] = cidr.split('/');
      ranges.addSubnet(net ?? '', Number(bits), cidr.includes(':') ? 'ipv6' : 'ipv4');
    }
    const hits = (a: GeneratedApplication) => {
      const { email } = a.submission.applicant;
      const { ipAddress, deviceId } = a.submission.channel;
      return (
        (KNOWN_BAD.emails as readonly string[]).includes(email) ||
        (KNOWN_BAD.emailDomains as readonly string[]).includes(email.split('@')[1] ?? '') ||
        ranges.check(ipAddress, ipAddress.includes(':') ? 'ipv6' : 'ipv4') ||
        (KNOWN_BAD.deviceIds as readonly string[]).includes(deviceId)
      );
    };
    expect(by('known_bad').length).toBeGreaterThan(0);
    expect(by('known_bad').every(hits)).toBe(true);
    expect(apps.filter((a) => a.label.scenario !== 'known_bad').some(hits)).toBe(false);
  });

  it('keeps legitimate traffic realistic and free of fraud patterns', () => {
    const legit = by('legitimate').map((a) => a.submission);
    const perDevice = new Map<string, Set<string>>();
    const perNationalId = new Map<string, number>();
    for (const s of legit) {
      perDevice.set(
        s.channel.deviceId,
        (perDevice.get(s.channel.deviceId) ?? new Set()).add(s.applicant.customerId),
      );
      perNationalId.set(s.applicant.nationalId, (perNationalId.get(s.applicant.nationalId) ?? 0) + 1);
      if (s.channel.geo) expect(s.channel.geo.country).toBe(s.applicant.address.country);
    }
    expect(Math.max(...[...perDevice.values()].map((c) => c.size))).toBe(1);
    expect(Math.max(...perNationalId.values())).toBeLessThanOrEqual(2);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const incomes = (status: string) =>
      legit.filter((s) => s.employment.status === status).map((s) => s.employment.annualIncome);
    expect(median(incomes('employed'))).toBeGreaterThan(median(incomes('student')) * 2);
    expect(median(incomes('employed'))).toBeGreaterThan(median(incomes('unemployed')) * 2);
    const scores = legit.flatMap((s) => (s.credit.bureauScore === undefined ? [] : [s.credit.bureauScore]));
    expect(median(scores)).toBeGreaterThan(620);
    expect(median(scores)).toBeLessThan(760);
    // Lower scores come with more delinquencies.
    const delinq = (pred: (score: number) => boolean) =>
      legit.filter((s) => s.credit.bureauScore !== undefined && pred(s.credit.bureauScore));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    expect(mean(delinq((x) => x < 600).map((s) => s.credit.delinquencies24m))).toBeGreaterThan(
      mean(delinq((x) => x > 720).map((s) => s.credit.delinquencies24m)) * 2,
    );
    // Loans stay in proportion to income, and applicants are adults.
    const lti = legit.map((s) => s.loan.amount / Math.max(1, s.employment.annualIncome));
    expect(median(lti)).toBeLessThan(0.8);
    for (const s of legit) {
      const age = (Date.parse(s.submittedAt) - Date.parse(s.applicant.dateOfBirth)) / (365.25 * 864e5);
      expect(age).toBeGreaterThanOrEqual(18);
    }
  });
});
