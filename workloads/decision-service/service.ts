/**
 * The decision service as a library: `startDecisionService(config)`.
 *
 *   applications topic (p) ─┐
 *                           ├─► assembly (p) ─► champion scorecard + hard rules ─► decision_record (revision 1)
 *   verdicts topic (p) ─────┘   (assembly.ts)     (decide.ts)                       └─► decisions topic
 *
 * One consumer group reads both topics with the co-partition assigner (assigner.ts): partition p of
 * both goes to one member, which holds the join state of p. Batches of one partition number are
 * handled one after the other. Per batch: add the pieces; applications seen for the first time that
 * already have a standing decision (a replay after a crash, a batch run that came first) are
 * re-published and closed; complete ones are decided, issued (idempotent insert), published; then the
 * offsets of both topics of p are committed at the oldest piece still needed (assembly.ts). A crash at
 * any point replays from those offsets: nothing is lost, and nothing is issued twice.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { VerdictPart } from '../../api/verdict.ts';
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
import {
  assertCoPartitioned,
  createIdempotentProducer,
  createKafka,
  kafkaConnection,
} from '../shared/kafka.ts';
import { createPool, type Pool } from '../warehouse/db.ts';
import { claimStreamDecisions, type StreamClaim } from '../warehouse/decision-authority.ts';
import { PartitionAssembly, type SourceTopic } from './assembly.ts';
import { coPartitionAssigner } from './assigner.ts';
import type { DecisionServiceConfig } from './config.ts';
import { decideApplication, issuedDecisionMessage } from './decide.ts';
import { createDecisionMetrics, type DecisionMetrics } from './metrics.ts';
import { type DecisionRecords, decisionRecords, type StandingRecord } from './records.ts';

const verdictCheck = TypeCompiler.Compile(VerdictPart);

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
  consumer: Consumer;
  producer: Producer;
  records: DecisionRecords;
  /** The stream's claim on first decisions (the batch scorer leaves them alone while it is held). */
  claim: StreamClaim;
  models: ModelSet;
  texts: Map<string, string>;
  metrics: DecisionMetrics;
  log: Logger;
}

interface PartitionState {
  assembly: PartitionAssembly;
  /** Batches of this partition number, one after the other (both topics). */
  chain: Promise<void>;
  /**
   * Per topic, the high watermark of its first batch since this member got the partition: pieces below
   * it may have been read by an earlier owner (a replay), pieces from it on are new.
   */
  replayBelow: Partial<Record<SourceTopic, bigint>>;
  /** Offsets last committed per topic (a commit that would not move them is skipped). */
  committed: Partial<Record<SourceTopic, bigint>>;
  /**
   * Publishing and committing of written batches, one after the other, off the path of the next
   * batch (which may be read and written meanwhile): a commit always follows the publication of
   * everything before it.
   */
  tail: Promise<void>;
  /** Batches in the tail not yet published and committed. */
  tailDepth: number;
  /** A publication or commit failed: nothing more is committed here; the next batch fails (replay). */
  failed?: unknown;
}

/**
 * How long a new application (its application message first, past the replay region) may stay open
 * before the decision store is asked whether it was decided before (a repeated post of a decided id).
 * Its verdict normally completes it well before; the lookup then never costs a round trip.
 */
const LATE_CHECK_MS = 250;

/** Written batches of one partition that may wait for publication before reading waits for them. */
const MAX_TAIL_DEPTH = 4;

export async function startDecisionService(
  config: DecisionServiceConfig,
  options: { log?: Logger; kafka?: Kafka; pool?: Pool } = {},
): Promise<DecisionService> {
  const log = options.log ?? createLogger('decision-service');
  const metrics = createDecisionMetrics();
  const pool = options.pool ?? createPool(config.databaseUrl, 4, 'decision-service');
  const models = modelSet(loadModelFile(config.modelFile ?? BUILT_IN_CHAMPION));
  await registerModels(pool, models);
  const texts = new Map([...reasonCatalog(models)].map(([code, v]) => [code, v.text]));
  const groupId = decisionGroupId(config.groupPrefix);
  // Before any decision: from now on scoring runs leave first decisions to the stream, and one that
  // checked before has committed (warehouse/decision-authority.ts).
  const claim = await claimStreamDecisions(config.databaseUrl, log);
  const kafka =
    options.kafka ?? createKafka(kafkaConnection(config, groupId), log.child({ component: 'kafkajs' }));
  const producer = createIdempotentProducer(kafka, { retries: 10, maxRetryTimeMs: 5_000 });
  await producer.connect().catch(async (err: unknown) => {
    await claim.close();
    throw err;
  });
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: config.sessionTimeoutMs,
    maxBytesPerPartition: 512 * 1024,
    maxWaitTimeInMs: 50,
    partitionAssigners: [coPartitionAssigner],
  });
  const ctx: Context = {
    config,
    consumer,
    producer,
    records: decisionRecords(pool),
    claim,
    models,
    texts,
    metrics,
    log,
  };
  const states = new Map<number, PartitionState>();
  let generation = 0;
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    generation++;
    states.clear();
    joined = true;
    log.info(
      { assigned: e.payload.memberAssignment[config.applicationsTopic] ?? [], generation },
      'decision service joined; join state rebuilt from the committed offsets',
    );
  });
  metrics.setPendingSource(() => {
    let pending = 0;
    let oldestMs = 0;
    const now = Date.now();
    for (const s of states.values()) {
      pending += s.assembly.pending;
      oldestMs = Math.max(oldestMs, s.assembly.oldestPendingMs(now));
    }
    return { pending, oldestMs };
  });
  try {
    await assertCoPartitioned(kafka, [config.applicationsTopic, config.verdictsTopic]);
    await consumer.connect();
    await consumer.subscribe({
      topics: [config.applicationsTopic, config.verdictsTopic],
      fromBeginning: true,
    });
  } catch (err) {
    // Not started: nothing decided, so the claim goes (the batch decides meanwhile) with the clients.
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await claim.close();
    if (options.pool === undefined) await pool.end().catch(() => undefined);
    throw err;
  }
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async (payload) => {
      const gen = generation;
      const p = payload.batch.partition;
      let st = states.get(p);
      if (st === undefined) {
        st = {
          assembly: new PartitionAssembly(),
          chain: Promise.resolve(),
          replayBelow: {},
          committed: {},
          tail: Promise.resolve(),
          tailDepth: 0,
        };
        states.set(p, st);
      }
      const state = st;
      const run = state.chain.then(() => handleBatch(ctx, state, payload, () => gen === generation));
      state.chain = run.catch(() => undefined);
      await run;
    },
  });

  const ready = async (): Promise<string | null> => {
    if (!joined) return 'consumer has not joined its group';
    if ([...states.values()].some((s) => s.failed !== undefined))
      return 'publishing or committing decisions failed; waiting for the replay';
    if (!claim.holding) return 'decision claim not held (warehouse connection lost)';
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
      // Stop reading, let written batches be published and committed, then disconnect.
      await consumer.stop().catch(() => undefined);
      await Promise.all([...states.values()].map((s) => s.tail));
      await consumer.disconnect().catch((err) => log.warn({ err }, 'consumer disconnect failed'));
      await producer.disconnect().catch(() => undefined);
      await claim.close();
      await new Promise<void>((resolve) => ops.close(() => resolve()));
      if (options.pool === undefined) await pool.end().catch(() => undefined);
    },
  };
}

async function handleBatch(
  ctx: Context,
  state: PartitionState,
  payload: EachBatchPayload,
  current: () => boolean,
): Promise<void> {
  const { batch } = payload;
  if (batch.messages.length === 0 || !current()) return;
  if (state.failed !== undefined) throw state.failed;
  const { assembly } = state;
  const role: SourceTopic = batch.topic === ctx.config.applicationsTopic ? 'applications' : 'verdicts';
  state.replayBelow[role] ??= BigInt(batch.highWatermark);
  const replayBelow = state.replayBelow[role];
  const startedAt = Date.now();
  /**
   * Opened by this batch and to be looked up now: those opened by a verdict part (its application came
   * earlier, or it was decided and the detector published it again) or by a piece an earlier owner may
   * have read. One opened by a new application message is looked up only if still open LATE_CHECK_MS on.
   */
  const opened: string[] = [];
  let last: string | undefined;
  for (const message of batch.messages) {
    if (!payload.isRunning() || payload.isStale()) break;
    last = message.offset;
    const offset = BigInt(message.offset);
    let value: unknown;
    try {
      value = message.value === null ? undefined : JSON.parse(message.value.toString('utf8'));
    } catch {
      value = undefined;
    }
    if (role === 'applications') {
      const v = value === undefined ? undefined : eventValidator.validate(value);
      if (v === undefined || !v.ok) {
        // Poison: the detector dead-letters it and publishes no verdict; nothing to decide.
        ctx.metrics.invalid.inc({ topic: role });
        assembly.advance(role, offset);
        continue;
      }
      const receivedAt = Date.parse(receiptTime(v.value, message.timestamp));
      if (assembly.addApplication(v.value, receivedAt, offset)) {
        const id = v.value.applicationId.toLowerCase();
        if (offset < replayBelow) opened.push(id);
        else assembly.checkLater(id, startedAt + LATE_CHECK_MS);
      }
    } else {
      if (!verdictCheck.Check(value)) {
        ctx.metrics.invalid.inc({ topic: role });
        assembly.advance(role, offset);
        continue;
      }
      if (assembly.addPart(value, offset)) opened.push(value.applicationId.toLowerCase());
    }
  }
  if (last === undefined) return;
  // Decide only under the claim (after a lost warehouse connection: once it is taken again).
  await ctx.claim.held();
  if (!current()) return;

  // Applications decided before (a replay after a crash, a batch run first, a repeated post): publish
  // what stands, close.
  const lookups = [...opened, ...assembly.dueChecks(Date.now())];
  const found = lookups.length > 0 ? await ctx.records.standing(lookups) : [];
  assembly.markDecided(found.map((s) => s.applicationId));
  const complete = assembly.complete();
  let standing = found;
  let issued = new Set<string>();
  let notified: Promise<void> = Promise.resolve();
  if (complete.length > 0) {
    const now = new Date();
    const decided = complete.map((c) =>
      decideApplication(ctx.models.champion, c.event, c.alerts, now, ctx.config.writerId),
    );
    const result = await ctx.records.issue(decided.map((d) => d.record));
    const written = Date.now();
    for (const c of complete) {
      if (result.issued.has(c.applicationId))
        ctx.metrics.latency.observe(Math.max(0, (written - c.receivedAtMs) / 1000));
    }
    standing = [...found, ...result.standing];
    issued = result.issued;
    notified = result.notified;
    assembly.markDecided(complete.map((c) => c.applicationId));
  }
  // Published (and the API's waiters woken) before the offsets move past them; in the tail, so the
  // next batch of this partition is read and written meanwhile.
  const offsets = assembly.commitOffsets();
  state.tailDepth++;
  state.tail = state.tail.then(async () => {
    if (state.failed !== undefined) return;
    try {
      await Promise.all([publish(ctx, standing, issued), notified]);
      if (!current()) return; // Rebalanced meanwhile: the next owner replays from the last commit.
      const commits = (Object.entries(offsets) as Array<[SourceTopic, bigint]>)
        .filter(([t, o]) => state.committed[t] !== o)
        .map(([t, o]) => ({
          topic: t === 'applications' ? ctx.config.applicationsTopic : ctx.config.verdictsTopic,
          partition: batch.partition,
          offset: o.toString(),
        }));
      if (commits.length > 0) {
        await ctx.consumer.commitOffsets(commits);
        for (const [t, o] of Object.entries(offsets) as Array<[SourceTopic, bigint]>) state.committed[t] = o;
      }
    } catch (err) {
      state.failed = err;
      ctx.log.error(
        { err: err instanceof Error ? err.message : String(err), partition: batch.partition },
        'publishing or committing decisions failed; the partition replays from its last commit',
      );
    } finally {
      state.tailDepth--;
    }
  });
  // Backpressure: reading runs at most a few batches ahead of publishing.
  if (state.tailDepth > MAX_TAIL_DEPTH) await state.tail;
  payload.resolveOffset(last);
  ctx.metrics.consumerLag.set(
    { topic: role, partition: String(batch.partition) },
    Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)),
  );
  await payload.heartbeat();
}

async function publish(
  ctx: Context,
  standing: readonly StandingRecord[],
  issued: ReadonlySet<string>,
): Promise<void> {
  if (standing.length === 0) return;
  await ctx.producer.send({
    topic: ctx.config.decisionsTopic,
    acks: -1,
    messages: standing.map((r) => ({
      key: r.applicationId,
      value: JSON.stringify(issuedDecisionMessage(r, ctx.texts)),
      headers: { 'content-type': 'application/json', 'decision-record-id': r.recordId },
    })),
  });
  for (const r of standing)
    ctx.metrics.decisions.inc({ decision: r.decision, issued: String(issued.has(r.applicationId)) });
}
