/**
 * Step: the desired children, rendered by the pure renderer (cdk8s/) and grouped by part. Rendering
 * is pure, so its output is reused while its inputs (the object's identity and generation, spec,
 * optional APIs, existing Secrets) are unchanged: reconciles caused by child status changes then
 * cost no synth.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { generatedSecretNames } from '../../../api/names.ts';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import type { RenderedPipeline } from '../../../cdk8s/options.ts';
import type { Capabilities } from '../dependencies.ts';
import { type ClusterFacts, desiredChildren, type Render } from '../desired-children.ts';
import { objectHash } from '../hash.ts';
import { errMessage, type ReconcileRun } from '../run.ts';
import { decodeSecret, type GeneratedSecrets } from './secrets.ts';

export type { Render };

/**
 * The generated Secrets as a render left them: what `existingSecrets` will hold once they are
 * applied, so the reconcile after the first one reuses that render instead of rendering again.
 */
function renderedSecrets(
  cp: CreditPipeline,
  existing: Record<string, Record<string, string>>,
  desired: RenderedPipeline,
): Record<string, Record<string, string>> {
  const out = { ...existing };
  for (const name of generatedSecretNames(cp.metadata.name)) {
    const secret = desired.objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    const data = decodeSecret(secret as V1Secret | undefined);
    if (data !== undefined) out[name] = { ...existing[name], ...data };
  }
  return out;
}

export class DesiredStep {
  /** Per pipeline: the last render and the input hashes it answers (before and after its Secrets exist). */
  private readonly memo = new Map<string, { inputs: string[]; desired: RenderedPipeline }>();

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
    const inputsWith = (secrets: Record<string, Record<string, string>>) =>
      objectHash({
        meta: {
          name: cp.metadata.name,
          namespace: cp.metadata.namespace,
          uid: cp.metadata.uid,
          generation: cp.metadata.generation,
        },
        spec: cp.spec,
        caps,
        secrets,
      });
    const inputs = inputsWith(facts.existingSecrets);
    const memo = this.memo.get(run.key);
    if (memo?.inputs.includes(inputs)) return memo.desired;
    try {
      const desired = desiredChildren(this.render, cp, facts);
      const after = inputsWith(renderedSecrets(cp, facts.existingSecrets, desired));
      this.memo.set(run.key, { inputs: after === inputs ? [inputs] : [inputs, after], desired });
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
