import type { V1Secret } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { RenderOptions } from '../../../cdk8s/options.ts';
import { renderPipeline } from '../../../cdk8s/render.ts';
import { stampChild } from '../../../operator/reconcile/ownership.ts';
import { ReconcileRun } from '../../../operator/reconcile/run.ts';
import { DesiredStep } from '../../../operator/reconcile/steps/desired.ts';
import { GeneratedSecrets } from '../../../operator/reconcile/steps/secrets.ts';
import { pipeline } from './fixtures.ts';

const caps = { strimzi: true, monitoring: true };

interface StoreSpec {
  managed?: { securityContext?: unknown; size?: string };
}

/** A DesiredStep whose renderer counts its calls, over a Secret cache the test fills. */
function counted() {
  const secrets = new Map<string, V1Secret>();
  let renders = 0;
  const step = new DesiredStep(
    (cp: CreditPipeline, opts: RenderOptions) => {
      renders++;
      return renderPipeline(cp, opts);
    },
    new GeneratedSecrets({
      get: <T>(_v: string, _k: string, ns: string | undefined, name: string) =>
        secrets.get(`${ns}/${name}`) as T | undefined,
    }),
    { operatorImage: 'registry.example/credit-platform:1.0.0', dashboards: {} },
  );
  return { step, secrets, renders: () => renders };
}

describe('DesiredStep', () => {
  const run = () => new ReconcileRun('lending/demo', pino({ level: 'silent' }));

  it('renders a pipeline once: its generated Secrets arriving in the cache do not cause a second render', () => {
    const cp = pipeline();
    const { step, secrets, renders } = counted();
    const first = step.run(cp, caps, run());
    expect(first).not.toBeNull();
    expect(renders()).toBe(1);
    // The Secrets the render generated are applied and reach the cache.
    for (const o of first?.objects ?? [])
      if (o.kind === 'Secret')
        secrets.set(`lending/${o.metadata.name}`, stampChild(cp, o).object as V1Secret);
    const second = step.run(cp, caps, run());
    expect(renders()).toBe(1);
    expect(second).toBe(first);
  });

  it('renders again when the spec changes or a generated Secret holds other values', () => {
    const cp = pipeline();
    const { step, secrets, renders } = counted();
    const first = step.run(cp, caps, run());
    const secret = first?.objects.find((o) => o.kind === 'Secret');
    expect(secret).toBeDefined();
    secrets.set(`lending/${secret?.metadata.name}`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret?.metadata.name, namespace: 'lending' },
      data: { key: Buffer.from('rotated by hand').toString('base64') },
    });
    step.run(cp, caps, run());
    expect(renders()).toBe(2);
    step.run(
      pipeline({ kafka: { strimziCluster: 'kafka' }, fraudDetector: { replicas: 3 } }, 2),
      caps,
      run(),
    );
    expect(renders()).toBe(3);
  });

  it('renders a CreditPipeline stored under an older CRD (fields this version defaults are absent)', () => {
    const cp = pipeline();
    // As an API server with the previous CRD stores it: no managed-store securityContext at all.
    const stale = structuredClone(cp) as CreditPipeline & { spec: { storage: Record<string, StoreSpec> } };
    for (const store of Object.values(stale.spec.storage)) delete store.managed?.securityContext;
    const step = new DesiredStep(renderPipeline, new GeneratedSecrets({ get: () => undefined }), {
      operatorImage: 'registry.example/credit-platform:1.0.0',
      dashboards: {},
    });
    const run = new ReconcileRun('lending/demo', pino({ level: 'silent' }));
    const desired = step.run(stale, { strimzi: true, monitoring: true }, run);
    expect(run.result().error).toBeUndefined();
    const sets = (desired?.objects ?? []).filter((o) => o.kind === 'StatefulSet') as unknown as Array<{
      spec: { template: { spec: { securityContext: { runAsUser?: number } } } };
    }>;
    expect(sets.length).toBeGreaterThan(0);
    for (const s of sets) expect(s.spec.template.spec.securityContext.runAsUser).toBeGreaterThan(0);
  });
});
