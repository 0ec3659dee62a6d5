import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { FraudRuleSet, fraudRuleSetJsonSchema } from '../../../api/fraud-rules.ts';
import { pseudonymize } from '../../../workloads/contract/pseudonymize.ts';
import { eventValidator } from '../../../workloads/contract/validate.ts';
import { evaluateEventRules } from '../../../workloads/fraud-detector/core/event-rules.ts';
import { repartitionKeys } from '../../../workloads/fraud-detector/core/repartition.ts';
import { PartitionWindows } from '../../../workloads/fraud-detector/core/windows.ts';
import { compileRuleSet, RuleSetError } from '../../../workloads/fraud-detector/rules/compile.ts';
import { DEFAULT_RULES } from '../../../workloads/fraud-detector/rules/default-rules.ts';
import { FRAUD_SCENARIOS, generateApplications } from '../../../workloads/generator/generate.ts';
import { KNOWN_BAD } from '../../../workloads/generator/known-bad.ts';
import { makeEvent, ruleSet } from './fixtures.ts';

const problems = (input: unknown): string[] => {
  try {
    compileRuleSet(input);
    return [];
  } catch (err) {
    if (err instanceof RuleSetError) return err.problems;
    throw err;
  }
};

const base = { version: 'v1', rules: [] as unknown[] };
const rule = (r: Record<string, unknown>) => ({
  id: 'r1',
  version: 1,
  severity: 'high',
  reasonCode: 'X_Y',
  mode: 'live',
  ...r,
});

describe('rule-set validation', () => {
  it('accepts the default rule set and applies setting defaults', () => {
    const compiled = compileRuleSet(DEFAULT_RULES);
    expect(compiled.version).toBe('default-1');
    expect([...compiled.keyGroups.keys()].sort()).toEqual([
      'applicant.nationalIdHash',
      'channel.deviceId',
      'channel.ipAddress',
    ]);
    expect(compileRuleSet({ version: 'v', rules: [] }).allowedLatenessMs).toBe(600_000);
  });

  it('names each problem: schema errors, per-kind fields, paths, expressions, lists, CIDRs, duplicates', () => {
    expect(problems({ rules: [] })[0]).toMatch(/version/);
    expect(problems({ ...base, rules: [rule({ kind: 'velocity', key: 'deviceId', window: '1h' })] })).toEqual(
      ['rules[0] (r1): velocity rules need "threshold"'],
    );
    expect(
      problems({
        ...base,
        rules: [rule({ kind: 'velocity', key: 'device', window: '1h', threshold: 3 })],
      })[0],
    ).toMatch(/unknown field "device"/);
    expect(
      problems({ ...base, rules: [rule({ kind: 'expression', expression: 'loan.amount >' })] })[0],
    ).toMatch(/rules\[0\] \(r1\): expression: unexpected "end of expression" at position 13/);
    expect(
      problems({ ...base, rules: [rule({ kind: 'list', field: 'email', match: 'exact', list: 'nope' })] })[0],
    ).toMatch(/unknown list "nope"/);
    expect(
      problems({
        ...base,
        rules: [rule({ kind: 'list', field: 'ipAddress', match: 'cidr', values: ['10.0.0.0/40'] })],
      })[0],
    ).toMatch(/not an IP address or CIDR range/);
    expect(
      problems({
        ...base,
        rules: [
          rule({ kind: 'expression', expression: 'true' }),
          rule({ kind: 'expression', expression: 'true' }),
        ],
      }),
    ).toEqual(['rules[1] (r1): duplicate rule id']);
    expect(
      problems({
        ...base,
        rules: [rule({ kind: 'velocity', key: 'deviceId', window: '1 hour', threshold: 3 })],
      })[0],
    ).toMatch(/window/);
    expect(
      problems({ ...base, rules: [rule({ kind: 'expression', expression: 'true', mode: 'loud' })] })[0],
    ).toMatch(/mode/);
  });

  it('skips disabled rules', () => {
    const c = compileRuleSet({
      ...base,
      rules: [rule({ kind: 'expression', expression: 'true', enabled: false })],
    });
    expect(c.eventRules).toEqual([]);
  });

  it('exports a JSON Schema usable in a CRD: flat rules, CEL per kind, no $ref', () => {
    const schema = fraudRuleSetJsonSchema();
    const text = JSON.stringify(schema);
    expect(text).not.toContain('$ref');
    expect(text).not.toContain('allOf');
    const ruleSchema =
      (schema.properties as Record<string, { items: Record<string, unknown> }>).rules?.items ?? {};
    expect(ruleSchema.type).toBe('object');
    expect(JSON.stringify(ruleSchema['x-kubernetes-validations'])).toContain("self.kind != 'expression'");
    expect(Value.Check(FraudRuleSet, DEFAULT_RULES)).toBe(true);
  });
});

describe('list rules', () => {
  const lists = ruleSet([
    { id: 'mail', kind: 'list', field: 'email', match: 'exact', values: ['Bad@Example.test'] },
    { id: 'dom', kind: 'list', field: 'email', match: 'emailDomain', values: ['burner.test'] },
    {
      id: 'ip',
      kind: 'list',
      field: 'ipAddress',
      match: 'cidr',
      values: ['203.0.113.0/24', '2001:db8:bad::/48'],
    },
    { id: 'dev', kind: 'list', field: 'deviceId', match: 'exact', values: ['dev-bad'] },
  ]);
  const hits = (over: Parameters<typeof makeEvent>[0]) =>
    evaluateEventRules(lists, makeEvent(over), new Date()).map((a) => a.ruleId);

  it('matches e-mails case-insensitively, domains and their subdomains, IPs in ranges, devices', () => {
    expect(hits({ email: 'bad@example.TEST' })).toEqual(['mail']);
    expect(hits({ email: 'x@burner.test' })).toEqual(['dom']);
    expect(hits({ email: 'x@mx.burner.test' })).toEqual(['dom']);
    expect(hits({ email: 'x@notburner.test' })).toEqual([]);
    expect(hits({ ipAddress: '203.0.113.250' })).toEqual(['ip']);
    expect(hits({ ipAddress: '2001:db8:bad:1::5' })).toEqual(['ip']);
    expect(hits({ ipAddress: '203.0.114.1' })).toEqual([]);
    expect(hits({ deviceId: 'dev-bad' })).toEqual(['dev']);
    expect(hits({})).toEqual([]);
  });

  it('puts the list name, not the matched value, in the evidence', () => {
    const [alert] = evaluateEventRules(lists, makeEvent({ email: 'bad@example.test' }), new Date());
    expect(alert?.evidence).toEqual({
      kind: 'list',
      list: 'inline',
      match: 'exact',
      field: 'applicant.email',
    });
  });
});

describe('default rules on generator traffic (pure core, 3 repartition partitions)', () => {
  it('reaches recall ≥ 0.95 on every scenario they target, with few legitimate applications flagged', () => {
    const rules = compileRuleSet(DEFAULT_RULES);
    const items = generateApplications({ seed: 42, count: 6000 });
    const partitions = [0, 1, 2].map(() => new PartitionWindows(rules));
    const flagged = new Set<string>();
    const now = new Date();
    for (const [offset, { submission }] of items.entries()) {
      const event = pseudonymize(submission, 'unit-test-key-0123456789', new Date(submission.submittedAt));
      expect(eventValidator.validate(event).ok).toBe(true);
      for (const a of evaluateEventRules(rules, event, now))
        if (a.mode === 'live') flagged.add(a.applicationId);
      for (const k of repartitionKeys(rules, event, event.submittedAt)) {
        const p = partitions[hashKey(`${k.keyPath}|${k.key}`) % 3] as PartitionWindows;
        for (const a of p.process({ ...k, offset }, true, now).alerts) {
          if (a.mode === 'live') flagged.add(a.applicationId);
        }
      }
    }
    const recall: Record<string, number> = {};
    for (const s of FRAUD_SCENARIOS) {
      const members = items.filter((i) => i.label.scenario === s);
      expect(members.length, s).toBeGreaterThan(5);
      recall[s] = members.filter((i) => flagged.has(i.label.applicationId)).length / members.length;
    }
    const legit = items.filter((i) => i.label.scenario === 'legitimate');
    const falsePositiveRate = legit.filter((i) => flagged.has(i.label.applicationId)).length / legit.length;
    for (const s of FRAUD_SCENARIOS) expect(recall[s], `${s} recall`).toBeGreaterThanOrEqual(0.95);
    expect(falsePositiveRate).toBeLessThan(0.02);
  }, 60_000);

  it('lists every known-bad value of the generator', () => {
    const lists = DEFAULT_RULES.lists ?? {};
    expect(lists.knownBadEmails).toEqual([...KNOWN_BAD.emails]);
    expect(lists.knownBadDevices).toEqual([...KNOWN_BAD.deviceIds]);
  });
});

function hashKey(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}
