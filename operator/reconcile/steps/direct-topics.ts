/**
 * Step: in direct mode (spec.kafka.topicManagement: direct), make the topics exist through the Kafka
 * admin API, once per topic spec: a successful outcome is remembered until the topic spec changes.
 */
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { KubeClient } from '../../kube/client.ts';
import { objectHash } from '../hash.ts';
import { errMessage, type ReconcileRun } from '../run.ts';
import type { DirectTopicsOutcome } from '../status.ts';
import type { TopicManager } from '../topics.ts';
import { kafkaCredentials } from './finalizer.ts';

export class DirectTopicsStep {
  /** Per pipeline uid: hash of the topic spec last ensured, and the outcome. */
  private readonly memo = new Map<string, { hash: string; outcome: DirectTopicsOutcome }>();

  constructor(
    private readonly client: KubeClient,
    private readonly topics: TopicManager,
  ) {}

  /** The outcome (undefined outside direct mode); a failure is reported to the run. */
  async run(cp: CreditPipeline, run: ReconcileRun): Promise<DirectTopicsOutcome | undefined> {
    if (cp.spec.kafka.topicManagement !== 'direct') return undefined;
    const uid = cp.metadata.uid ?? '';
    const hash = objectHash({ kafka: cp.spec.kafka, topics: cp.spec.topics });
    const memo = this.memo.get(uid);
    if (memo !== undefined && memo.hash === hash && memo.outcome.ok) return memo.outcome;
    let outcome: DirectTopicsOutcome;
    try {
      outcome = await this.topics.ensure(cp, await kafkaCredentials(this.client, cp));
    } catch (err) {
      outcome = { ok: false, reason: 'KafkaCredentialsUnavailable', message: errMessage(err) };
    }
    this.memo.set(uid, { hash, outcome });
    if (!outcome.ok) run.fail(outcome.reason, outcome.message);
    return outcome;
  }

  forget(uid: string | undefined): void {
    this.memo.delete(uid ?? '');
  }
}
