/**
 * `credit-platform risk-scorer [--partition i --partitions n] [--from YYYY-MM-DD --to YYYY-MM-DD [--reason text]] [--run-id id]`
 *
 * Scores one hash partition of the warehouse's applications (see batch.ts) and exits: 0 when the
 * partition succeeded, 1 when it failed (its transaction rolled back; the Job retries the index).
 * As a Kubernetes Indexed Job: JOB_COMPLETION_INDEX selects the partition, SHARD_COUNT is the number of
 * partitions (= completions), and all indexes share RUN_ID (default: the pod hostname without its
 * "-<index>" suffix, which is the Job name for Indexed Jobs).
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { Type } from '@sinclair/typebox';
import { ENV, PORTS, SCORER_ENV } from '../../api/env.ts';
import { loadConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { startOpsServer } from '../../lib/ops-server.ts';
import { createPool, whenWarehouseReady } from '../warehouse/db.ts';
import { runScoring } from './batch.ts';
import { createScorerMetrics } from './metrics.ts';
import { BUILT_IN_CHALLENGER, BUILT_IN_CHAMPION, loadModelSet } from './models.ts';

export const ScorerConfig = Type.Object({
  databaseUrl: Type.String({ pattern: '^postgres(ql)?://' }),
  modelFile: Type.String({ default: BUILT_IN_CHAMPION, description: 'Champion scorecard (YAML or JSON)' }),
  challengerModelFile: Type.String({
    default: BUILT_IN_CHALLENGER,
    description: 'Challenger scorecard, or "none"',
  }),
  shardCount: Type.Integer({ default: 1, minimum: 1, maximum: 1024 }),
  shardIndex: Type.Integer({ default: 0, minimum: 0, maximum: 1023 }),
  runId: Type.String({ default: '', maxLength: 200 }),
  opsPort: Type.Integer({
    default: PORTS.ops,
    minimum: -1,
    maximum: 65535,
    description: '-1 disables /metrics',
  }),
  opsHost: Type.String({ default: '0.0.0.0' }),
  metricsLingerSeconds: Type.Number({ default: 0, minimum: 0, maximum: 600 }),
  pageSize: Type.Integer({ default: 5000, minimum: 1, maximum: 100_000 }),
  lockTimeoutMs: Type.Integer({ default: 60_000, minimum: 0 }),
  decisionGraceSeconds: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 604_800,
    description:
      'Issue first decisions only for applications loaded at least this long ago (the stream decides first)',
  }),
});

/** The run id shared by every index of one Job. */
export function defaultRunId(host: string, index: number, now: Date): string {
  const suffix = `-${index}`;
  if (process.env[ENV.shardIndex] !== undefined && host.endsWith(suffix))
    return host.slice(0, -suffix.length);
  return `run-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export async function run(argv: string[]): Promise<void> {
  const log = createLogger('risk-scorer');
  const config = loadConfig(ScorerConfig, SCORER_ENV);
  const { values } = parseArgs({
    args: argv,
    options: {
      partition: { type: 'string' },
      partitions: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'run-id': { type: 'string' },
      reason: { type: 'string' },
    },
    strict: true,
  });
  const partition = {
    index: values.partition === undefined ? config.shardIndex : Number(values.partition),
    count: values.partitions === undefined ? config.shardCount : Number(values.partitions),
  };
  if ((values.from === undefined) !== (values.to === undefined))
    throw new Error('backfill needs both --from and --to (YYYY-MM-DD, UTC, to exclusive)');
  if (values.from !== undefined && !(DATE.test(values.from) && DATE.test(values.to ?? '')))
    throw new Error('--from and --to must be dates YYYY-MM-DD');
  const backfill =
    values.from !== undefined && values.to !== undefined
      ? {
          from: `${values.from}T00:00:00Z`,
          to: `${values.to}T00:00:00Z`,
          ...(values.reason === undefined ? {} : { reason: values.reason }),
        }
      : undefined;
  if (values.reason !== undefined && backfill === undefined)
    throw new Error('--reason applies to a backfill (--from, --to): only a backfill supersedes decisions');
  if (values.reason !== undefined && values.reason.trim() === '')
    throw new Error('--reason must not be empty');
  const runId = values['run-id'] ?? (config.runId || defaultRunId(hostname(), partition.index, new Date()));
  const models = loadModelSet(config.modelFile, config.challengerModelFile);

  const metrics = createScorerMetrics();
  const ops =
    config.opsPort < 0
      ? undefined
      : await startOpsServer(config.opsPort, config.opsHost, {
          registry: metrics.registry,
          readiness: () => null,
        });
  const pool = createPool(config.databaseUrl, 2, `risk-scorer-${partition.index}`);
  log.info(
    { runId, partition, models: models.all.map((m) => `${m.key} (${m.role})`), backfill: backfill ?? null },
    'scoring run started',
  );
  try {
    // A run the schedule starts while the pipeline is still coming up (PostgreSQL's Service not yet
    // resolvable, the migrations Job not done) waits for the warehouse instead of failing the Job: the
    // run's first statements (registering the models, marking it running) are what would fail, and
    // nothing is written before them.
    const summary = await whenWarehouseReady(
      () =>
        runScoring(pool, {
          runId,
          partition,
          models,
          backfill,
          pageSize: config.pageSize,
          lockTimeoutMs: config.lockTimeoutMs,
          decisionGraceSeconds: config.decisionGraceSeconds,
        }),
      { onWait: (reason) => log.info({ reason }, 'waiting for the warehouse and its migrations') },
    );
    metrics.record(summary);
    const { models: perModel, ...rest } = summary;
    log.info(
      {
        ...rest,
        models: perModel.map((m) => ({
          model: m.modelKey,
          role: m.role,
          scores: m.scoresWritten,
          psi: m.psi,
        })),
      },
      `scoring run ${summary.status}`,
    );
    if (config.metricsLingerSeconds > 0 && ops !== undefined) {
      log.info({ seconds: config.metricsLingerSeconds }, 'serving final metrics before exit');
      await new Promise((r) => setTimeout(r, config.metricsLingerSeconds * 1000));
    }
    if (summary.status === 'failed')
      throw new Error(`scoring run failed: ${summary.error ?? 'unknown error'}`);
  } finally {
    await pool.end();
    if (ops !== undefined) await new Promise<void>((resolve) => ops.close(() => resolve()));
  }
}
