/**
 * Reconciling one CreditPipeline: a chain of idempotent steps (Strimzi's style), each safe to run
 * again from the start after any failure:
 *
 *   deletion/finalizer → suspend → finalizer → first sight (conditions Unknown) → optional APIs →
 *   render → apply children → prune → direct topics → status → events
 *
 * Reads come from the informer caches; the only writes are applies of children whose desired hash
 * changed, deletions of unwanted children, finalizer changes and a status that says something new.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { childNames, generatedSecretNames } from '../../api/names.ts';
import { API_VERSION, type CreditPipeline, type CreditPipelineStatus, KIND } from '../../api/v1alpha1.ts';
import type { KubeObject, RenderOptions } from '../../cdk8s/options.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import type { ReadinessMode } from '../config.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Discovery } from '../kube/discovery.ts';
import type { EventRecorder, EventType } from '../kube/events.ts';
import { type ApplyOutcome, type ChildApplier, childKey, RecreatePending } from './apply.ts';
import { findCondition, initialConditions } from './conditions.ts';
import { type Capabilities, detectCapabilities } from './dependencies.ts';
import { hasFinalizer, needsTopicFinalizer, setFinalizer, TOPICS_FINALIZER } from './finalizers.ts';
import { objectHash } from './hash.ts';
import { stampChild } from './ownership.ts';
import type { ChildIndex } from './prune.ts';
import { unwantedChildren } from './prune.ts';
import { computeStatus, type DirectTopicsOutcome } from './status.ts';
import { writeStatus } from './status-writer.ts';
import type { KafkaCredentials, TopicManager } from './topics.ts';

export type Render = (cp: CreditPipeline, opts: RenderOptions) => KubeObject[];

/** Read access to the caches the reconciler needs (CreditPipelines and Secrets). */
export interface CacheReader {
  get<T>(apiVersion: string, kind: string, namespace: string | undefined, name: string): T | undefined;
}

export interface ReconcilerDeps {
  client: KubeClient;
  discovery: Discovery;
  cache: CacheReader;
  index: ChildIndex;
  applier: ChildApplier;
  recorder: EventRecorder;
  topics: TopicManager;
  render: Render;
  log: Logger;
  readinessMode: ReadinessMode;
  operatorImage: string;
  dashboards: Record<string, string>;
  /** Children applied in parallel per reconcile. */
  applyConcurrency?: number;
  now?: () => Date;
}

export interface ReconcileResult {
  /** Something failed: retry with back-off (the error says what). */
  error?: Error;
  /** What was written, for logs and tests. */
  writes: number;
}

type SecretLike = KubernetesObject & { data?: Record<string, string> };

function decodeSecret(s: SecretLike | undefined): Record<string, string> | undefined {
  if (s?.data === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class Reconciler {
  /** Decoded generated Secrets as last applied, until the Secret informer has them. */
  private readonly secretMemo = new Map<string, Record<string, string>>();
  /** Per pipeline uid: hash of the topic spec last ensured in direct mode, and the outcome. */
  private readonly topicMemo = new Map<string, { hash: string; outcome: DirectTopicsOutcome }>();
  private readonly now: () => Date;
  private readonly renderMemo = new Map<string, { inputs: string; desired: KubeObject[] }>();

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace, name] = key.split('/') as [string, string];
    const cp = this.deps.cache.get<CreditPipeline>(API_VERSION, KIND, namespace, name);
    if (cp === undefined) {
      // Gone: the garbage collector deletes the children (ownerReferences).
      this.forget(key);
      return { writes: 0 };
    }
    const log = this.deps.log.child({ pipeline: key, generation: cp.metadata.generation });
    const res: ReconcileResult = { writes: 0 };
    try {
      if (cp.metadata.deletionTimestamp !== undefined) return await this.finalize(cp, res, log);
      let current = cp;
      current = await this.ensureFinalizer(current, res);
      current = await this.firstSight(current, res);
      if (current.spec.suspend) {
        await this.status(
          current,
          { desired: null, expected: new Map(), problems: [], caps: { strimzi: true, monitoring: true } },
          res,
        );
        return res;
      }
      const caps = await detectCapabilities(this.deps.discovery);
      const problems: Array<{ reason: string; message: string }> = [];
      let desired: KubeObject[] | null = null;
      try {
        desired = this.render(current, caps);
      } catch (err) {
        problems.push({
          reason: 'RenderFailed',
          message: `The spec could not be turned into objects: ${errMessage(err)}`,
        });
      }
      const expected = new Map<string, string>();
      if (desired !== null) {
        const outcomes = await this.applyAll(current, desired, expected, problems, res);
        this.recordApplyEvents(current, outcomes);
        if (problems.length === 0) await this.prune(current, desired, problems, res);
      }
      const directTopics = await this.directTopics(current, problems);
      const status = await this.status(current, { desired, expected, problems, caps, directTopics }, res);
      const degraded = findCondition(status.conditions, 'Degraded');
      if (degraded?.status === 'True') {
        res.error = new Error(degraded.message);
      } else if (directTopics !== undefined && !directTopics.ok) {
        res.error = new Error(directTopics.message);
      }
      return res;
    } catch (err) {
      res.error = err instanceof Error ? err : new Error(String(err));
      return res;
    }
  }

  /**
   * Rendering is pure, so its output is reused while its inputs (the object's identity and
   * generation, spec, optional APIs, existing Secrets) are unchanged: reconciles caused by child
   * status changes then cost no synth.
   */
  private render(cp: CreditPipeline, caps: Capabilities): KubeObject[] {
    const opts = this.renderOptions(cp, caps);
    const key = `${cp.metadata.namespace}/${cp.metadata.name}`;
    const inputs = objectHash({
      meta: {
        name: cp.metadata.name,
        namespace: cp.metadata.namespace,
        uid: cp.metadata.uid,
        generation: cp.metadata.generation,
      },
      spec: cp.spec,
      caps,
      secrets: opts.existingSecrets,
    });
    const memo = this.renderMemo.get(key);
    if (memo !== undefined && memo.inputs === inputs) return memo.desired;
    const desired = this.deps.render(cp, opts);
    this.renderMemo.set(key, { inputs, desired });
    return desired;
  }

  forget(key: string): void {
    this.renderMemo.delete(key);
    for (const k of this.secretMemo.keys()) if (k.startsWith(`${key}-`)) this.secretMemo.delete(k);
  }

  private renderOptions(cp: CreditPipeline, caps: Capabilities): RenderOptions {
    const existingSecrets: Record<string, Record<string, string>> = {};
    for (const secretName of generatedSecretNames(cp.metadata.name)) {
      const cached = decodeSecret(
        this.deps.cache.get<SecretLike>('v1', 'Secret', cp.metadata.namespace, secretName),
      );
      const data = cached ?? this.secretMemo.get(`${cp.metadata.namespace}/${secretName}`);
      if (data !== undefined) existingSecrets[secretName] = data;
    }
    return {
      strimzi: caps.strimzi,
      monitoring: caps.monitoring,
      operatorImage: this.deps.operatorImage,
      existingSecrets,
      dashboards: this.deps.dashboards,
    };
  }

  /** Step: on deletion, clean up outside the cluster, then let the object go. */
  private async finalize(cp: CreditPipeline, res: ReconcileResult, log: Logger): Promise<ReconcileResult> {
    if (!hasFinalizer(cp, TOPICS_FINALIZER)) return res;
    if (needsTopicFinalizer(cp)) {
      await this.deps.topics.remove(cp, await this.kafkaCredentials(cp));
      log.info({ topics: cp.spec.topics }, 'deleted the Kafka topics (deletionPolicy Delete)');
      this.deps.recorder.record(
        cp,
        'Normal',
        'TopicsDeleted',
        'Delete',
        'Deleted the Kafka topics (deletionPolicy: Delete).',
      );
    }
    await setFinalizer(this.deps.client, cp, TOPICS_FINALIZER, false);
    res.writes++;
    this.topicMemo.delete(cp.metadata.uid ?? '');
    return res;
  }

  /** Step: hold the topic finalizer exactly when direct topics must be deleted with the pipeline. */
  private async ensureFinalizer(cp: CreditPipeline, res: ReconcileResult): Promise<CreditPipeline> {
    const needed = needsTopicFinalizer(cp);
    if (needed === hasFinalizer(cp, TOPICS_FINALIZER)) return cp;
    res.writes++;
    return setFinalizer(this.deps.client, cp, TOPICS_FINALIZER, needed);
  }

  /** Step: a pipeline without conditions gets all of them as Unknown, at once. */
  private async firstSight(cp: CreditPipeline, res: ReconcileResult): Promise<CreditPipeline> {
    if ((cp.status?.conditions?.length ?? 0) > 0) return cp;
    const status: CreditPipelineStatus = {
      conditions: initialConditions(cp.metadata.generation, this.now()),
    };
    const updated = await writeStatus(this.deps.client, cp, status);
    res.writes++;
    this.deps.recorder.record(
      cp,
      'Normal',
      'Reconciling',
      'Reconcile',
      'Started creating the pipeline’s parts.',
    );
    return updated;
  }

  private async applyAll(
    cp: CreditPipeline,
    desired: KubeObject[],
    expected: Map<string, string>,
    problems: Array<{ reason: string; message: string }>,
    res: ReconcileResult,
  ): Promise<ApplyOutcome[]> {
    for (const d of desired) {
      const { object, hash } = stampChild(cp, d);
      expected.set(childKey(object), hash);
    }
    const outcomes = await mapLimit(desired, this.deps.applyConcurrency ?? 4, async (d) => {
      try {
        const out = await this.deps.applier.apply(cp, d);
        if (out.action === 'created' || out.action === 'updated') {
          res.writes++;
          if (d.kind === 'Secret' && out.object !== undefined)
            this.secretMemo.set(
              `${cp.metadata.namespace}/${d.metadata.name}`,
              decodeSecret(out.object as SecretLike) ?? {},
            );
        }
        if (out.action === 'unavailable')
          problems.push({
            reason: 'ApiNotAvailable',
            message: `${d.kind} (${d.apiVersion}) is not served by this cluster`,
          });
        return out;
      } catch (err) {
        if (err instanceof RecreatePending) {
          // Its deletion event brings the pipeline back to the queue, and it is created again.
          res.writes++;
          this.deps.recorder.record(cp, 'Normal', 'Recreating', 'Delete', err.message);
          return { key: childKey(d), action: 'deleted' } as ApplyOutcome;
        }
        problems.push({ reason: 'ApplyFailed', message: `${d.kind} ${d.metadata.name}: ${errMessage(err)}` });
        return { key: childKey(d), action: 'unavailable' } as ApplyOutcome;
      }
    });
    return outcomes;
  }

  /** Step: delete owned children the spec no longer renders (desired = null). */
  private async prune(
    cp: CreditPipeline,
    desired: KubeObject[],
    problems: Array<{ reason: string; message: string }>,
    res: ReconcileResult,
  ): Promise<void> {
    const keys = new Set(
      desired.map((d) => childKey({ ...d, metadata: { ...d.metadata, namespace: cp.metadata.namespace } })),
    );
    const key = `${cp.metadata.namespace}/${cp.metadata.name}`;
    const unwanted = unwantedChildren(cp.metadata.uid, keys, this.deps.index.children(key));
    for (const obj of unwanted) {
      try {
        const out = await this.deps.applier.reconcile(cp, null, obj);
        if (out.action === 'deleted') {
          res.writes++;
          this.deps.recorder.record(
            cp,
            'Normal',
            'Pruned',
            'Delete',
            `Deleted ${obj.kind} ${obj.metadata?.name}: the spec no longer wants it.`,
          );
        }
      } catch (err) {
        problems.push({
          reason: 'PruneFailed',
          message: `${obj.kind} ${obj.metadata?.name}: ${errMessage(err)}`,
        });
      }
    }
  }

  private async kafkaCredentials(cp: CreditPipeline): Promise<KafkaCredentials | undefined> {
    const ref = cp.spec.kafka.authSecretRef;
    if (ref === undefined) return undefined;
    const secret = await this.deps.client.get<SecretLike>(
      `/api/v1/namespaces/${cp.metadata.namespace}/secrets/${ref.name}`,
    );
    return decodeSecret(secret);
  }

  /** Step: in direct mode, make the topics exist through the Kafka admin API (once per topic spec). */
  private async directTopics(
    cp: CreditPipeline,
    problems: Array<{ reason: string; message: string }>,
  ): Promise<DirectTopicsOutcome | undefined> {
    if (cp.spec.kafka.topicManagement !== 'direct') return undefined;
    const uid = cp.metadata.uid ?? '';
    const hash = objectHash({ kafka: cp.spec.kafka, topics: cp.spec.topics });
    const memo = this.topicMemo.get(uid);
    if (memo !== undefined && memo.hash === hash && memo.outcome.ok) return memo.outcome;
    let outcome: DirectTopicsOutcome;
    try {
      outcome = await this.deps.topics.ensure(cp, await this.kafkaCredentials(cp));
    } catch (err) {
      outcome = { ok: false, reason: 'KafkaCredentialsUnavailable', message: errMessage(err) };
    }
    this.topicMemo.set(uid, { hash, outcome });
    if (!outcome.ok) problems.push({ reason: outcome.reason, message: outcome.message });
    return outcome;
  }

  /** Step: compute the status from the caches; write it only when it says something new. */
  private async status(
    cp: CreditPipeline,
    p: {
      desired: KubeObject[] | null;
      expected: Map<string, string>;
      problems: Array<{ reason: string; message: string }>;
      caps: Capabilities;
      directTopics?: DirectTopicsOutcome;
    },
    res: ReconcileResult,
  ): Promise<CreditPipelineStatus> {
    const key = `${cp.metadata.namespace}/${cp.metadata.name}`;
    const children = this.deps.index.children(key);
    const observed = new Map(children.map((c) => [childKey(c), c]));
    const names = childNames(cp.metadata.name);
    const scoringJobs = children.filter(
      (c) =>
        c.kind === 'Job' &&
        c.metadata?.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === names.riskScorer) ===
          true,
    );
    const desired =
      p.desired?.map((d) => ({ ...d, metadata: { ...d.metadata, namespace: cp.metadata.namespace } })) ??
      null;
    const status = computeStatus(
      {
        cp,
        mode: this.deps.readinessMode,
        desired,
        expectedHashes: p.expected,
        observed,
        scoringJobs,
        strimziInstalled: p.caps.strimzi,
        monitoringInstalled: p.caps.monitoring,
        ...(p.directTopics === undefined ? {} : { directTopics: p.directTopics }),
        problems: p.problems,
        detectorName: names.fraudDetector,
      },
      this.now(),
    );
    if (p.desired === null && !cp.spec.suspend) {
      // Render failed: keep what was observed before, only Degraded/Ready/Progressing change.
    }
    if (canonicalJson(status) !== canonicalJson(cp.status ?? {})) {
      await writeStatus(this.deps.client, cp, status);
      res.writes++;
      this.recordTransitions(cp, cp.status, status);
    }
    return status;
  }

  private recordApplyEvents(cp: CreditPipeline, outcomes: ApplyOutcome[]): void {
    const created = outcomes.filter((o) => o.action === 'created');
    const updated = outcomes.filter((o) => o.action === 'updated');
    const label = (o: ApplyOutcome) =>
      o.key
        .split('/')
        .slice(-3)
        .filter((_, i) => i !== 1)
        .join(' ');
    const emit = (type: EventType, reason: string, items: ApplyOutcome[], note: string) => {
      if (items.length > 0) this.deps.recorder.record(cp, type, reason, 'Apply', note);
    };
    const reverted = updated.filter((o) => o.reverted !== undefined);
    emit(
      'Normal',
      'Created',
      created,
      `Created ${created.length} object(s): ${created.map(label).join(', ')}`,
    );
    emit(
      'Normal',
      'Updated',
      updated,
      `Updated ${updated.length} object(s): ${updated.map(label).join(', ')}`,
    );
    emit(
      'Warning',
      'EditReverted',
      reverted,
      `Reverted changes to managed fields: ${reverted
        .map((o) => `${label(o)} (by ${(o.reverted ?? []).join(', ')})`)
        .join('; ')}; change the CreditPipeline instead`,
    );
  }

  private recordTransitions(
    cp: CreditPipeline,
    before: CreditPipelineStatus | undefined,
    after: CreditPipelineStatus,
  ): void {
    const was = (t: string) => findCondition(before?.conditions, t)?.status;
    const ready = findCondition(after.conditions, 'Ready');
    const degraded = findCondition(after.conditions, 'Degraded');
    if (ready?.status === 'True' && was('Ready') !== 'True')
      this.deps.recorder.record(cp, 'Normal', 'PipelineReady', 'Reconcile', ready.message);
    if (
      degraded?.status === 'True' &&
      (was('Degraded') !== 'True' ||
        findCondition(before?.conditions, 'Degraded')?.message !== degraded.message)
    )
      this.deps.recorder.record(cp, 'Warning', degraded.reason, 'Reconcile', degraded.message);
    if (degraded?.status === 'False' && was('Degraded') === 'True')
      this.deps.recorder.record(
        cp,
        'Normal',
        'Recovered',
        'Reconcile',
        'The pipeline is no longer degraded.',
      );
    for (const t of ['TopicsReady', 'MonitoringReady'] as const) {
      const c = findCondition(after.conditions, t);
      const prev = findCondition(before?.conditions, t);
      if (c?.status === 'False' && (prev?.status !== 'False' || prev.reason !== c.reason))
        this.deps.recorder.record(cp, 'Warning', c.reason, 'Reconcile', c.message);
    }
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
