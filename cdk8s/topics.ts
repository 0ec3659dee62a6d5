/**
 * The pipeline's Kafka topics. `desiredTopics` is the one description of them: the KafkaTopic
 * construct (Strimzi mode) renders it, and the operator's direct mode creates it through the Kafka
 * admin API.
 */
import { Construct } from 'constructs';
import { parseDuration } from '../api/duration.ts';
import { STRIMZI_CLUSTER_LABEL } from '../api/gvk.ts';
import { consumerGroupPrefix } from '../api/names.ts';
import { DEFAULT_APP_ID, REPARTITION_RETENTION_MS, repartitionTopicName } from '../api/topics.ts';
import type { CreditPipelineSpec } from '../api/v1alpha1.ts';
import type { RenderContext } from './context.ts';
import { KafkaTopic } from './imports/kafka.strimzi.io.ts';
import { markPart } from './parts.ts';

export type TopicRole = 'applications' | 'deadLetter' | 'alerts' | 'verdicts' | 'decisions' | 'repartition';

export interface DesiredTopic {
  role: TopicRole;
  /** Kafka topic name. */
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level configs, as Kafka names them. */
  config: Record<string, string>;
}

const ROLE_SUFFIX: Record<TopicRole, string> = {
  applications: 'applications',
  deadLetter: 'dead-letter',
  alerts: 'alerts',
  verdicts: 'verdicts',
  decisions: 'decisions',
  repartition: 'detector-repartition',
};

/** The pipeline a topic set belongs to (its internal topic names derive from it). */
export interface TopicOwner {
  spec: CreditPipelineSpec;
  metadata: { name: string; namespace?: string };
}

/**
 * Every topic of a pipeline: those its spec names (the verdicts topic with as many partitions as the
 * applications topic, like every named topic: the decision service reads both partition by partition),
 * and the fraud detector's internal
 * repartition topic (as many partitions as the applications topic, retention long enough to rebuild
 * window state), so no workload needs the right to create topics.
 */
export function desiredTopics(pipeline: TopicOwner): DesiredTopic[] {
  const t = pipeline.spec.topics;
  const common = { 'cleanup.policy': 'delete', 'min.insync.replicas': String(t.minInSyncReplicas) };
  const retention = String(Math.round(parseDuration(t.retention)));
  const named = (['applications', 'deadLetter', 'alerts', 'verdicts', 'decisions'] as const).map((role) => ({
    role,
    name: t[role],
    partitions: t.partitions,
    replicationFactor: t.replicas,
    config: { ...common, 'retention.ms': retention },
  }));
  const groupPrefix = consumerGroupPrefix(pipeline.metadata.namespace, pipeline.metadata.name);
  return [
    ...named,
    {
      role: 'repartition',
      name: repartitionTopicName({ groupPrefix, appId: DEFAULT_APP_ID }),
      partitions: t.partitions,
      replicationFactor: t.replicas,
      config: { ...common, 'retention.ms': String(REPARTITION_RETENTION_MS) },
    },
  ];
}

/** KafkaTopic resources, rendered only in Strimzi mode with the Strimzi CRDs installed. */
export class KafkaTopics extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    const kafka = ctx.spec.kafka;
    if (kafka.topicManagement !== 'strimzi' || !ctx.opts.strimzi || kafka.strimziCluster === undefined)
      return;
    for (const topic of desiredTopics({
      spec: ctx.spec,
      metadata: { name: ctx.name, namespace: ctx.namespace },
    })) {
      const kafkaTopic = new KafkaTopic(this, topic.role, {
        metadata: {
          name: `${ctx.name}-${ROLE_SUFFIX[topic.role]}`,
          labels: { ...ctx.labels('kafka-topics'), [STRIMZI_CLUSTER_LABEL]: kafka.strimziCluster },
        },
        spec: {
          topicName: topic.name,
          partitions: topic.partitions,
          replicas: topic.replicationFactor,
          config: topic.config,
        },
      });
      markPart(kafkaTopic, 'topics');
    }
  }
}
