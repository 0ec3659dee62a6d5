/**
 * The one way from a CreditPipeline and the facts about its cluster to the objects the operator
 * applies. Pure: the reconcile chain (steps/desired.ts, then the apply layer's `stampChild`) and
 * `credit-platform render` both go through it, so what render prints is what the operator applies.
 */
import { type CreditPipeline, withSpecDefaults } from '../../api/v1alpha1.ts';
import type { KubeObject, RenderedPipeline, RenderOptions } from '../../cdk8s/options.ts';
import type { Capabilities } from './dependencies.ts';
import { stampChild } from './ownership.ts';

/** What the renderer needs to know about the cluster and the current state. */
export interface ClusterFacts {
  /** Which optional APIs (Strimzi, prometheus-operator) the cluster serves. */
  capabilities: Capabilities;
  /** The operator's own image: workloads run it unless spec.images.platform is set. */
  operatorImage: string;
  /** Grafana dashboards shipped in the pipeline's ConfigMaps (`<name>.json` → JSON). */
  dashboards: Record<string, string>;
  /** Decoded data of the generated Secrets that exist, by Secret name (reused, never regenerated). */
  existingSecrets: Record<string, Record<string, string>>;
  /** Values of generated Secret keys that do not exist yet (random unless given). */
  randomSecret?: () => string;
}

export type Render = (cp: CreditPipeline, opts: RenderOptions) => RenderedPipeline;

export function renderOptions(facts: ClusterFacts): RenderOptions {
  return {
    strimzi: facts.capabilities.strimzi,
    monitoring: facts.capabilities.monitoring,
    operatorImage: facts.operatorImage,
    existingSecrets: facts.existingSecrets,
    dashboards: facts.dashboards,
    ...(facts.randomSecret === undefined ? {} : { randomSecret: facts.randomSecret }),
  };
}

/** The desired children of `cp`, grouped by part (what the reconcile chain applies and reports on). */
export function desiredChildren(render: Render, cp: CreditPipeline, facts: ClusterFacts): RenderedPipeline {
  // The CRD in the cluster can be older than this operator (Helm installs a chart's CRDs once and
  // never upgrades them), so fields this version defaults may be absent: default them here as the
  // API server would. A no-op when the stored CRD is current.
  return render({ ...cp, spec: withSpecDefaults(cp.spec) }, renderOptions(facts));
}

/** Every child exactly as the apply layer sends it: namespace, pipeline label, owner and hash set. */
export function appliedChildren(cp: CreditPipeline, desired: RenderedPipeline): KubeObject[] {
  return desired.objects.map((d) => stampChild(cp, d).object);
}
