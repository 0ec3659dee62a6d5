/** Validating custom resources without an API server: see validate.ts. */
export { type FieldError, formatFieldError } from './field-error.ts';
export type { StructuralSchema, ValidationRule } from './schema.ts';
export { CustomResourceValidator, type ValidationResult } from './validate.ts';
