/**
 * The detector's own CPU per application, without Kafka or MongoDB: the steps of the source stage
 * (parse, validate, per-application rules, repartition keys, source verdict part, packed repartition
 * and verdict records) and of the window stage (parse the packed records, window state and rules,
 * window verdict parts) over generated applications, batch by batch, as io/source-stage.ts and
 * io/window-stage.ts run them. What a change to that code saves shows here with far less noise than in
 * the end-to-end bench on a shared machine (process CPU time, GC included, best of BENCH_REPS runs; µs
 * per application).
 *
 *   npx tsx bench/fraud-detector/core-cpu.ts        # BENCH_N (20000), BENCH_BATCH (400), BENCH_REPS (7)
 */
import { type SourceVerdictPart, verdictRecords } from '../../api/verdict.ts';
import type { ApplicationEvent } from '../../workloads/contract/application.ts';
import { pseudonymize } from '../../workloads/contract/pseudonymize.ts';
import { eventValidator } from '../../workloads/contract/validate.ts';
import { checkApplication } from '../../workloads/fraud-detector/core/check-application.ts';
import { eventTimes } from '../../workloads/fraud-detector/core/event-time.ts';
import {
  packByPartition,
  parsePacked,
  type RepartitionKey,
} from '../../workloads/fraud-detector/core/repartition.ts';
import { sourcePartition, windowPart } from '../../workloads/fraud-detector/core/verdict.ts';
import { PartitionWindows } from '../../workloads/fraud-detector/core/windows.ts';
import { compileRuleSet } from '../../workloads/fraud-detector/rules/compile.ts';
import { DEFAULT_RULES } from '../../workloads/fraud-detector/rules/default-rules.ts';
import { applicationStream } from '../../workloads/generator/generate.ts';

const N = Number(process.env.BENCH_N ?? 20_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 400);
const REPS = Number(process.env.BENCH_REPS ?? 7);
const PARTITIONS = 3;
const HORIZON = 24 * 3_600_000;

/** CPU time of this process (ms): unlike the wall clock, it does not count time other processes ran. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const rules = compileRuleSet(DEFAULT_RULES);
const receivedAt = new Date();
const values: Buffer[] = [];
for (const g of applicationStream({ seed: 99, count: N, start: Date.now() - N * 100, intervalMs: 100 }))
  values.push(
    Buffer.from(JSON.stringify(pseudonymize(g.submission, 'bench-pseudonymization-key-0123', receivedAt))),
  );

/** One run over all applications; returns [source ms, window ms, sink] (sink: keeps results alive). */
function run(): [number, number, number] {
  const windows = Array.from({ length: PARTITIONS }, () => new PartitionWindows(rules));
  let sink = 0;
  let sourceMs = 0;
  let windowMs = 0;
  for (let b = 0; b < values.length; b += BATCH) {
    const t0 = cpuMs();
    const now = new Date();
    const checkedAt = now.toISOString();
    const toRepartition: Array<{ keys: RepartitionKey[]; source: string }> = [];
    const verdicts: Array<{ part: SourceVerdictPart; partition: number }> = [];
    const end = Math.min(values.length, b + BATCH);
    for (let i = b; i < end; i++) {
      const parsed: unknown = JSON.parse((values[i] as Buffer).toString('utf8'));
      const v = eventValidator.validate(parsed);
      if (!v.ok) continue;
      const event: ApplicationEvent = v.value;
      const { keys, part } = checkApplication(rules, event, String(now.getTime()), now, checkedAt, HORIZON);
      verdicts.push({ part, partition: 0 });
      if (keys.length > 0) toRepartition.push({ keys, source: `apps/0/${i}` });
    }
    const packed = packByPartition(toRepartition, PARTITIONS);
    const bytes = packed.map((m) => ({ partition: m.partition, value: Buffer.from(m.value) }));
    for (const r of verdictRecords(verdicts)) sink += Buffer.byteLength(r.value);
    const t1 = cpuMs();
    sourceMs += t1 - t0;
    for (const m of bytes) {
      const windowParts: Array<{ part: ReturnType<typeof windowPart>; partition: number | undefined }> = [];
      const state = windows[m.partition] as PartitionWindows;
      const apps = parsePacked(m.value.toString('utf8'))?.apps ?? [];
      for (const app of apps) {
        const partition = sourcePartition(app.source);
        const times = eventTimes(app.submittedAt, app.receivedAt);
        for (const [keyPath, key] of app.keys) {
          const r = state.process({ keyPath, key, offset: b, record: app, times }, true, now);
          sink += r.alerts.length;
          if (r.outcome !== 'duplicate')
            windowParts.push({
              part: windowPart({
                applicationId: app.applicationId,
                customerId: app.customerId,
                keyPath,
                checkedAt,
                alerts: r.alerts,
              }),
              partition,
            });
        }
      }
      for (const r of verdictRecords(windowParts)) sink += Buffer.byteLength(r.value);
    }
    windowMs += cpuMs() - t1;
  }
  return [sourceMs, windowMs, sink];
}

const results: Array<[number, number]> = [];
let check = 0;
for (let r = 0; r < REPS; r++) {
  const [s, w, sink] = run();
  check = sink;
  results.push([s, w]);
}
const us = (ms: number) => ((ms * 1000) / values.length).toFixed(1);
const best = (i: 0 | 1) => Math.min(...results.map((r) => r[i]));
const total = Math.min(...results.map((r) => r[0] + r[1]));
console.log(
  `${values.length} applications, batches of ${BATCH}, best of ${REPS}: source ${us(best(0))} µs, window ${us(best(1))} µs, both ${us(total)} µs per application (check ${check})`,
);
