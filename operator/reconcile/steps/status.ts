/**
 * Step: compute the status from what the informers observed (../status.ts, pure) and write it
 * through `/status` only when it says something new; the run's problems become Degraded.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { childNames } from '../../../api/names.ts';
import type { CreditPipeline, CreditPipelineStatus } from '../../../api/v1alpha1.ts';
import type { RenderedPipeline } from '../../../cdk8s/options.ts';
import { canonicalJson } from '../../../lib/canonical-json.ts';
import type { ReadinessMode } from '../../config.ts';
import type { KubeClient } from '../../kube/client.ts';
import { childKey, type WrittenChildren } from '../apply.ts';
import type { Capabilities } from '../dependencies.ts';
import type { PipelineEvents } from '../events.ts';
import { appliedHash } from '../ownership.ts';
import type { ChildIndex } from '../prune.ts';
import type { ReconcileRun } from '../run.ts';
import { computeStatus, type DirectTopicsOutcome } from '../status.ts';
import { writeStatus } from '../status-writer.ts';
import type { WrittenStatuses } from '../written-statuses.ts';

export interface StatusStepInputs {
  /** The render output; null when rendering failed or was skipped (suspended). */
  desired: RenderedPipeline | null;
  /** Desired-hash per child key, as applied. */
  expected: ReadonlyMap<string, string>;

  caps: Capabilities;
  directTopics?: DirectTopicsOutcome;
}

export class StatusStep {
  constructor(
    private readonly client: KubeClient,
    private readonly index: ChildIndex,
    private readonly written: WrittenChildren,
    private readonly events: PipelineEvents,
    private readonly mode: ReadinessMode,
    private readonly now: () => Date,
    private readonly statuses?: WrittenStatuses,
  ) {}

  async run(cp: CreditPipeline, run: ReconcileRun, p: StatusStepInputs): Promise<CreditPipelineStatus> {
    const children = this.index.children(run.key);
    const observed = new Map(children.map((c) => [childKey(c), c]));
    // A child applied moments ago counts as the API server answered, until its event reaches the
    // cache: the status written now is then the one the next reconcile computes too (no second
    // write, no step back to "does not exist yet").
    for (const [key, hash] of p.expected) {
      const cached = observed.get(key);
      if (cached !== undefined && appliedHash(cached) === hash) continue;
      const written = this.written.written(key);
      if (written !== undefined && appliedHash(written) === hash) observed.set(key, written);
    }
    const names = childNames(cp.metadata.name);
    const status = computeStatus(
      {
        cp,
        mode: this.mode,
        desired: p.desired,
        expectedHashes: p.expected,
        observed,
        scoringJobs: children.filter((c) => c.kind === 'Job' && createdBy(c, 'CronJob', names.riskScorer)),
        strimziInstalled: p.caps.strimzi,
        monitoringInstalled: p.caps.monitoring,
        ...(p.directTopics === undefined ? {} : { directTopics: p.directTopics }),
        problems: run.problems,
        detectorName: names.fraudDetector,
      },
      this.now(),
    );
    if (canonicalJson(status) !== canonicalJson(cp.status ?? {})) {
      await writeStatus(this.client, cp, status);
      this.statuses?.wrote(run.key, cp, status);
      run.wrote();
      this.events.transitions(cp, cp.status, status);
    }
    return status;
  }
}

function createdBy(obj: KubernetesObject, kind: string, name: string): boolean {
  return obj.metadata?.ownerReferences?.some((r) => r.kind === kind && r.name === name) === true;
}
