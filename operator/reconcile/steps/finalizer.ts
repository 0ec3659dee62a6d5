/**
 * Steps: the topic finalizer. Held exactly when direct topics must be deleted with the pipeline;
 * on deletion, the topics go first, then the finalizer, and the API server lets the object go
 * (its children go with the garbage collector).
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { PipelineEvents } from '../events.ts';
import { hasFinalizer, needsTopicFinalizer, setFinalizer, TOPICS_FINALIZER } from '../finalizers.ts';
import type { ReconcileRun } from '../run.ts';
import type { KafkaCredentials, TopicManager } from '../topics.ts';
import { decodeSecret } from './secrets.ts';

export class FinalizerStep {
  constructor(
    private readonly client: KubeClient,
    private readonly topics: TopicManager,
    private readonly events: PipelineEvents,
    /** Called once the pipeline is let go, so per-pipeline memos are dropped. */
    private readonly onFinalized: (cp: CreditPipeline) => void,
  ) {}

  /** Adds or removes the finalizer as the spec needs; returns the pipeline as stored. */
  async ensure(cp: CreditPipeline, run: ReconcileRun): Promise<CreditPipeline> {
    const needed = needsTopicFinalizer(cp);
    if (needed === hasFinalizer(cp, TOPICS_FINALIZER)) return cp;
    run.wrote();
    return setFinalizer(this.client, cp, TOPICS_FINALIZER, needed);
  }

  /** On deletion: clean up outside the cluster, then let the object go. */
  async finalize(cp: CreditPipeline, run: ReconcileRun): Promise<void> {
    if (!hasFinalizer(cp, TOPICS_FINALIZER)) return;
    if (needsTopicFinalizer(cp)) {
      await this.topics.remove(cp, await kafkaCredentials(this.client, cp));
      run.log.info({ topics: cp.spec.topics }, 'deleted the Kafka topics (deletionPolicy Delete)');
      this.events.topicsDeleted(cp);
    }
    await setFinalizer(this.client, cp, TOPICS_FINALIZER, false);
    run.wrote();
    this.onFinalized(cp);
  }
}

/** The Kafka client credentials of spec.kafka.authSecretRef, read from the API server. */
export async function kafkaCredentials(
  client: KubeClient,
  cp: CreditPipeline,
): Promise<KafkaCredentials | undefined> {
  const ref = cp.spec.kafka.authSecretRef;
  if (ref === undefined) return undefined;
  return decodeSecret(
    await client.get<V1Secret>(`/api/v1/namespaces/${cp.metadata.namespace}/secrets/${ref.name}`),
  );
}
