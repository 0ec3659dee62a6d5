/**
 * `credit-platform render` without I/O: YAML documents in, for each valid CreditPipeline the objects
 * the operator would apply (operator/reconcile/desired-children.ts, the operator's own path), out.
 */
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeObject } from '../../cdk8s/options.ts';
import { renderPipeline } from '../../cdk8s/render.ts';
import type { Capabilities } from '../../operator/reconcile/dependencies.ts';
import { appliedChildren, desiredChildren } from '../../operator/reconcile/desired-children.ts';
import { isCreditPipeline, validatePipeline } from './validate.ts';

/** The value of every generated Secret key: the operator generates random ones when it applies. */
export const PLACEHOLDER_SECRET = 'placeholder-generated-by-the-operator';

/** A uid for the owner reference: the CreditPipeline has none until the API server creates it. */
export const PLACEHOLDER_UID = '00000000-0000-0000-0000-000000000000';

export interface RenderInput {
  capabilities: Capabilities;
  operatorImage: string;
  dashboards: Record<string, string>;
  namespace: string;
}

export interface RenderOutcome {
  /** The objects of every valid pipeline, in order. */
  objects: KubeObject[];
  /** Per invalid pipeline or unreadable document: `<source>: <error>` lines. */
  errors: string[];
  /** How many CreditPipelines the input held. */
  pipelines: number;
}

export function renderDocuments(text: string, source: string, input: RenderInput): RenderOutcome {
  const out: RenderOutcome = { objects: [], errors: [], pipelines: 0 };
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      out.errors.push(...doc.errors.map((e) => `${source}: ${e.message}`));
      continue;
    }
    const value: unknown = doc.toJS();
    if (!isCreditPipeline(value)) continue;
    out.pipelines++;
    const checked = validatePipeline(value, input.namespace);
    if (!checked.ok) {
      const name = (value as { metadata?: { name?: unknown } }).metadata?.name;
      out.errors.push(
        `${source}: CreditPipeline ${JSON.stringify(name ?? '')} is invalid:`,
        ...checked.errors.map((e) => `* ${e}`),
      );
      continue;
    }
    const cp = checked.pipeline;
    if (cp.metadata.uid === undefined) cp.metadata.uid = PLACEHOLDER_UID;
    const desired = desiredChildren(renderPipeline, cp, {
      capabilities: input.capabilities,
      operatorImage: input.operatorImage,
      dashboards: input.dashboards,
      existingSecrets: {},
      randomSecret: () => PLACEHOLDER_SECRET,
    });
    out.objects.push(...appliedChildren(cp, desired));
  }
  return out;
}

/** Objects as a YAML stream (`---` between documents). */
export function toYamlStream(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
