/**
 * What an alert costs the alert store: the detector's own store code (`io/alert-store.ts`: insertMany
 * of a batch, the alert key as `_id`, unordered; the collection with its indexes) writing the alerts
 * the built-in rules raise on generated applications (the window stage's and the per-application
 * rules' real alerts, so the real document shape), on the harness's Mongo-wire server (FerretDB on
 * SQLite, as the operator's managed store). Per batch size: alerts/s, and the server's CPU per alert
 * (from /proc: user and system time of the server process), beside the ceiling measured in the same
 * run: documents holding only an `_id`, in batches of 200, through the same driver — the server's cost
 * per document before any content. A replay (the same alerts again: every insert a duplicate-key
 * error, the first write kept) is measured too, since a detector restarting from its last commit
 * re-sends what it had written.
 *
 *   npx tsx bench/fraud-detector/alert-store.ts    # BENCH_N applications (20000), BENCH_BATCHES (20,200,1000)
 *
 * Feeds docs/capacity.md ("Alert store").
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { alertId, type FraudAlert } from '../../api/alert.ts';
import { readPid } from '../../infra/lib/process.ts';
import { requireInfra } from '../../infra/lib/state.ts';
import { createLogger } from '../../lib/log.ts';
import { pseudonymize } from '../../workloads/contract/pseudonymize.ts';
import { eventValidator } from '../../workloads/contract/validate.ts';
import { checkApplication } from '../../workloads/fraud-detector/core/check-application.ts';
import { PartitionWindows } from '../../workloads/fraud-detector/core/windows.ts';
import { openAlertStore } from '../../workloads/fraud-detector/io/alert-store.ts';
import { compileRuleSet } from '../../workloads/fraud-detector/rules/compile.ts';
import { DEFAULT_RULES } from '../../workloads/fraud-detector/rules/default-rules.ts';
import { applicationStream } from '../../workloads/generator/generate.ts';
import { processCpu } from '../lib/proc.ts';

const N = Number(process.env.BENCH_N ?? 20_000);
const BATCHES = (process.env.BENCH_BATCHES ?? '20,200,1000').split(',').map(Number);
const HORIZON = 24 * 3_600_000;

/** The alerts the built-in rules raise on N generated applications, one per alert key. */
function generatedAlerts(): FraudAlert[] {
  const rules = compileRuleSet(DEFAULT_RULES);
  const windows = new PartitionWindows(rules);
  const byKey = new Map<string, FraudAlert>();
  const now = new Date();
  const checkedAt = now.toISOString();
  let offset = 0;
  for (const g of applicationStream({ seed: 7, count: N, start: Date.now() - N * 100, intervalMs: 100 })) {
    const v = eventValidator.validate(pseudonymize(g.submission, 'bench-pseudonymization-key-0123', now));
    if (!v.ok) continue;
    const c = checkApplication(rules, v.value, String(now.getTime()), now, checkedAt, HORIZON);
    const found: FraudAlert[] = [...c.raised];
    for (const k of c.keys) {
      found.push(
        ...windows.process(
          { keyPath: k.keyPath, key: k.key, offset, record: k.record, times: c.times },
          true,
          now,
        ).alerts,
      );
    }
    for (const a of found) byKey.set(alertId(a.applicationId, a.ruleId, a.ruleVersion), a);
    offset++;
  }
  return [...byKey.values()];
}

interface Figure {
  what: string;
  docs: number;
  perSecond: number;
  userUs: number;
  systemUs: number;
}

async function timed(what: string, docs: number, pid: number, write: () => Promise<void>): Promise<Figure> {
  const c0 = processCpu(pid);
  const t0 = performance.now();
  await write();
  const ms = performance.now() - t0;
  const c1 = processCpu(pid);
  return {
    what,
    docs,
    perSecond: Math.round(docs / (ms / 1000)),
    userUs: ((c1.user - c0.user) * 1e6) / docs,
    systemUs: ((c1.system - c0.system) * 1e6) / docs,
  };
}

async function main(): Promise<void> {
  const mongo = requireInfra('mongo');
  const pid = readPid('ferretdb');
  if (pid === undefined) throw new Error("the harness's Mongo-wire server is not running: make infra-up");
  const alerts = generatedAlerts();
  const log = createLogger('alert-store-bench');
  const run = randomUUID().slice(0, 8);
  const figures: Figure[] = [];
  for (const batch of BATCHES) {
    const store = await openAlertStore({
      url: mongo.url,
      database: 'alert_store_bench',
      collection: `alerts_${run}_${batch}`,
      log,
    });
    try {
      const write = async () => {
        for (let i = 0; i < alerts.length; i += batch) await store.write(alerts.slice(i, i + batch));
      };
      figures.push(await timed(`the detector's alerts, batches of ${batch}`, alerts.length, pid, write));
      if (batch === 200)
        figures.push(
          await timed(
            'the same alerts again (a replay: every one a duplicate), batches of 200',
            alerts.length,
            pid,
            write,
          ),
        );
    } finally {
      await store.collection.drop();
      await store.close();
    }
  }
  const client = new MongoClient(mongo.url);
  await client.connect();
  try {
    const coll = client.db('alert_store_bench').collection<{ _id: string }>(`ids_${run}`);
    const ids = alerts.map(() => ({ _id: randomUUID() }));
    figures.push(
      await timed('ceiling: documents holding only an _id, batches of 200', ids.length, pid, async () => {
        for (let i = 0; i < ids.length; i += 200)
          await coll.insertMany(ids.slice(i, i + 200), { ordered: false });
      }),
    );
    await coll.drop();
  } finally {
    await client.close();
  }
  const rows = figures.map(
    (f) =>
      `| ${f.what} | ${f.docs} | ${f.perSecond} | ${(f.userUs + f.systemUs).toFixed(0)} (${f.userUs.toFixed(0)} user, ${f.systemUs.toFixed(0)} system) |`,
  );
  console.log(
    [
      `# Alert store: cost per alert (${mongo.flavor} ${mongo.version})`,
      '',
      `${alerts.length} alerts raised by the built-in rules on ${N} generated applications (${((alerts.length / N) * 100).toFixed(1)} %), written by the detector's store code, one client.`,
      '',
      '| Write | Documents | Per second | Server CPU per document (µs) |',
      '| --- | ---: | ---: | ---: |',
      ...rows,
    ].join('\n'),
  );
}

await main();
