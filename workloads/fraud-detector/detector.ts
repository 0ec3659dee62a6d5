/**
 * The fraud detector as a library: `startFraudDetector(config)` wires the rule set (with hot reload),
 * the alert store, the Kafka producer, the two stages and the ops server, and returns a handle.
 *
 *   credit_apps ──► source stage ──► <app>-repartition (keyed <keyPath>|<value>) ──► window stage
 *      (customerId)   │ expression/list rules                                         │ velocity/distinctCount
 *                     ├──► DLQ (poison)                                                │
 *                     └──► alerts: MongoDB fraud_alerts + alerts topic ◄───────────────┘
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { applicationName, repartitionTopicName } from '../../api/topics.ts';
import { createTopicsWithLeaders } from '../../lib/kafka-topics.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { startOpsServer } from '../../lib/ops-server.ts';
import { assertCoPartitioned, createKafka, kafkaConnection } from '../shared/kafka.ts';
import { type BytesProducer, createProducer } from '../shared/kafka-client.ts';
import type { DetectorConfig } from './config.ts';
import { createAlertSink, groupStoreWrites } from './io/alert-sink.ts';
import { type AlertStore, openAlertStore } from './io/alert-store.ts';
import { createOutputWriter, type OutputWriter } from './io/output-writer.ts';
import { loadRulesFile, type RulesWatcher, watchRules } from './io/rules-watcher.ts';
import { type StageHandle, startSourceStage } from './io/source-stage.ts';
import { startWindowStage, type WindowStageHandle } from './io/window-stage.ts';
import { createDetectorMetrics, type DetectorMetrics } from './metrics.ts';
import { type CompiledRuleSet, compileRuleSet } from './rules/compile.ts';
import { DEFAULT_RULES } from './rules/default-rules.ts';

export interface FraudDetector {
  metrics: DetectorMetrics;
  store: AlertStore;
  repartitionTopic: string;
  /** Port of /metrics, /healthz, /readyz. */
  opsPort: number;
  rules(): CompiledRuleSet;
  /** Both consumer groups joined, rules loaded, store reachable. */
  ready(): Promise<string | null>;
  windowStage: WindowStageHandle;
  /** Re-checks the rules file now (tests; the watcher does this on its own). */
  checkRules(): Promise<void>;
  close(): Promise<void>;
}

export async function startFraudDetector(
  config: DetectorConfig,
  options: { log?: Logger; kafka?: Kafka } = {},
): Promise<FraudDetector> {
  const log = options.log ?? createLogger('fraud-detector');
  const metrics = createDetectorMetrics();
  const app = applicationName(config);
  const repartitionTopic = repartitionTopicName(config);

  let rules: CompiledRuleSet;
  let watcher: RulesWatcher | undefined;
  const applyRules = (next: CompiledRuleSet) => {
    metrics.ruleSetInfo.reset();
    metrics.ruleSetInfo.set({ version: next.version }, 1);
    rules = next;
  };
  if (config.rulesFile === undefined) {
    applyRules(compileRuleSet(DEFAULT_RULES));
    log.info({ version: DEFAULT_RULES.version }, 'using the built-in rule set');
  } else {
    const loaded = await loadRulesFile(config.rulesFile);
    applyRules(loaded.rules);
    log.info({ version: loaded.rules.version, path: config.rulesFile }, 'rule set loaded');
    watcher = watchRules(loaded.text, {
      path: config.rulesFile,
      pollMs: config.rulesPollMs,
      log,
      onApplied: (next) => {
        const previous = rules.version;
        applyRules(next);
        metrics.ruleReloads.inc({ result: 'applied' });
        log.info({ previous, version: next.version }, 'rule set reloaded');
      },
      onRejected: (problems) => {
        metrics.ruleReloads.inc({ result: 'rejected' });
        log.error(
          { problems, version: rules.version },
          'new rule set refused; the previous one stays in force',
        );
      },
    });
  }
  const currentRules = () => rules;

  const kafka =
    options.kafka ?? createKafka(kafkaConnection(config, app), log.child({ component: 'kafkajs' }));
  const store = await openAlertStore({
    url: config.mongoUrl,
    ...(config.mongoDatabase === undefined ? {} : { database: config.mongoDatabase }),
    collection: config.alertsCollection,
    log,
  });
  for (const feature of store.skipped) metrics.storeFeatureSkipped.set({ feature }, 1);

  const repartitionPartitions = await ensureRepartitionTopic(kafka, config, repartitionTopic, log);
  await assertCoPartitioned(kafka, [config.applicationsTopic, config.verdictsTopic]);
  // One producer per stage (@platformatic/kafka): an idempotent producer keeps one request in flight per
  // broker, so a shared one would serialise the two stages' writes. Each stage's writes are
  // group-committed through its own. Producer ids are asked for now, so a broker that refuses them
  // fails the start rather than the first batch.
  const producers: BytesProducer[] = [0, 1].map(() =>
    createProducer(kafkaConnection(config, app), { retries: 10 }),
  );
  try {
    await Promise.all(producers.map((p) => p.initIdempotentProducer({})));
  } catch (err) {
    await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
    await store.close();
    throw err;
  }
  const [sourceWriter, windowWriter] = producers.map(createOutputWriter) as [OutputWriter, OutputWriter];
  const storeWrites = groupStoreWrites(store);
  const common = {
    connection: kafkaConnection(config, app),
    deadLetterTopic: config.deadLetterTopic,
    verdictsTopic: config.verdictsTopic,
    repartitionPartitions,
    rules: currentRules,
    metrics,
  };
  const sinkFor = (writer: OutputWriter) =>
    createAlertSink({ store: storeWrites, writer, alertsTopic: config.alertsTopic, metrics });
  const windowStage = await startWindowStage({
    ...common,
    writer: windowWriter,
    sink: sinkFor(windowWriter),
    groupId: `${app}-windows`,
    repartitionTopic,
    maxStateEntries: config.maxStateEntries,
    horizonMs: config.eventTimeHorizonMs,
    log: log.child({ stage: 'windows' }),
  });
  const sourceStage: StageHandle = await startSourceStage({
    ...common,
    writer: sourceWriter,
    sink: sinkFor(sourceWriter),
    groupId: app,
    applicationsTopic: config.applicationsTopic,
    repartitionTopic,
    horizonMs: config.eventTimeHorizonMs,
    log: log.child({ stage: 'source' }),
  });

  const ready = async (): Promise<string | null> => {
    if (!sourceStage.joined()) return 'source consumer has not joined its group';
    if (!windowStage.joined()) return 'window consumer has not joined its group';
    try {
      await store.ping();
    } catch {
      return 'alert store unreachable';
    }
    return null;
  };
  const ops: Server = await startOpsServer(config.opsPort, config.opsHost, {
    registry: metrics.registry,
    readiness: ready,
  });
  log.info(
    {
      app,
      repartitionTopic,
      applicationsTopic: config.applicationsTopic,
      opsPort: (ops.address() as AddressInfo).port,
    },
    'fraud detector started',
  );

  let closed = false;
  return {
    metrics,
    store,
    repartitionTopic,
    opsPort: (ops.address() as AddressInfo).port,
    rules: currentRules,
    ready,
    windowStage,
    checkRules: async () => {
      await watcher?.check();
    },
    async close() {
      if (closed) return;
      closed = true;
      watcher?.close();
      await sourceStage.stop().catch((err) => log.warn({ err }, 'source stage stop failed'));
      await windowStage.stop().catch((err) => log.warn({ err }, 'window stage stop failed'));
      await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
      await new Promise<void>((resolve) => ops.close(() => resolve()));
      await store.close();
    },
  };
}

/**
 * The internal repartition topic, created like Kafka Streams does (as many partitions as the input), and
 * the verdicts topic when it is missing (the detector run on its own; under a CreditPipeline the
 * operator declares both).
 */
async function ensureRepartitionTopic(
  kafka: Kafka,
  config: DetectorConfig,
  topic: string,
  log: Logger,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin
      .fetchTopicMetadata({ topics: [config.applicationsTopic] })
      .catch(() => undefined);
    const sourcePartitions = meta?.topics[0]?.partitions.length;
    if (sourcePartitions === undefined) {
      throw new Error(`applications topic "${config.applicationsTopic}" does not exist (APPLICATIONS_TOPIC)`);
    }
    const existing = await admin.listTopics();
    const topics = [];
    if (!existing.includes(topic)) {
      topics.push({
        topic,
        numPartitions: config.repartitionPartitions ?? sourcePartitions,
        replicationFactor: -1,
        configEntries: [
          { name: 'retention.ms', value: String(config.repartitionRetentionMs) },
          { name: 'cleanup.policy', value: 'delete' },
        ],
      });
    }
    // The verdicts topic must have the applications topic's partitions (parts follow their application).
    if (!existing.includes(config.verdictsTopic)) {
      topics.push({ topic: config.verdictsTopic, numPartitions: sourcePartitions, replicationFactor: -1 });
    }
    if (topics.length > 0) {
      // Not kafkajs's waitForLeaders: it gives up on UNKNOWN_TOPIC_OR_PARTITION from a KRaft broker under load.
      await createTopicsWithLeaders(admin, topics);
      log.info(
        { topics: topics.map((t) => ({ topic: t.topic, partitions: t.numPartitions })) },
        'created topics',
      );
    }
    // Where each key goes (core/repartition.ts): the topic's partition count, read once at start.
    const created = topics.find((t) => t.topic === topic);
    if (created !== undefined) return created.numPartitions;
    const own = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = own.topics[0]?.partitions.length ?? 0;
    if (partitions === 0) throw new Error(`repartition topic "${topic}" has no partitions`);
    return partitions;
  } finally {
    await admin.disconnect();
  }
}
