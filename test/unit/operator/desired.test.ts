import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import { renderPipeline } from '../../../cdk8s/render.ts';
import { ReconcileRun } from '../../../operator/reconcile/run.ts';
import { DesiredStep } from '../../../operator/reconcile/steps/desired.ts';
import { GeneratedSecrets } from '../../../operator/reconcile/steps/secrets.ts';
import { pipeline } from './fixtures.ts';

interface StoreSpec {
  managed?: { securityContext?: unknown; size?: string };
}

describe('the desired step', () => {
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
