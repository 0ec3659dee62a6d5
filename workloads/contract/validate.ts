/** Runtime validation of the contract, compiled once; errors name each failing field path. */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ApplicationEvent, ApplicationSubmission } from './application.ts';

export interface FieldError {
  /** JSON Pointer of the failing field, e.g. `/loan/amount`. */
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface Validator<T> {
  validate(input: unknown): Validation<T>;
}

export function compileValidator<S extends TSchema>(
  schema: S,
): Validator<import('@sinclair/typebox').Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  return {
    validate(input) {
      if (compiled.Check(input)) return { ok: true, value: input };
      const errors: FieldError[] = [];
      const seen = new Set<string>();
      for (const e of compiled.Errors(input)) {
        const key = `${e.path}\u0000${e.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        errors.push({ path: e.path === '' ? '/' : e.path, message: e.message });
      }
      return { ok: false, errors };
    },
  };
}

export const submissionValidator = compileValidator(ApplicationSubmission);
export const eventValidator = compileValidator(ApplicationEvent);
