/** Writes a CreditPipeline's status through the `/status` subresource (JSON patch of the whole status). */
import type { CreditPipeline, CreditPipelineStatus } from '../../api/v1alpha1.ts';
import type { KubeClient } from '../kube/client.ts';
import { pipelinePath } from './finalizers.ts';
import { FIELD_MANAGER } from './ownership.ts';

export function writeStatus(
  client: KubeClient,
  cp: CreditPipeline,
  status: CreditPipelineStatus,
): Promise<CreditPipeline> {
  return client.jsonPatch<CreditPipeline>(
    pipelinePath(cp.metadata.namespace, cp.metadata.name, 'status'),
    [{ op: 'add', path: '/status', value: status }],
    FIELD_MANAGER,
  );
}
