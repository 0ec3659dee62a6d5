/**
 * The Flink reference of bench/fraud-detector (backlog section): the detector's rule set ported to a
 * Flink 2.2.1 DataStream job (./src, ./pom.xml), run on the same backlog topic in the same bench run.
 *
 * - `ensureFlinkJob()` builds the job once per version of its sources: Maven (offline when its local
 *   repository, ~/.cache/credit-platform/m2, already has everything) into
 *   ~/.cache/credit-platform/flink-bench-<hash of pom.xml and src>/ (the job's jar and a classpath file
 *   of its dependencies, which stay in that local repository). Without java or mvn, or when the build
 *   fails, it gives the reason instead (the bench prints it and goes on).
 * - `writeFlinkRules()` writes the rule set the job reads, from the detector's own compiled rule set
 *   (one definition: window rules with canonical paths and windows in ms, list rules with their values,
 *   expression rules with their text, which the job maps to hand-ported predicates).
 * - `runFlinkBacklog()` runs the job (local mini-cluster, `parallelism` slots) over the topic from the
 *   earliest offsets to the latest at start, and reads its alerts back. The rate is timed by the job
 *   itself, from the first application read to the job finished (alerts flushed to Kafka), so the JVM's
 *   and the mini-cluster's start-up are not counted.
 *
 * The port's acceptance test is the bench's alert parity (the same alert keys as the detector on the
 * same backlog); ./check-event-rules.ts adds edge cases of the per-application rules the generator
 * rarely makes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertId } from '../../api/alert.ts';
import type { FraudRuleSet } from '../../api/fraud-rules.ts';
import { cacheDir } from '../../infra/lib/paths.ts';
import { createTopicsWithLeaders, partitionCounts } from '../../lib/kafka-topics.ts';
import { DEFAULT_HORIZON_MS } from '../../workloads/fraud-detector/core/event-time.ts';
import { compileRuleSet } from '../../workloads/fraud-detector/rules/compile.ts';
import { canonicalPath } from '../../workloads/fraud-detector/rules/fields.ts';
import { createBatchConsumer } from '../../workloads/shared/batch-consumer.ts';
import type { KafkaConnection } from '../../workloads/shared/kafka.ts';
import { createAdmin } from '../../workloads/shared/kafka-client.ts';

const projectDir = dirname(fileURLToPath(import.meta.url));
const MAIN_CLASS = 'credit.bench.flink.FraudJob';
/** Maven's local repository for this job (its dependencies stay there: the classpath file names them). */
const m2 = join(cacheDir, 'm2');

export interface FlinkJob {
  /** The job's own classes. */
  jar: string;
  /** Its dependencies (absolute paths, `:`-separated). */
  classpath: string;
  /** True when this call built it. */
  built: boolean;
  /** Seconds the build took (0 when found in the cache). */
  buildSeconds: number;
}

export type FlinkJobOrReason = { ok: true; job: FlinkJob } | { ok: false; reason: string };

export interface FlinkBacklogResult {
  applications: number;
  alerts: number;
  /** From the first application read to the job finished (alerts flushed). */
  seconds: number;
  applicationsPerSecond: number;
  /** `<applicationId>:<ruleId>:<ruleVersion>` of every alert read back. */
  alertKeys: Set<string>;
  /** Seconds from the JVM started to the first application read (not counted in the rate). */
  startupSeconds: number;
  /** Seconds from the first application read to the last one processed by the window rules. */
  lastRecordSeconds: number;
}

/** The sources the build depends on, in a stable order. */
function sources(): string[] {
  const out = [join(projectDir, 'pom.xml')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(join(projectDir, 'src'));
  return out;
}

/** A hash of the job's sources (paths and contents): the build's cache key. */
export function flinkSourceHash(): string {
  const h = createHash('sha256');
  for (const file of sources()) {
    h.update(relative(projectDir, file));
    h.update('\0');
    h.update(readFileSync(file));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

function tool(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.split('\n')[0]?.trim();
}

function usable(dir: string): FlinkJob | undefined {
  const jar = join(dir, 'job.jar');
  const cpFile = join(dir, 'classpath.txt');
  if (!existsSync(jar) || !existsSync(cpFile)) return undefined;
  const classpath = readFileSync(cpFile, 'utf8').trim();
  // The dependencies live in the Maven repository: all of them must still be there.
  if (classpath === '' || !classpath.split(':').every((p) => existsSync(p))) return undefined;
  return { jar, classpath, built: false, buildSeconds: 0 };
}

function mvn(pom: string, offline: boolean): { ok: boolean; output: string } {
  const args = ['-q', '-B', ...(offline ? ['-o'] : []), `-Dmaven.repo.local=${m2}`, '-f', pom, 'package'];
  const r = spawnSync('mvn', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

/** The built job, from the cache or built now; or why there is none. Never throws. */
export function ensureFlinkJob(): FlinkJobOrReason {
  try {
    if (tool('java', ['-version']) === undefined) return { ok: false, reason: 'no java on PATH' };
    const dir = join(cacheDir, `flink-bench-${flinkSourceHash()}`);
    const cached = usable(dir);
    if (cached !== undefined) return { ok: true, job: cached };
    if (tool('mvn', ['-v']) === undefined) return { ok: false, reason: 'no mvn on PATH' };
    // Built in a copy of the sources (nothing written into the work tree), then moved into place.
    const work = join(cacheDir, `flink-bench-build-${randomUUID().slice(0, 8)}`);
    try {
      for (const file of sources()) {
        const to = join(work, relative(projectDir, file));
        mkdirSync(dirname(to), { recursive: true });
        writeFileSync(to, readFileSync(file));
      }
      const t0 = performance.now();
      const pom = join(work, 'pom.xml');
      // Offline first (everything already in the local repository), else let Maven download.
      let r = mvn(pom, true);
      if (!r.ok) r = mvn(pom, false);
      const buildSeconds = (performance.now() - t0) / 1000;
      if (!r.ok) {
        const tail = r.output.trim().split('\n').slice(-8).join(' | ');
        return { ok: false, reason: `the Flink job did not build (mvn package): ${tail}` };
      }
      const target = join(work, 'target');
      const jar = readdirSync(target).find((f) => f.endsWith('.jar'));
      if (jar === undefined) return { ok: false, reason: 'the Flink build made no jar' };
      const staged = `${dir}.tmp-${randomUUID().slice(0, 8)}`;
      mkdirSync(staged, { recursive: true });
      renameSync(join(target, jar), join(staged, 'job.jar'));
      renameSync(join(target, 'classpath.txt'), join(staged, 'classpath.txt'));
      rmSync(dir, { recursive: true, force: true });
      renameSync(staged, dir);
      const job = usable(dir);
      if (job === undefined) return { ok: false, reason: 'the Flink build left an incomplete classpath' };
      return { ok: true, job: { ...job, built: true, buildSeconds } };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } catch (err) {
    return { ok: false, reason: `the Flink job could not be prepared: ${(err as Error).message}` };
  }
}

/** Writes the rule set the job reads (see the module comment); `horizonMs` as the detector's default. */
export function writeFlinkRules(ruleSet: FraudRuleSet, file: string, horizonMs = DEFAULT_HORIZON_MS): void {
  const compiled = compileRuleSet(ruleSet);
  const lists = compiled.document.lists ?? {};
  const windowRules = [...compiled.keyGroups.values()].flatMap((g) =>
    g.rules.map((r) => ({
      id: r.id,
      version: r.version,
      mode: r.mode,
      kind: r.kind,
      keyPath: r.keyPath,
      windowMs: r.windowMs,
      threshold: r.threshold,
      distinctPath: r.distinctPath ?? null,
    })),
  );
  const eventRules = compiled.document.rules
    .filter((r) => r.enabled && (r.kind === 'expression' || r.kind === 'list'))
    .map((r) =>
      r.kind === 'expression'
        ? { id: r.id, version: r.version, mode: r.mode, kind: r.kind, expression: r.expression }
        : {
            id: r.id,
            version: r.version,
            mode: r.mode,
            kind: r.kind,
            field: canonicalPath(r.field as string),
            match: r.match,
            values: [...(r.list === undefined ? [] : (lists[r.list] ?? [])), ...(r.values ?? [])],
          },
    );
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        version: compiled.version,
        allowedLatenessMs: compiled.allowedLatenessMs,
        maxEntriesPerKey: compiled.maxEntriesPerKey,
        horizonMs,
        windowRules,
        eventRules,
      },
      null,
      2,
    )}\n`,
  );
}

interface JobLine {
  applications: number;
  alerts: number;
  submittedMs: number;
  firstRecordMs: number;
  lastRecordMs: number;
  endMs: number;
}

/** Runs the job over `topic` (bounded: up to its latest offsets at start) and reads its alerts back. */
export async function runFlinkBacklog(opts: {
  brokers: readonly string[];
  topic: string;
  partitions: number;
  parallelism: number;
  rulesFile: string;
  job: FlinkJob;
  timeoutMs?: number;
}): Promise<FlinkBacklogResult> {
  const alertsTopic = `${opts.topic}_flink_alerts`;
  const connection: KafkaConnection = { brokers: opts.brokers, clientId: 'fd-bench-flink' };
  const admin = createAdmin(connection);
  try {
    await createTopicsWithLeaders(admin, [
      { topic: alertsTopic, numPartitions: opts.partitions, replicationFactor: 1 },
    ]);
    const spawnedAt = Date.now();
    const line = await runJob(opts, alertsTopic);
    const alertKeys = await readAlertKeys(connection, alertsTopic);
    const seconds = (line.endMs - line.firstRecordMs) / 1000;
    return {
      applications: line.applications,
      alerts: line.alerts,
      seconds,
      applicationsPerSecond: line.applications / seconds,
      alertKeys,
      startupSeconds: (line.firstRecordMs - spawnedAt) / 1000,
      lastRecordSeconds: (line.lastRecordMs - line.firstRecordMs) / 1000,
    };
  } finally {
    await admin.deleteTopics({ topics: [alertsTopic] }).catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
}

function runJob(
  opts: {
    brokers: readonly string[];
    topic: string;
    parallelism: number;
    rulesFile: string;
    job: FlinkJob;
    timeoutMs?: number;
  },
  alertsTopic: string,
): Promise<JobLine> {
  const args = [
    '-cp',
    `${opts.job.jar}:${opts.job.classpath}`,
    MAIN_CLASS,
    '--brokers',
    opts.brokers.join(','),
    '--topic',
    opts.topic,
    '--alerts-topic',
    alertsTopic,
    '--rules',
    opts.rulesFile,
    '--parallelism',
    String(opts.parallelism),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20 * 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const found = /^FLINK_RESULT (\{.*\})$/m.exec(stdout);
      if (code !== 0 || found === null) {
        const tail = stderr.trim().split('\n').slice(-15).join('\n');
        reject(new Error(`the Flink job failed (exit ${code}):\n${tail}`));
        return;
      }
      resolve(JSON.parse(found[1] as string) as JobLine);
    });
  });
}

/**
 * The alert keys (`<applicationId>:<ruleId>:<ruleVersion>`) of every alert on an alerts topic (the
 * detector's or the Flink job's): read from the start up to the end offsets at the call (60 s at most).
 */
export async function readAlertKeys(connection: KafkaConnection, topic: string): Promise<Set<string>> {
  const admin = createAdmin(connection);
  let expected = 0;
  try {
    const partitions = (await partitionCounts(admin, [topic])).get(topic) ?? 0;
    const indexes = Array.from({ length: partitions }, (_, i) => i);
    const [ends] = await admin.listOffsets({
      topics: [
        { name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) },
      ],
    });
    for (const p of ends?.partitions ?? []) expected += Number(p.offset);
  } finally {
    await admin.close().catch(() => undefined);
  }
  const keys = new Set<string>();
  let read = 0;
  const consumer = createBatchConsumer(connection, {
    groupId: `fd-bench-flink-reader-${randomUUID().slice(0, 8)}`,
    topics: [topic],
    maxWaitTime: 100,
    eachBatch: (batch) => {
      for (const m of batch.messages) {
        const a = JSON.parse(m.value?.toString('utf8') ?? '{}') as {
          applicationId: string;
          ruleId: string;
          ruleVersion: number;
        };
        keys.add(alertId(a.applicationId, a.ruleId, a.ruleVersion));
        read++;
      }
    },
  });
  await consumer.start();
  const deadline = Date.now() + 60_000;
  while (read < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.stop();
  return keys;
}
