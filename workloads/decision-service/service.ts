/**
 * The decision service as a library: `startDecisionService(config)`.
 *
 *   applications topic (p) ─┐
 *                           ├─► assembly (p) ─► champion scorecard + hard rules ─► decision_record (revision 1)
 *   verdicts topic (p) ─────┘   (assembly.ts)     (decide.ts)                       └─► decisions topic
 *
 * One consumer group reads both topics with the co-partition assigner (assigner.ts): partition p of
 * both goes to one member, which holds the join state of p. Kafka is read and written with
 * @platformatic/kafka (workloads/shared/batch-consumer.ts, kafka-client.ts); the consumer's batches only add pieces to
 * the join state (pure, no I/O) and hand over to the pipeline (pipeline.ts), so the next fetch never
 * waits for the warehouse: an application complete in any partition is decided, issued (idempotent
 * insert, shared by every partition's complete applications of that moment) and published; applications
 * seen again that already have a standing decision (a replay after a crash, a batch run that came first)
 * are re-published and closed; the offsets of both topics of p are committed at the oldest piece still
 * needed (assembly.ts). A crash at any point replays from those offsets: nothing is lost, and nothing
 * is issued twice.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verdictRecordParts } from '../../api/verdict.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { startOpsServer } from '../../lib/ops-server.ts';
import { eventValidator } from '../contract/validate.ts';
import { receiptTime } from '../fraud-detector/core/event-time.ts';
import {
  BUILT_IN_CHAMPION,
  type ModelSet,
  modelSet,
  reasonCatalog,
  registerModels,
} from '../risk-scorer/models.ts';
import { loadModelFile } from '../risk-scorer/scorecard/model.ts';
import { type BatchConsumer, createBatchConsumer, type PartitionBatch } from '../shared/batch-consumer.ts';
import { kafkaConnection } from '../shared/kafka.ts';
import {
  assertCoPartitioned,
  type BytesProducer,
  bytesMessage,
  createProducer,
} from '../shared/kafka-client.ts';
import { createPool, type Pool, whenWarehouseReady } from '../warehouse/db.ts';
import { claimStreamDecisions } from '../warehouse/decision-authority.ts';
import { PartitionAssembly, type SourceTopic } from './assembly.ts';
import { coPartitionAssigner } from './assigner.ts';
import type { DecisionServiceConfig } from './config.ts';
import { decideApplication, issuedDecisionMessage } from './decide.ts';
import { createDecisionMetrics, type DecisionMetrics } from './metrics.ts';
import { DecisionPipeline, type PartitionState } from './pipeline.ts';
import { decisionRecords, type StandingRecord } from './records.ts';

export interface DecisionService {
  metrics: DecisionMetrics;
  models: ModelSet;
  groupId: string;
  opsPort: number;
  ready(): Promise<string | null>;
  close(): Promise<void>;
}

export function decisionGroupId(groupPrefix: string): string {
  return groupPrefix === '' ? 'decision-service' : `${groupPrefix}.decision-service`;
}

interface Context {
  config: DecisionServiceConfig;
  pipeline: DecisionPipeline;
  metrics: DecisionMetrics;
}

/**
 * How long a new application (its application message first, past the replay region) may stay open
 * before the decision store is asked whether it was decided before (a repeated post of a decided id).
 * Its verdict normally completes it well before; the lookup then never happens.
 */
const LATE_CHECK_MS = 1_000;

/** How often due lookups and failed commits are looked at when no batch comes. */
const TICK_MS = 100;

/**
 * How long a fetch may wait at the broker when nothing is there. Not a latency floor: the broker answers
 * as soon as anything arrives (minBytes 1); it bounds how often an idle consumer asks.
 */
const FETCH_MAX_WAIT_MS = 50;

export async function startDecisionService(
  config: DecisionServiceConfig,
  options: { log?: Logger; pool?: Pool } = {},
): Promise<DecisionService> {
  const log = options.log ?? createLogger('decision-service');
  const metrics = createDecisionMetrics();
  const pool = options.pool ?? createPool(config.databaseUrl, 6, 'decision-service');
  const models = modelSet(loadModelFile(config.modelFile ?? BUILT_IN_CHAMPION));
  await whenWarehouseReady(() => registerModels(pool, models), {
    onWait: (reason) => log.info({ reason }, 'waiting for the warehouse and its migrations'),
  });
  const texts = new Map([...reasonCatalog(models)].map(([code, v]) => [code, v.text]));
  const groupId = decisionGroupId(config.groupPrefix);
  // Before any decision: from now on scoring runs leave first decisions to the stream, and one that
  // checked before has committed (warehouse/decision-authority.ts).
  const claim = await claimStreamDecisions(config.databaseUrl, log);
  const connection = kafkaConnection(config, groupId);
  // Connects on first use: a broker that is not there yet fails the first publication, which is retried.
  const producer = createProducer(connection, { retries: 10 });
  const records = decisionRecords(pool);
  const topicOf = (t: SourceTopic) =>
    t === 'applications' ? config.applicationsTopic : config.verdictsTopic;
  const pipeline = new DecisionPipeline(
    {
      decide: (c, issuedAt) =>
        decideApplication(models.champion, c.event, c.alerts, issuedAt, config.writerId).record,
      mayIssue: () => claim.held(),
      issue: async (inputs) => {
        const result = await records.issue(inputs);
        // The API's waiters are woken meanwhile (they also poll): not on the path to the commit.
        void result.notified;
        return result;
      },
      standing: (ids) => records.standing(ids),
      publish: (standing, issued) =>
        publish(producer, config.decisionsTopic, texts, metrics, standing, issued),
      // (The consumer is built below; nothing commits before it started.)
      commit: (offsets) =>
        consumer.commit(
          offsets.map((o) => ({ topic: topicOf(o.topic), partition: o.partition, offset: o.offset })),
        ),
      observeLatency: (ms) => metrics.latency.observe(ms / 1000),
      log,
    },
    { maxWriteBatch: config.maxWriteBatch },
  );
  const ctx: Context = { config, pipeline, metrics };
  let joined = false;
  let closing = false;
  metrics.setPendingSource(() => {
    let pending = 0;
    let oldestMs = 0;
    const now = Date.now();
    for (const s of pipeline.partitions()) {
      pending += s.assembly.pending;
      oldestMs = Math.max(oldestMs, s.assembly.oldestPendingMs(now));
    }
    return { pending, oldestMs };
  });
  const consumer: BatchConsumer = createBatchConsumer(connection, {
    groupId,
    topics: [config.applicationsTopic, config.verdictsTopic],
    assigner: coPartitionAssigner,
    sessionTimeout: config.sessionTimeoutMs,
    maxBytesPerPartition: 512 * 1024,
    maxWaitTime: FETCH_MAX_WAIT_MS,
    log: log.child({ component: 'kafka' }),
    // Every join: the previous generation's join state goes (its partitions' new owners, maybe this
    // member, replay from the committed offsets); its handlers have returned by now.
    onAssigned: (a) => {
      pipeline.reset();
      joined = true;
      log.info(
        {
          assigned: a.partitions.find((t) => t.topic === config.applicationsTopic)?.partitions ?? [],
          generation: a.generation,
        },
        'decision service joined; join state rebuilt from the committed offsets',
      );
    },
    eachBatch: async (batch) => {
      if (closing || batch.isStale()) return;
      const p = batch.partition;
      const state = pipeline.state(p, () => ({
        partition: p,
        assembly: new PartitionAssembly(),
        replayBelow: {},
        committed: {},
      }));
      handleBatch(ctx, state, batch, () => closing);
      // Backpressure: reading waits while many complete applications are not yet decided.
      await pipeline.admit(() => closing || batch.isStale());
    },
  });
  try {
    await assertCoPartitioned(connection, [config.applicationsTopic, config.verdictsTopic]);
    await consumer.start();
  } catch (err) {
    // Not started: nothing decided, so the claim goes (the batch decides meanwhile) with the clients.
    await consumer.stop().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await claim.close();
    if (options.pool === undefined) await pool.end().catch(() => undefined);
    throw err;
  }
  const tick = setInterval(() => pipeline.pump(), TICK_MS);
  tick.unref();

  const ready = async (): Promise<string | null> => {
    if (!joined) return 'consumer has not joined its group';
    if (!claim.holding) return 'decision claim not held (warehouse connection lost)';
    if (pipeline.problem !== null) return pipeline.problem;
    try {
      await pool.query('SELECT 1');
    } catch {
      return 'warehouse unreachable';
    }
    return null;
  };
  const ops: Server = await startOpsServer(config.opsPort, config.opsHost, {
    registry: metrics.registry,
    readiness: ready,
  });
  log.info(
    {
      groupId,
      model: models.champion.key,
      applicationsTopic: config.applicationsTopic,
      verdictsTopic: config.verdictsTopic,
      decisionsTopic: config.decisionsTopic,
      opsPort: (ops.address() as AddressInfo).port,
    },
    'decision service started',
  );
  let closed = false;
  return {
    metrics,
    models,
    groupId,
    opsPort: (ops.address() as AddressInfo).port,
    ready,
    async close() {
      if (closed) return;
      closed = true;
      // Stop reading; let what was read be written, published and committed (bounded), then disconnect.
      closing = true;
      consumer.pause();
      for (const until = Date.now() + 10_000; !pipeline.idle() && Date.now() < until; ) {
        pipeline.pump();
        await new Promise((r) => setTimeout(r, 20));
      }
      pipeline.close();
      clearInterval(tick);
      await consumer.stop().catch((err: unknown) => log.warn({ err }, 'consumer stop failed'));
      await producer.close().catch(() => undefined);
      await claim.close();
      await new Promise<void>((resolve) => ops.close(() => resolve()));
      if (options.pool === undefined) await pool.end().catch(() => undefined);
    },
  };
}

/** Adds a batch's pieces to its partition's join state (no I/O) and hands over to the pipeline. */
function handleBatch(
  ctx: Context,
  state: PartitionState,
  batch: PartitionBatch,
  closing: () => boolean,
): void {
  if (batch.messages.length === 0 || batch.isStale()) return;
  const { assembly } = state;
  const role: SourceTopic = batch.topic === ctx.config.applicationsTopic ? 'applications' : 'verdicts';
  state.replayBelow[role] ??= batch.highWatermark;
  const replayBelow = state.replayBelow[role];
  const now = Date.now();
  /**
   * Opened by this batch and to be looked up now: those opened by a verdict part (its application came
   * earlier, or it was decided and the detector published it again) or by a piece an earlier owner may
   * have read. One opened by a new application message is looked up only if still open LATE_CHECK_MS on.
   */
  const opened: string[] = [];
  let last: bigint | undefined;
  for (const message of batch.messages) {
    // (Staleness, a rebalance, is checked once above: this service never seeks.)
    if (closing()) break;
    last = message.offset;
    const offset = message.offset;
    if (role === 'applications') {
      let value: unknown;
      try {
        value = message.value === null ? undefined : JSON.parse(message.value.toString('utf8'));
      } catch {
        value = undefined;
      }
      const v = value === undefined ? undefined : eventValidator.validate(value);
      if (v === undefined || !v.ok) {
        // Poison: the detector dead-letters it and publishes no verdict; nothing to decide.
        ctx.metrics.invalid.inc({ topic: role });
        assembly.advance(role, offset);
        continue;
      }
      const receivedAt = Date.parse(receiptTime(v.value, String(message.timestamp)));
      if (assembly.addApplication(v.value, receivedAt, offset)) {
        const id = v.value.applicationId.toLowerCase();
        if (offset < replayBelow) opened.push(id);
        else assembly.checkLater(id, now + LATE_CHECK_MS);
      }
    } else {
      // A packed record (many parts) or a one-part record of the format before packing (api/verdict.ts).
      const { parts, invalid } = verdictRecordParts(message);
      if (invalid > 0) ctx.metrics.invalid.inc({ topic: role }, invalid);
      assembly.advance(role, offset);
      for (const part of parts)
        if (assembly.addPart(part, offset)) opened.push(part.applicationId.toLowerCase());
    }
  }
  if (last === undefined) return;
  ctx.pipeline.lookUp(state, opened);
  ctx.metrics.consumerLag.set(
    { topic: role, partition: String(batch.partition) },
    Math.max(0, Number(batch.highWatermark - last - 1n)),
  );
  ctx.pipeline.pump(state);
}

async function publish(
  producer: BytesProducer,
  topic: string,
  texts: ReadonlyMap<string, string>,
  metrics: DecisionMetrics,
  standing: readonly StandingRecord[],
  issued: ReadonlySet<string>,
): Promise<void> {
  if (standing.length === 0) return;
  await producer.send({
    messages: standing.map((r) =>
      bytesMessage(topic, {
        key: r.applicationId,
        value: JSON.stringify(issuedDecisionMessage(r, texts)),
        headers: { 'content-type': 'application/json', 'decision-record-id': r.recordId },
      }),
    ),
  });
  // Counted per outcome, not per record (a label lookup per record costs more than the count).
  const counts = new Map<string, number>();
  for (const r of standing) {
    const k = `${r.decision}|${issued.has(r.applicationId)}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [k, n] of counts) {
    const [decision = '', isIssued = ''] = k.split('|');
    metrics.decisions.inc({ decision, issued: isIssued }, n);
  }
}
