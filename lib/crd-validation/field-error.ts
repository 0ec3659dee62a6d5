/**
 * Field errors worded as the API server words them (k8s.io/apimachinery field.Error): a field path
 * such as `spec.kafka.strimziCluster` or `spec.webhooks[1]`, and a body such as
 * `Invalid value: "object": <detail>` or `Required value`.
 */

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueDuplicate'
  | 'FieldValueUnknown';

/** One error as the API server reports it in a Status's `details.causes`. */
export interface FieldError {
  /** The cause type (`reason` of a Status cause). */
  type: FieldErrorType;
  /** The field path; `<nil>` for errors about the object as a whole. */
  field: string;
  /** The message without the field (a Status cause's `message`). */
  message: string;
}

/** The marker for a bad value the message leaves out. */
export const OMIT = Symbol('omit');
export type BadValue = unknown | typeof OMIT;

const LABEL: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueUnknown: 'Unknown field',
};

/** Go's `%v`/`%q`/JSON rendering of a bad value, as field.Error.ErrorBody does it. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
}

/** Go's `%v` of a float64: shortest representation, exponent form from 1e21 up. */
function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return String(n).replace(/e\+?(-?)(\d)$/, 'e+$10$2');
}

/** Builds an error: `<label>[: <value>][: <detail>]`, as field.Error.ErrorBody. */
export function fieldError(type: FieldErrorType, field: string, value: BadValue, detail = ''): FieldError {
  let message = LABEL[type];
  const showsValue = !['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong'].includes(type);
  if (showsValue && value !== OMIT) message += `: ${formatValue(value)}`;
  if (detail !== '') message += `: ${detail}`;
  return { type, field: field === '' ? '<nil>' : field, message };
}

/** `field: message`, as `kubectl` prints each cause. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${e.message}`;
}

/** Path helpers, as field.Path prints them. */
export const child = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;
