/**
 * Reconciling one CreditPipeline: a chain of idempotent steps (Strimzi's style), one file each in
 * steps/, each safe to run again from the start after any failure:
 *
 *   deletion → finalizer (steps/finalizer.ts) → first sight (steps/first-sight.ts) → suspend →
 *   optional APIs (dependencies.ts) → render (steps/desired.ts) → apply and prune children
 *   (steps/children.ts) → direct topics (steps/direct-topics.ts) → status and events (steps/status.ts)
 *
 * Steps report failures to the run (run.ts), the one error channel; an exception a step does not
 * expect ends the chain and is reported the same way. Both are translated once, here: into the
 * Degraded condition (by the status step) and into the work queue's retry (`ReconcileResult`).
 *
 * Reads come from the informer caches; the only writes are applies of children whose desired hash
 * changed, deletions of unwanted children, finalizer changes and a status that says something new —
 * at most one status write per reconcile, computed from the caches overlaid with what this
 * reconcile's applies returned (so the status already knows the children it just wrote).
 */
import type { Logger } from 'pino';
import { API_VERSION, type CreditPipeline, KIND } from '../../api/v1alpha1.ts';
import type { ReadinessMode } from '../config.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Discovery } from '../kube/discovery.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { ChildApplier } from './apply.ts';
import { initialConditions } from './conditions.ts';
import { detectCapabilities } from './dependencies.ts';
import { PipelineEvents } from './events.ts';
import type { ChildIndex } from './prune.ts';
import { type CacheReader, errMessage, type ReconcileResult, ReconcileRun } from './run.ts';
import { writeStatus } from './status-writer.ts';
import { ChildrenStep } from './steps/children.ts';
import { DesiredStep, type Render } from './steps/desired.ts';
import { DirectTopicsStep } from './steps/direct-topics.ts';
import { FinalizerStep } from './steps/finalizer.ts';
import { firstSight, isFirstSight } from './steps/first-sight.ts';
import { GeneratedSecrets } from './steps/secrets.ts';
import { StatusStep } from './steps/status.ts';
import type { TopicManager } from './topics.ts';
import { WrittenStatuses } from './written-statuses.ts';

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

export class Reconciler {
  private readonly now: () => Date;
  private readonly events: PipelineEvents;
  private readonly secrets: GeneratedSecrets;
  private readonly finalizer: FinalizerStep;
  private readonly desired: DesiredStep;
  private readonly children: ChildrenStep;
  private readonly directTopics: DirectTopicsStep;
  private readonly status: StatusStep;
  private readonly statuses = new WrittenStatuses();

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.events = new PipelineEvents(deps.recorder);
    this.secrets = new GeneratedSecrets(deps.cache);
    this.directTopics = new DirectTopicsStep(deps.client, deps.topics);
    this.finalizer = new FinalizerStep(deps.client, deps.topics, this.events, (cp) =>
      this.directTopics.forget(cp.metadata.uid),
    );
    this.desired = new DesiredStep(deps.render, this.secrets, {
      operatorImage: deps.operatorImage,
      dashboards: deps.dashboards,
    });
    this.children = new ChildrenStep(
      deps.applier,
      deps.index,
      this.secrets,
      this.events,
      deps.applyConcurrency ?? 16,
    );
    this.status = new StatusStep(
      deps.client,
      deps.index,
      deps.applier,
      this.events,
      deps.readinessMode,
      this.now,
      this.statuses,
    );
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace, name] = key.split('/') as [string, string];
    const cached = this.deps.cache.get<CreditPipeline>(API_VERSION, KIND, namespace, name);
    if (cached === undefined) {
      // Gone: the garbage collector deletes the children (ownerReferences).
      this.forget(key);
      return { writes: 0 };
    }
    // Our last status write, if the cache has not caught up with it yet.
    const cp = this.statuses.overlay(key, cached);
    const run = new ReconcileRun(
      key,
      this.deps.log.child({ pipeline: key, generation: cp.metadata.generation }),
    );
    try {
      await this.steps(cp, run);
    } catch (err) {
      run.fail('ReconcileFailed', errMessage(err));
      await this.showSeen(cp, run);
    }
    return run.result();
  }

  /**
   * A reconcile that ended in an unexpected error before its status step still leaves a new
   * pipeline with its conditions (Unknown), so people see that the operator has it (best effort).
   */
  private async showSeen(cp: CreditPipeline, run: ReconcileRun): Promise<void> {
    if (!isFirstSight(cp) || cp.metadata.deletionTimestamp !== undefined) return;
    try {
      await writeStatus(this.deps.client, cp, {
        conditions: initialConditions(cp.metadata.generation, this.now()),
      });
      run.wrote();
    } catch (err) {
      run.log.warn({ err: errMessage(err) }, 'could not write the first conditions');
    }
  }

  private async steps(cp: CreditPipeline, run: ReconcileRun): Promise<void> {
    if (cp.metadata.deletionTimestamp !== undefined) return this.finalizer.finalize(cp, run);
    const current = await this.finalizer.ensure(cp, run);
    firstSight(current, this.events);
    if (current.spec.suspend) {
      await this.status.run(current, run, {
        desired: null,
        expected: new Map(),
        caps: { strimzi: true, monitoring: true },
      });
      return;
    }
    const caps = await detectCapabilities(this.deps.discovery);
    const desired = this.desired.run(current, caps, run);
    let expected = new Map<string, string>();
    if (desired !== null) {
      expected = await this.children.apply(current, desired.objects, run);
      if (!run.failed) await this.children.prune(current, desired.objects, run);
    }
    const directTopics = await this.directTopics.run(current, run);
    await this.status.run(current, run, {
      desired,
      expected,
      caps,
      ...(directTopics === undefined ? {} : { directTopics }),
    });
  }

  /** Drops what is remembered about a pipeline that is gone. */
  forget(key: string): void {
    this.desired.forget(key);
    this.secrets.forget(key);
    this.statuses.forget(key);
  }
}
