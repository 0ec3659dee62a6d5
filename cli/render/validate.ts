/**
 * The CreditPipeline validated as the API server validates it on create: the CRD's own
 * `openAPIV3Schema` (built by cdk8s/crd.ts, the same object `make crds` writes) and its CEL rules.
 */
import { API_VERSION, type CreditPipeline, KIND, VERSION } from '../../api/v1alpha1.ts';
import { buildCrd } from '../../cdk8s/crd.ts';
import {
  CustomResourceValidator,
  formatFieldError,
  type StructuralSchema,
} from '../../lib/crd-validation/index.ts';

interface CrdShape {
  spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: StructuralSchema } }> };
}

let validator: CustomResourceValidator | undefined;

/** The validator of the CreditPipeline version the operator reads. */
export function creditPipelineValidator(): CustomResourceValidator {
  if (validator === undefined) {
    const crd = buildCrd() as unknown as CrdShape;
    const version = crd.spec.versions.find((v) => v.name === VERSION);
    if (version === undefined) throw new Error(`the CRD serves no ${API_VERSION}`);
    validator = new CustomResourceValidator(version.schema.openAPIV3Schema);
  }
  return validator;
}

export type PipelineValidation = { ok: true; pipeline: CreditPipeline } | { ok: false; errors: string[] };

export const isCreditPipeline = (doc: unknown): boolean =>
  typeof doc === 'object' &&
  doc !== null &&
  (doc as { kind?: unknown }).kind === KIND &&
  (doc as { apiVersion?: unknown }).apiVersion === API_VERSION;

/**
 * The pipeline as the API server would store it (defaults applied, status dropped, namespace set),
 * or the errors the API server would answer with as `field: message` lines: the undeclared fields
 * if there are any (a strict create fails on them first), else the Status causes of its 422.
 */
export function validatePipeline(doc: unknown, namespace: string): PipelineValidation {
  const result = creditPipelineValidator().validate(doc);
  // Strict field validation refuses undeclared fields while decoding, before any other check.
  const errors =
    result.unknownFields.length > 0
      ? result.unknownFields.map((f) => `${f}: unknown field ${JSON.stringify(f)}`)
      : result.errors.map(formatFieldError);
  if (errors.length > 0) return { ok: false, errors };
  const object = result.object as unknown as CreditPipeline;
  return {
    ok: true,
    pipeline: {
      ...object,
      metadata: { ...object.metadata, namespace: object.metadata.namespace ?? namespace },
    },
  };
}
