/**
 * Labels of the children of a CreditPipeline (their names: names.ts). Every child carries the
 * pipeline label so the operator can list what it owns and prune what the spec no longer wants.
 */
import { PIPELINE_LABEL } from './v1alpha1.ts';

export const PART_OF = 'credit-platform';
export const MANAGED_BY = 'credit-platform-operator';

/** The parts of a pipeline; each becomes `app.kubernetes.io/name` and `.../component` of its children. */
export const COMPONENTS = [
  'ingestion-api',
  'fraud-detector',
  'warehouse-loader',
  'risk-scorer',
  'warehouse-migrate',
  'postgres',
  'mongo',
  'kafka-topics',
  'monitoring',
  'secrets',
  'network-policy',
] as const;
export type Component = (typeof COMPONENTS)[number];

export type Labels = Record<string, string>;

/** Labels every child of the pipeline carries (stable: never includes the version). */
export function pipelineSelector(pipeline: string): Labels {
  return { [PIPELINE_LABEL]: pipeline };
}

/** Selector of one component's pods; immutable fields use it, so it never includes the version. */
export function componentSelector(pipeline: string, component: Component): Labels {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': pipeline,
    [PIPELINE_LABEL]: pipeline,
  };
}

/** Full labels of a child object (and of its pods). */
export function componentLabels(pipeline: string, component: Component, version: string): Labels {
  return {
    ...componentSelector(pipeline, component),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/version': labelValue(version),
  };
}

/** A string made safe as a label value (63 chars, alphanumerics at both ends). */
export function labelValue(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}
