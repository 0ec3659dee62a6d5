/**
 * The CEL rules of a structural schema (`x-kubernetes-validations`), evaluated as the API server
 * does on create: every rule of every node that has a value, `self` bound to that value typed by the
 * schema (integers as int, numbers as double), transition rules (those that read `oldSelf`)
 * skipped, failures worded through the rule's `message`, `reason` and `fieldPath`.
 *
 * The CEL engine is @marcbachmann/cel-js, extended with the Kubernetes quantity library
 * (`isQuantity`, `quantity`, `compareTo`, `isLessThan`, `isGreaterThan`, `sign`).
 */
import { Environment } from '@marcbachmann/cel-js';
import { child, type FieldError, fieldError, index, key } from './field-error.ts';
import { isQuantity, parseQuantity, Quantity } from './quantity.ts';
import { isObject, mapValueSchema, type StructuralSchema, type ValidationRule } from './schema.ts';

function quantityOf(s: string): Quantity {
  const q = parseQuantity(s);
  // resource.ErrFormatWrong, the error the API server's quantity() reports
  if (q === undefined)
    throw new Error(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
  return q;
}

const method = (name: string, returnType: string, handler: (a: Quantity, b: Quantity) => unknown) => ({
  name,
  receiverType: 'Quantity',
  returnType,
  params: [{ name: 'other', type: 'Quantity' }],
  handler,
});

/** A CEL environment with the Kubernetes functions the validator supports. */
export function kubernetesCelEnvironment(): Environment {
  return new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false })
    .registerType('Quantity', Quantity)
    .registerFunction('isQuantity(string): bool', (s: string) => isQuantity(s))
    .registerFunction('quantity(string): Quantity', (s: string) => quantityOf(s))
    .registerFunction(method('compareTo', 'int', (a, b) => BigInt(a.compareTo(b))))
    .registerFunction(method('isLessThan', 'bool', (a, b) => a.compareTo(b) < 0))
    .registerFunction(method('isGreaterThan', 'bool', (a, b) => a.compareTo(b) > 0))
    .registerFunction({
      name: 'sign',
      receiverType: 'Quantity',
      returnType: 'int',
      params: [],
      handler: (q: Quantity) => BigInt(q.compareTo(new Quantity(0n, 1n))),
    });
}

/** A rule that reads `oldSelf` only runs on updates. */
export const isTransitionRule = (r: ValidationRule): boolean => /\boldSelf\b/.test(r.rule);

/** The value as CEL sees it under `schema`: integers become int (BigInt), the rest stays JSON. */
export function celValue(schema: StructuralSchema | undefined, value: unknown): unknown {
  if (schema === undefined) return value;
  if (schema.type === 'integer' && typeof value === 'number') return BigInt(Math.trunc(value));
  if (Array.isArray(value)) return value.map((v) => celValue(schema.items, v));
  if (isObject(value)) {
    const values = mapValueSchema(schema);
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, celValue(schema.properties?.[k] ?? values, v)]),
    );
  }
  return value;
}

/** `path` joined with a rule's relative `fieldPath` (`.a.b`, `['key']`, `[0]`). */
export function joinFieldPath(path: string, fieldPath: string): string {
  let out = path;
  for (const m of fieldPath.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\['([^']*)'\]|\[(\d+)\]/g)) {
    if (m[1] !== undefined) out = child(out, m[1]);
    else if (m[2] !== undefined) out = key(out, m[2]);
    else out = index(out, Number(m[3]));
  }
  return out;
}

export class CelValidator {
  private readonly env = kubernetesCelEnvironment();
  private readonly compiled = new Map<string, (ctx: Record<string, unknown>) => unknown>();

  /** Errors of every rule under `schema` for `value` at `path`. */
  validate(schema: StructuralSchema, value: unknown, path: string): FieldError[] {
    const errs: FieldError[] = [];
    this.visit(schema, value, path, errs);
    return errs;
  }

  /** Parses every rule under `schema`; returns the rules the engine cannot compile. */
  compileAll(schema: StructuralSchema): string[] {
    const failures: string[] = [];
    const walk = (s: StructuralSchema) => {
      for (const r of s['x-kubernetes-validations'] ?? []) {
        try {
          this.program(r.rule);
        } catch (err) {
          failures.push(`${r.rule}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      for (const p of Object.values(s.properties ?? {})) walk(p);
      const values = mapValueSchema(s);
      if (values !== undefined) walk(values);
      if (s.items !== undefined) walk(s.items);
    };
    walk(schema);
    return failures;
  }

  private program(rule: string): (ctx: Record<string, unknown>) => unknown {
    let p = this.compiled.get(rule);
    if (p === undefined) {
      const parsed = this.env.parse(rule);
      p = (ctx) => parsed(ctx);
      this.compiled.set(rule, p);
    }
    return p;
  }

  private visit(schema: StructuralSchema, value: unknown, path: string, errs: FieldError[]): void {
    if (value === undefined || value === null) return;
    const rules = (schema['x-kubernetes-validations'] ?? []).filter((r) => !isTransitionRule(r));
    if (rules.length > 0) {
      const self = celValue(schema, value);
      for (const rule of rules) {
        const err = this.check(rule, self, schema.type ?? 'object', path);
        if (err !== undefined) errs.push(err);
      }
    }
    if (Array.isArray(value)) {
      const items = schema.items;
      if (items !== undefined)
        for (const [i, v] of value.entries()) this.visit(items, v, index(path, i), errs);
    } else if (isObject(value)) {
      const values = mapValueSchema(schema);
      for (const [name, v] of Object.entries(value)) {
        const prop = schema.properties?.[name];
        if (prop !== undefined) this.visit(prop, v, child(path, name), errs);
        else if (values !== undefined) this.visit(values, v, key(path, name), errs);
      }
    }
  }

  private check(rule: ValidationRule, self: unknown, type: string, path: string): FieldError | undefined {
    let result: unknown;
    try {
      result = this.program(rule.rule)({ self });
    } catch (err) {
      const what = rule.message?.trim() || rule.rule.trim();
      const detail = `${err instanceof Error ? err.message.split('\n')[0] : String(err)} evaluating rule: ${what}`;
      return fieldError('FieldValueInvalid', path, type, detail);
    }
    if (result === true) return undefined;
    const at = rule.fieldPath === undefined ? path : joinFieldPath(path, rule.fieldPath);
    const message = this.message(rule, self);
    switch (rule.reason) {
      case 'FieldValueForbidden':
        return fieldError('FieldValueForbidden', at, type, message);
      case 'FieldValueRequired':
        return fieldError('FieldValueRequired', at, type, message);
      case 'FieldValueDuplicate':
        return fieldError('FieldValueDuplicate', at, type);
      default:
        return fieldError('FieldValueInvalid', at, type, message);
    }
  }

  private message(rule: ValidationRule, self: unknown): string {
    if (rule.messageExpression !== undefined) {
      try {
        const m = this.program(rule.messageExpression)({ self });
        if (typeof m === 'string' && m.trim() !== '') return m;
      } catch {
        // fall back to the static message, as the API server does
      }
    }
    return rule.message?.trim() || `failed rule: ${rule.rule.trim()}`;
  }
}
