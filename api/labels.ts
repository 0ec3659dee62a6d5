/**
 * Labels of the children of a CreditPipeline (their names: names.ts). Every child carries the
 * pipeline label so the operator can list what it owns and prune what the spec no longer wants.
 */
import { PIPELINE_LABEL } from './v1alpha1.ts';

/** The recommended `app.kubernetes.io/*` label keys. */
export const NAME_LABEL = 'app.kubernetes.io/name';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** Label naming the part of the pipeline a child belongs to (ingestion-api, fraud-detector, ...). */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const VERSION_LABEL = 'app.kubernetes.io/version';

export const PART_OF = 'credit-platform';
/** The operator's name: the managed-by label of every child, and its server-side-apply field manager. */
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
  'cases',
  'alert-delivery',
  'decision-service',
] as const;
export type Component = (typeof COMPONENTS)[number];

export type Labels = Record<string, string>;

/** Selector of one component's pods; immutable fields use it, so it never includes the version. */
export function componentSelector(pipeline: string, component: Component): Labels {
  return {
    [NAME_LABEL]: component,
    [INSTANCE_LABEL]: pipeline,
    [PIPELINE_LABEL]: pipeline,
  };
}

/** Full labels of a child object (and of its pods). */
export function componentLabels(pipeline: string, component: Component, version: string): Labels {
  return {
    ...componentSelector(pipeline, component),
    [COMPONENT_LABEL]: component,
    [PART_OF_LABEL]: PART_OF,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [VERSION_LABEL]: labelValue(version),
  };
}

/** A string made safe as a label value (63 chars, alphanumerics at both ends). */
export function labelValue(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}
