/** Runtime validation of the contract, compiled once; errors name each failing field path. */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type ValueError } from '@sinclair/typebox/compiler';
import {
  type ApplicationEvent,
  ApplicationEventV1,
  ApplicationEventV2,
  ApplicationSubmission,
  EVENT_SCHEMA_VERSION,
  EVENT_SCHEMA_VERSIONS,
  SCHEMA_VERSION,
} from './application.ts';
import './formats.ts';

export interface FieldError {
  /** JSON Pointer of the failing field, e.g. `/loan/amount` (`/` for the document itself). */
  path: string;
  /** Why it fails; never contains the submitted value. */
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface Validator<T> {
  validate(input: unknown): Validation<T>;
}

/** At most this many field errors are reported for one document (a junk document can have thousands). */
export const MAX_FIELD_ERRORS = 50;

export function compileValidator<S extends TSchema>(schema: S): Validator<Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  return {
    validate(input) {
      if (compiled.Check(input)) return { ok: true, value: input };
      const errors: FieldError[] = [];
      const seen = new Set<string>();
      for (const e of compiled.Errors(input)) {
        const path = e.path === '' ? '/' : e.path;
        const message = describe(e);
        const key = `${path}\u0000${message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        errors.push({ path, message });
        if (errors.length >= MAX_FIELD_ERRORS) break;
      }
      return { ok: false, errors };
    },
  };
}

/** TypeBox's message, made specific where it is vague (enumerations, unknown properties). */
function describe(e: ValueError): string {
  const options = (e.schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  if (options !== undefined && options.length > 0 && options.every((o) => typeof o.const === 'string'))
    return `Expected one of: ${options.map((o) => o.const).join(', ')}`;
  if (e.message === 'Unexpected property') return 'Unexpected property (not in the contract)';
  return e.message;
}

export const submissionValidator = compileValidator(ApplicationSubmission);
export const eventV2Validator = compileValidator(ApplicationEventV2);
const eventV1Validator = compileValidator(ApplicationEventV1);

/**
 * What readers of the applications topic use: a v2 event, or a v1 event written before receipt times
 * existed, told apart by `schemaVersion`.
 */
export const eventValidator: Validator<ApplicationEvent> = {
  validate(input) {
    const version =
      typeof input === 'object' && input !== null
        ? (input as { schemaVersion?: unknown }).schemaVersion
        : undefined;
    if (version === EVENT_SCHEMA_VERSION) return eventV2Validator.validate(input);
    if (version === SCHEMA_VERSION) return eventV1Validator.validate(input);
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return { ok: false, errors: [{ path: '/', message: 'Expected an object' }] };
    return {
      ok: false,
      errors: [{ path: '/schemaVersion', message: `Expected one of: ${EVENT_SCHEMA_VERSIONS.join(', ')}` }],
    };
  },
};
