/** Step: a pipeline seen for the first time gets every condition, as Unknown, at once. */
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { KubeClient } from '../../kube/client.ts';
import { initialConditions } from '../conditions.ts';
import type { PipelineEvents } from '../events.ts';
import type { ReconcileRun } from '../run.ts';
import { writeStatus } from '../status-writer.ts';

export async function firstSight(
  cp: CreditPipeline,
  run: ReconcileRun,
  deps: { client: KubeClient; events: PipelineEvents; now: () => Date },
): Promise<CreditPipeline> {
  if ((cp.status?.conditions?.length ?? 0) > 0) return cp;
  const updated = await writeStatus(deps.client, cp, {
    conditions: initialConditions(cp.metadata.generation, deps.now()),
  });
  run.wrote();
  deps.events.reconciling(cp);
  return updated;
}
