/**
 * Step: the desired children, rendered by the pure renderer (cdk8s/) and grouped by part. Rendering
 * is pure, so its output is reused while its inputs (the object's identity and generation, spec,
 * optional APIs, existing Secrets) are unchanged: reconciles caused by child status changes then
 * cost no synth.
 */
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { RenderedPipeline } from '../../../cdk8s/options.ts';
import type { Capabilities } from '../dependencies.ts';
import { type ClusterFacts, desiredChildren, type Render } from '../desired-children.ts';
import { objectHash } from '../hash.ts';
import { errMessage, type ReconcileRun } from '../run.ts';
import type { GeneratedSecrets } from './secrets.ts';

export type { Render };

export class DesiredStep {
  private readonly memo = new Map<string, { inputs: string; desired: RenderedPipeline }>();

  constructor(
    private readonly render: Render,
    private readonly secrets: GeneratedSecrets,
    private readonly options: { operatorImage: string; dashboards: Record<string, string> },
  ) {}

  /** The desired children, or null (reported as RenderFailed) when the spec cannot be rendered. */
  run(cp: CreditPipeline, caps: Capabilities, run: ReconcileRun): RenderedPipeline | null {
    const facts: ClusterFacts = {
      capabilities: caps,
      operatorImage: this.options.operatorImage,
      existingSecrets: this.secrets.existing(cp),
      dashboards: this.options.dashboards,
    };
    const inputs = objectHash({
      meta: {
        name: cp.metadata.name,
        namespace: cp.metadata.namespace,
        uid: cp.metadata.uid,
        generation: cp.metadata.generation,
      },
      spec: cp.spec,
      caps,
      secrets: facts.existingSecrets,
    });
    const memo = this.memo.get(run.key);
    if (memo !== undefined && memo.inputs === inputs) return memo.desired;
    try {
      const desired = desiredChildren(this.render, cp, facts);
      this.memo.set(run.key, { inputs, desired });
      return desired;
    } catch (err) {
      run.fail('RenderFailed', `The spec could not be turned into objects: ${errMessage(err)}`);
      return null;
    }
  }

  forget(pipelineKey: string): void {
    this.memo.delete(pipelineKey);
  }
}
