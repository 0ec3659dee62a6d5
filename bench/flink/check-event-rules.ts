/**
 * A check of the Flink port's per-application rules (expression and list) against the detector's own,
 * on edge cases the generator rarely or never makes: a birthday around the 18th (leap days, offsets in
 * submittedAt), loan and debt ratios around their thresholds and a zero income, a missing or equal geo
 * country, known-bad e-mails in other cases, with spaces or as subdomains, addresses in and just out of
 * the known-bad IPv4 and IPv6 ranges, known-bad devices in other cases. The window keys are made unique
 * so only per-application rules fire. Prints both sides' alert keys and exits 1 when they differ.
 *
 *   eval "$(make -s env)" && npx tsx bench/flink/check-event-rules.ts
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireInfra } from '../../infra/lib/state.ts';
import { createTopicsWithLeaders } from '../../lib/kafka-topics.ts';
import { pseudonymize } from '../../workloads/contract/pseudonymize.ts';
import { evaluateEventRules } from '../../workloads/fraud-detector/core/event-rules.ts';
import { compileRuleSet } from '../../workloads/fraud-detector/rules/compile.ts';
import { DEFAULT_RULES } from '../../workloads/fraud-detector/rules/default-rules.ts';
import { generateApplications } from '../../workloads/generator/generate.ts';
import { Random } from '../../workloads/generator/random.ts';
import { bytesMessage, createAdmin, createProducer } from '../../workloads/shared/kafka-client.ts';
import { ensureFlinkJob, runFlinkBacklog, writeFlinkRules } from './run.ts';

const COUNT = Number(process.env.CHECK_COUNT ?? 3000);
const brokers = [requireInfra('kafka').bootstrapServers];
const connection = { brokers, clientId: 'flink-check' };
const topic = `fd_flink_check_${randomUUID().slice(0, 8)}`;
const rng = new Random(12345);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rng.next() * a.length)] as T;

const events = generateApplications({ seed: 3, count: COUNT }).map((g, i) => {
  const e = pseudonymize(g.submission, 'bench-pseudonymization-key-0123', new Date());
  e.applicant.nationalIdHash = `${i.toString(16).padStart(8, '0')}${'0'.repeat(56)}`;
  e.channel.deviceId = `dev-check-${i}`;
  e.channel.ipAddress = `10.${(i >> 8) & 255}.${i & 255}.1`;
  switch (i % 9) {
    case 0: {
      const d = new Date(e.submittedAt);
      d.setUTCFullYear(d.getUTCFullYear() - 18);
      d.setUTCDate(d.getUTCDate() + Math.floor(rng.next() * 5) - 2);
      e.applicant.dateOfBirth = d.toISOString().slice(0, 10);
      break;
    }
    case 1:
      e.loan.amount = Math.round(e.employment.annualIncome * (4.9 + rng.next() * 0.2));
      if (rng.next() < 0.1) e.employment.annualIncome = 0;
      break;
    case 2:
      e.credit.monthlyDebtPayments =
        Math.round(e.employment.annualIncome * 0.05 * (0.9 + rng.next() * 0.2) * 100) / 100;
      break;
    case 3:
      if (rng.next() < 0.5) delete e.channel.geo;
      else e.channel.geo = { lat: 1, lon: 2, country: pick(['DE', 'FR', e.applicant.address.country]) };
      break;
    case 4:
      e.applicant.email = pick([
        'Refund.King@FastCash-Mail.test',
        ' x@sub.burner-box.test',
        'a@tempinbox.test.org',
        'b@notburner-box.test',
        'j.doe.1970@burner-box.test',
      ]);
      break;
    case 5:
      e.channel.ipAddress = pick([
        '203.0.113.7',
        '203.0.114.7',
        '2001:db8:bad::1',
        '2001:db8:bad:ffff::1',
        '2001:db8:bac::1',
        '198.51.100.255',
        '::ffff:203.0.113.1',
      ]);
      break;
    case 6:
      e.channel.deviceId = pick(['dev-7f3a9c1e-bad0', 'DEV-7F3A9C1E-BAD0', 'dev-0c0ffee0-bad1 ']);
      break;
    case 7:
      e.submittedAt = pick(['2026-02-28T23:59:59Z', '2026-03-01T00:00:00.000Z', '2026-12-04T01:00:00+02:00']);
      e.applicant.dateOfBirth = pick(['2008-02-29', '2008-03-01', '2008-12-03', '2008-12-04']);
      break;
    default:
      break;
  }
  return e;
});

const rules = compileRuleSet(DEFAULT_RULES);
const ours = new Set<string>();
for (const e of events) for (const a of evaluateEventRules(rules, e, new Date())) ours.add(a.alertId);

const prepared = ensureFlinkJob();
if (!prepared.ok) {
  console.error(`no Flink job: ${prepared.reason}`);
  process.exit(1);
}
const admin = createAdmin(connection);
const rulesFile = join(tmpdir(), `flink-check-rules-${randomUUID().slice(0, 8)}.json`);
try {
  await createTopicsWithLeaders(admin, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
  const producer = createProducer(connection);
  for (let i = 0; i < events.length; i += 300) {
    const slice = events.slice(i, i + 300);
    await producer.send({
      messages: slice.map((e) =>
        bytesMessage(topic, { key: e.applicant.customerId, value: JSON.stringify(e) }),
      ),
    });
  }
  await producer.close();
  writeFlinkRules(DEFAULT_RULES, rulesFile);
  const r = await runFlinkBacklog({
    brokers,
    topic,
    partitions: 3,
    parallelism: 2,
    rulesFile,
    job: prepared.job,
  });
  const onlyOurs = [...ours].filter((k) => !r.alertKeys.has(k));
  const onlyFlink = [...r.alertKeys].filter((k) => !ours.has(k));
  const byRule = new Map<string, number>();
  for (const k of ours)
    byRule.set(k.split(':')[1] as string, (byRule.get(k.split(':')[1] as string) ?? 0) + 1);
  console.log(`${events.length} applications; alert keys: ours ${ours.size}, Flink ${r.alertKeys.size}`);
  console.log(`ours by rule: ${[...byRule].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (onlyOurs.length + onlyFlink.length > 0) {
    console.log(`ours only: ${onlyOurs.slice(0, 10).join(', ')}`);
    console.log(`Flink only: ${onlyFlink.slice(0, 10).join(', ')}`);
    process.exitCode = 1;
  } else console.log('the same alert keys');
} finally {
  rmSync(rulesFile, { force: true });
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.close();
}
process.exit(process.exitCode ?? 0);
