/**
 * A CreditPipeline adapted to the harness node, as a user of this machine would write it:
 * - Kafka: the harness broker through the node address (`podBootstrapServers`), topics created by the
 *   operator through the Kafka admin API (`topicManagement: direct`): Strimzi's operators are not
 *   obtainable here, so a `strimziCluster` reference is replaced;
 * - images: the managed stores run the images built here (`spec.images.postgres`/`ferretdb`), which
 *   the node holds already (`pullPolicy: IfNotPresent`); the platform image stays the operator's own.
 * Everything else in the spec is kept.
 */
import { requireInfra } from '../lib/state.ts';

interface PipelineLike {
  kind?: string;
  spec?: Record<string, unknown> & {
    kafka?: Record<string, unknown>;
    images?: Record<string, unknown>;
  };
}

/** `images`: the store images' references (ensureImages(['postgres', 'ferretdb']) in infra/node/images.ts). */
export function pipelineOnNode<T extends PipelineLike>(
  doc: T,
  images: { postgres: string; ferretdb: string },
): T {
  if (doc.kind !== 'CreditPipeline') return doc;
  const kafka = requireInfra('kafka');
  if (kafka.podBootstrapServers === undefined)
    throw new Error('the harness broker has no listener for pods: restart it with the node (make infra-up)');
  const spec = doc.spec ?? {};
  const { strimziCluster: _strimzi, ...kafkaRest } = spec.kafka ?? {};
  return {
    ...doc,
    spec: {
      ...spec,
      kafka: { ...kafkaRest, bootstrapServers: kafka.podBootstrapServers, topicManagement: 'direct' },
      images: {
        ...spec.images,
        postgres: images.postgres,
        ferretdb: images.ferretdb,
        pullPolicy: 'IfNotPresent',
      },
    },
  };
}
