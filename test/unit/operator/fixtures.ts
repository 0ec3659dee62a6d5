/** A CreditPipeline and its rendered children, for the operator's unit tests. */
import type { KubernetesObject } from '@kubernetes/client-node';
import { type CreditPipeline, withSpecDefaults } from '../../../api/v1alpha1.ts';
import type { KubeObject } from '../../../cdk8s/options.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import { childKey } from '../../../operator/reconcile/apply.ts';
import { stampChild } from '../../../operator/reconcile/ownership.ts';

export function pipeline(
  spec: unknown = { kafka: { strimziCluster: 'kafka' } },
  generation = 1,
): CreditPipeline {
  return {
    apiVersion: 'creditplatform.dev/v1alpha1',
    kind: 'CreditPipeline',
    metadata: { name: 'demo', namespace: 'lending', uid: 'uid-1', generation, resourceVersion: '10' },
    spec: withSpecDefaults(spec),
  };
}

export function render(cp: CreditPipeline, caps = { strimzi: true, monitoring: true }): KubeObject[] {
  return renderCreditPipeline(cp, {
    ...caps,
    operatorImage: 'registry.example/credit-platform:1.0.0',
    randomSecret: () => 'not-random',
  });
}

/** What the API server would hold after applying `desired`: stamped, with controller status set. */
export function observedFrom(
  cp: CreditPipeline,
  desired: KubeObject[],
  patch: (o: KubernetesObject & Record<string, unknown>) => void = () => {},
): { observed: Map<string, KubernetesObject>; expected: Map<string, string> } {
  const observed = new Map<string, KubernetesObject>();
  const expected = new Map<string, string>();
  for (const d of desired) {
    const { object, hash } = stampChild(cp, d);
    const o = structuredClone(object) as unknown as KubernetesObject & Record<string, unknown>;
    (o.metadata as Record<string, unknown>).generation = 1;
    (o.metadata as Record<string, unknown>).uid = `uid-${d.kind}-${d.metadata.name}`;
    if (d.kind === 'Deployment' || d.kind === 'StatefulSet')
      o.status = { observedGeneration: 1, replicas: 2 };
    patch(o);
    observed.set(childKey(o), o);
    expected.set(childKey(o), hash);
  }
  return { observed, expected };
}
