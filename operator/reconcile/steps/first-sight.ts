/**
 * Step: a pipeline seen for the first time (no conditions yet). Its conditions are not written
 * here: the status step writes them, every one, in the same reconcile (one status write per
 * reconcile); this step only tells people that the operator started.
 */
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { PipelineEvents } from '../events.ts';

export function isFirstSight(cp: CreditPipeline): boolean {
  return (cp.status?.conditions?.length ?? 0) === 0;
}

export function firstSight(cp: CreditPipeline, events: PipelineEvents): void {
  if (isFirstSight(cp)) events.reconciling(cp);
}
