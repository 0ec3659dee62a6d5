/**
 * Optional APIs the pipeline can use, detected through discovery (cached; misses are asked again
 * after a while so installing Strimzi or prometheus-operator later is picked up).
 */
import { KAFKA_TOPIC, PROMETHEUS_RULE, SERVICE_MONITOR } from '../../api/gvk.ts';
import type { Discovery } from '../kube/discovery.ts';

export interface Capabilities {
  strimzi: boolean;
  monitoring: boolean;
}

export async function detectCapabilities(discovery: Discovery): Promise<Capabilities> {
  const [strimzi, sm, pr] = await Promise.all([
    discovery.has(KAFKA_TOPIC.apiVersion, KAFKA_TOPIC.kind),
    discovery.has(SERVICE_MONITOR.apiVersion, SERVICE_MONITOR.kind),
    discovery.has(PROMETHEUS_RULE.apiVersion, PROMETHEUS_RULE.kind),
  ]);
  return { strimzi, monitoring: sm && pr };
}

/** The child kinds the operator watches from the start; optional ones only once their API exists. */
export const CHILD_KINDS: ReadonlyArray<{ apiVersion: string; kind: string; optional?: keyof Capabilities }> =
  [
    { apiVersion: 'v1', kind: 'ConfigMap' },
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'v1', kind: 'Service' },
    { apiVersion: 'v1', kind: 'ServiceAccount' },
    { apiVersion: 'apps/v1', kind: 'Deployment' },
    { apiVersion: 'apps/v1', kind: 'StatefulSet' },
    { apiVersion: 'batch/v1', kind: 'CronJob' },
    { apiVersion: 'batch/v1', kind: 'Job' },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
    { ...KAFKA_TOPIC, optional: 'strimzi' },
    { ...SERVICE_MONITOR, optional: 'monitoring' },
    { ...PROMETHEUS_RULE, optional: 'monitoring' },
  ];
