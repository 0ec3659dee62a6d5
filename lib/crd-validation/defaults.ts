/**
 * What the API server does to a custom resource before it validates it: drop `null` values of
 * fields that are not nullable, then fill in structural-schema defaults (a property that is absent
 * and has a `default` gets a copy of it; defaulting then recurses into objects, map values and items).
 */
import { isObject, mapValueSchema, type StructuralSchema } from './schema.ts';

export function pruneNulls(schema: StructuralSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items === undefined ? value : value.map((v) => pruneNulls(items, v));
  }
  if (!isObject(value)) return value;
  const values = mapValueSchema(schema);
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    const prop = schema.properties?.[name] ?? values;
    if (v === null && prop?.nullable !== true && prop !== undefined) continue;
    out[name] = prop === undefined ? v : pruneNulls(prop, v);
  }
  return out;
}

export function applyDefaults(schema: StructuralSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items === undefined ? value : value.map((v) => applyDefaults(items, v));
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [name, prop] of Object.entries(schema.properties ?? {}))
    if (out[name] === undefined && prop.default !== undefined) out[name] = structuredClone(prop.default);
  const values = mapValueSchema(schema);
  for (const [name, v] of Object.entries(out)) {
    const prop = schema.properties?.[name] ?? values;
    if (prop !== undefined) out[name] = applyDefaults(prop, v);
  }
  return out;
}
