/**
 * Validates a custom resource the way the API server does on create, without an API server:
 * null pruning and defaulting, object metadata, the OpenAPI schema, list-type uniqueness, and
 * then (unless an error above makes them meaningless, as the API server decides) the CEL rules.
 * Fields the schema does not declare are reported apart (strict field validation).
 */
import { CelValidator } from './cel.ts';
import { applyDefaults, pruneNulls } from './defaults.ts';
import { type FieldError, fieldError, OMIT } from './field-error.ts';
import { listTypeErrors, schemaErrors, unknownFields } from './openapi.ts';
import { isObject, type StructuralSchema } from './schema.ts';

export interface ValidationResult {
  /** The object as the API server would store it (nulls pruned, defaults applied, status dropped). */
  object: Record<string, unknown>;
  /** The errors of a 422 Invalid answer, in the order the API server finds them. */
  errors: FieldError[];
  /** Paths of undeclared fields (a 400 `strict decoding error: unknown field "…"`). */
  unknownFields: string[];
}

/** Error types after which the API server does not run CEL rules (hasBlockingErr). */
const BLOCKING = new Set([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

const SKIPPED_RULES =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** The name checks of ObjectMeta a namespaced custom resource gets. */
export function metadataErrors(metadata: unknown): FieldError[] {
  const name = isObject(metadata) ? metadata.name : undefined;
  if (typeof name !== 'string' || name === '')
    return [fieldError('FieldValueRequired', 'metadata.name', OMIT, 'name or generateName is required')];
  const errs: FieldError[] = [];
  if (name.length > 253)
    errs.push(fieldError('FieldValueInvalid', 'metadata.name', name, 'must be no more than 253 characters'));
  if (!DNS_SUBDOMAIN.test(name))
    errs.push(fieldError('FieldValueInvalid', 'metadata.name', name, DNS_SUBDOMAIN_MESSAGE));
  return errs;
}

export class CustomResourceValidator {
  private readonly cel = new CelValidator();

  /** `schema` is one CRD version's `schema.openAPIV3Schema`. */
  constructor(readonly schema: StructuralSchema) {}

  /** CEL rules of the schema the engine cannot compile (empty when every rule can run). */
  uncompilableRules(): string[] {
    return this.cel.compileAll(this.schema);
  }

  validate(input: unknown): ValidationResult {
    const { status: _status, ...rest } = isObject(input) ? input : {};
    const object = applyDefaults(this.schema, pruneNulls(this.schema, rest)) as Record<string, unknown>;
    const { metadata, apiVersion: _a, kind: _k, ...body } = object;
    const unknown = unknownFields(this.schema, body, '');
    const errors = [
      ...metadataErrors(metadata),
      ...schemaErrors(this.schema, object, ''),
      ...listTypeErrors(this.schema, object, ''),
    ];
    if (errors.some((e) => BLOCKING.has(e.type)))
      errors.push(fieldError('FieldValueInvalid', '', null, SKIPPED_RULES));
    else errors.push(...this.cel.validate(this.schema, object, ''));
    return { object, errors, unknownFields: unknown };
  }
}
