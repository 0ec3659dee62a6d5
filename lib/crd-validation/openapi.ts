/**
 * OpenAPI schema validation of a custom resource, as the API server's kube-openapi validator does it
 * (apiextensions-apiserver `ValidateCustomResource`): type, required, enum, bounds, lengths,
 * patterns, item and property counts, and x-kubernetes-list-type map/set uniqueness; plus the fields
 * the schema does not declare (what strict field validation refuses, and pruning would drop).
 * Messages are the API server's, word for word.
 */
import { child, type FieldError, fieldError, index, key, OMIT } from './field-error.ts';
import { isObject, mapValueSchema, type StructuralSchema } from './schema.ts';

/** JSON Schema type of a JSON value, as kube-openapi infers it. */
export function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'bigint') return 'integer';
  return typeof v === 'object' ? 'object' : typeof v;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/** The errors kube-openapi reports for `value` at `path` (no CEL: see cel.ts). */
export function schemaErrors(schema: StructuralSchema, value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  visit(schema, value, path, errs);
  return errs;
}

function visit(schema: StructuralSchema, value: unknown, path: string, errs: FieldError[]): void {
  const actual = jsonType(value);
  if (schema.type !== undefined && !typeMatches(schema.type, actual)) {
    if (value === null && schema.nullable === true) return;
    if (schema['x-kubernetes-int-or-string'] === true && (actual === 'integer' || actual === 'string'))
      return;
    errs.push(
      fieldError(
        'FieldValueTypeInvalid',
        path,
        actual,
        `${path} in body must be of type ${schema.type}: ${JSON.stringify(actual)}`,
      ),
    );
    return;
  }
  if (schema.enum !== undefined && !schema.enum.some((e) => e === value)) {
    const supported = schema.enum.map((e) => JSON.stringify(typeof e === 'string' ? e : JSON.stringify(e)));
    errs.push(fieldError('FieldValueNotSupported', path, value, `supported values: ${supported.join(', ')}`));
  }
  if (typeof value === 'string') stringErrors(schema, value, path, errs);
  else if (typeof value === 'number') numberErrors(schema, value, path, errs);
  else if (Array.isArray(value)) arrayErrors(schema, value, path, errs);
  else if (isObject(value)) objectErrors(schema, value, path, errs);
}

function stringErrors(schema: StructuralSchema, value: string, path: string, errs: FieldError[]): void {
  // kube-openapi stops at the first failing string check: maxLength, minLength, pattern.
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength)
    errs.push(fieldError('FieldValueTooLong', path, OMIT, tooLong(schema.maxLength)));
  else if (schema.minLength !== undefined && length < schema.minLength)
    errs.push(
      fieldError(
        'FieldValueInvalid',
        path,
        value,
        `${path} in body should be at least ${schema.minLength} chars long`,
      ),
    );
  else if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
    errs.push(
      fieldError('FieldValueInvalid', path, value, `${path} in body should match '${schema.pattern}'`),
    );
}

const tooLong = (n: number) => `may not be more than ${n} ${n === 1 ? 'byte' : 'bytes'}`;
const tooMany = (n: number) => `must have at most ${n} ${n === 1 ? 'item' : 'items'}`;

function numberErrors(schema: StructuralSchema, value: number, path: string, errs: FieldError[]): void {
  const { minimum, maximum } = schema;
  if (maximum !== undefined && (schema.exclusiveMaximum ? value >= maximum : value > maximum))
    errs.push(
      fieldError(
        'FieldValueInvalid',
        path,
        value,
        `${path} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${maximum}`,
      ),
    );
  if (minimum !== undefined && (schema.exclusiveMinimum ? value <= minimum : value < minimum))
    errs.push(
      fieldError(
        'FieldValueInvalid',
        path,
        value,
        `${path} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${minimum}`,
      ),
    );
}

function arrayErrors(schema: StructuralSchema, value: unknown[], path: string, errs: FieldError[]): void {
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    errs.push(fieldError('FieldValueTooMany', path, value.length, tooMany(schema.maxItems)));
  if (schema.minItems !== undefined && value.length < schema.minItems)
    errs.push(
      fieldError(
        'FieldValueInvalid',
        path,
        value.length,
        `${path} in body should have at least ${schema.minItems} items`,
      ),
    );
  const items = schema.items;
  if (items !== undefined) for (const [i, v] of value.entries()) visit(items, v, index(path, i), errs);
}

function objectErrors(
  schema: StructuralSchema,
  value: Record<string, unknown>,
  path: string,
  errs: FieldError[],
): void {
  const count = Object.keys(value).length;
  if (schema.maxProperties !== undefined && count > schema.maxProperties)
    errs.push(fieldError('FieldValueTooMany', path, count, tooMany(schema.maxProperties)));
  if (schema.minProperties !== undefined && count < schema.minProperties)
    errs.push(
      fieldError(
        'FieldValueInvalid',
        path,
        count,
        `${path} in body should have at least ${schema.minProperties} properties`,
      ),
    );
  for (const name of schema.required ?? [])
    if (value[name] === undefined) errs.push(fieldError('FieldValueRequired', child(path, name), OMIT));
  const props = schema.properties ?? {};
  const values = mapValueSchema(schema);
  for (const [name, v] of Object.entries(value)) {
    const prop = props[name];
    if (prop !== undefined) visit(prop, v, child(path, name), errs);
    else if (values !== undefined) visit(values, v, child(path, name), errs);
  }
}

/** Duplicate keys of `x-kubernetes-list-type: map` lists and duplicate items of `set` lists. */
export function listTypeErrors(schema: StructuralSchema, value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (Array.isArray(value)) {
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'map' || listType === 'set') {
      const keys = schema['x-kubernetes-list-map-keys'] ?? [];
      const identity = (item: unknown): unknown =>
        listType === 'set' || !isObject(item)
          ? item
          : Object.fromEntries(keys.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const id = identity(item);
        const canonical = JSON.stringify(id);
        if (seen.has(canonical)) errs.push(fieldError('FieldValueDuplicate', index(path, i), id));
        seen.add(canonical);
      });
    }
    const items = schema.items;
    if (items !== undefined)
      for (const [i, v] of value.entries()) errs.push(...listTypeErrors(items, v, index(path, i)));
  } else if (isObject(value)) {
    const values = mapValueSchema(schema);
    for (const [name, v] of Object.entries(value)) {
      const prop = schema.properties?.[name] ?? values;
      if (prop !== undefined)
        errs.push(...listTypeErrors(prop, v, values === prop ? key(path, name) : child(path, name)));
    }
  }
  return errs;
}

/** Paths of fields the schema does not declare (strict field validation refuses them). */
export function unknownFields(schema: StructuralSchema, value: unknown, path: string): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  if (Array.isArray(value)) {
    const items = schema.items;
    return items === undefined ? [] : value.flatMap((v, i) => unknownFields(items, v, index(path, i)));
  }
  if (!isObject(value) || schema.type !== 'object') return [];
  const values = mapValueSchema(schema);
  return Object.entries(value).flatMap(([name, v]) => {
    const prop = schema.properties?.[name] ?? values;
    if (prop === undefined) return schema.additionalProperties === true ? [] : [child(path, name)];
    return unknownFields(prop, v, child(path, name));
  });
}
