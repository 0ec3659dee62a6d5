/**
 * Steps: apply the desired children, then delete (prune) the owned children the spec no longer
 * renders. Both go through the apply layer's one entry point, `reconcile(owner, desired | null)`,
 * and report what failed to the run.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { KubeObject } from '../../../cdk8s/options.ts';
import { type ApplyOutcome, type ChildApplier, childKey } from '../apply.ts';
import type { PipelineEvents } from '../events.ts';
import { stampChild } from '../ownership.ts';
import { type ChildIndex, unwantedChildren } from '../prune.ts';
import type { ReconcileRun } from '../run.ts';
import type { GeneratedSecrets } from './secrets.ts';

export class ChildrenStep {
  constructor(
    private readonly applier: ChildApplier,
    private readonly index: ChildIndex,
    private readonly secrets: GeneratedSecrets,
    private readonly events: PipelineEvents,
    /** Children applied in parallel. */
    private readonly concurrency: number,
  ) {}

  /** Applies every desired child; returns the desired-hash per child key (what status expects). */
  async apply(
    cp: CreditPipeline,
    desired: readonly KubeObject[],
    run: ReconcileRun,
  ): Promise<Map<string, string>> {
    const expected = new Map<string, string>();
    for (const d of desired) {
      const { object, hash } = stampChild(cp, d);
      expected.set(childKey(object), hash);
    }
    const outcomes = await mapLimit(desired, this.concurrency, async (d) => {
      const out = await this.applier.reconcile(cp, d);
      this.record(cp, d, out, run);
      return out;
    });
    this.events.applied(cp, outcomes);
    return expected;
  }

  private record(cp: CreditPipeline, d: KubeObject, out: ApplyOutcome, run: ReconcileRun): void {
    switch (out.action) {
      case 'created':
      case 'updated':
        run.wrote();
        if (d.kind === 'Secret' && out.object !== undefined)
          this.secrets.applied(cp.metadata.namespace, d.metadata.name, out.object as V1Secret);
        return;
      case 'recreating':
        // Its deletion event brings the pipeline back to the queue, and it is created again.
        run.wrote();
        this.events.recreating(cp, out);
        return;
      case 'unavailable':
        run.fail('ApiNotAvailable', `${d.kind} (${d.apiVersion}) is not served by this cluster`);
        return;
      case 'failed':
        run.fail('ApplyFailed', `${d.kind} ${d.metadata.name}: ${out.message ?? 'failed'}`);
        return;
      default:
        return;
    }
  }

  /** Deletes owned children the spec no longer renders (desired = null). */
  async prune(cp: CreditPipeline, desired: readonly KubeObject[], run: ReconcileRun): Promise<void> {
    const keys = new Set(
      desired.map((d) => childKey({ ...d, metadata: { ...d.metadata, namespace: cp.metadata.namespace } })),
    );
    const unwanted = unwantedChildren(cp.metadata.uid, keys, this.index.children(run.key));
    for (const obj of unwanted) {
      const out = await this.applier.reconcile(cp, null, obj);
      if (out.action === 'deleted') {
        run.wrote();
        this.events.pruned(cp, obj.kind, obj.metadata?.name);
      } else if (out.action === 'failed') {
        run.fail('PruneFailed', `${obj.kind} ${obj.metadata?.name}: ${out.message ?? 'failed'}`);
      }
    }
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
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
