import { describe, expect, it } from 'vitest';
import { CelValidator, celValue, isTransitionRule, joinFieldPath } from '../../../lib/crd-validation/cel.ts';
import { applyDefaults, pruneNulls } from '../../../lib/crd-validation/defaults.ts';
import { fieldError, formatFieldError, OMIT } from '../../../lib/crd-validation/field-error.ts';
import {
  CustomResourceValidator,
  formatFieldError as fmt,
  type StructuralSchema,
} from '../../../lib/crd-validation/index.ts';
import { listTypeErrors, schemaErrors, unknownFields } from '../../../lib/crd-validation/openapi.ts';
import { isQuantity, parseQuantity } from '../../../lib/crd-validation/quantity.ts';

describe('quantities', () => {
  it('parses binary, decimal and exponent suffixes exactly', () => {
    const cmp = (a: string, b: string) => parseQuantity(a)?.compareTo(parseQuantity(b) as never);
    expect(cmp('1Gi', '1024Mi')).toBe(0);
    expect(cmp('500m', '1')).toBe(-1);
    expect(cmp('1.5', '1500m')).toBe(0);
    expect(cmp('1e3', '1k')).toBe(0);
    expect(cmp('2', '1')).toBe(1);
    expect(cmp('-1', '0')).toBe(-1);
    expect(cmp('.5', '500m')).toBe(0);
  });

  it('refuses what resource.ParseQuantity refuses', () => {
    for (const bad of ['', 'lots', 'ten gigs', '1 Gi', '1GB', 'Gi', '1.2.3', '--1'])
      expect(isQuantity(bad), bad).toBe(false);
    for (const good of ['0', '250m', '512Mi', '10Gi', '+1', '1.', '2E6'])
      expect(isQuantity(good), good).toBe(true);
  });
});

describe('field errors', () => {
  it('word the body as field.Error.ErrorBody does', () => {
    expect(formatFieldError(fieldError('FieldValueInvalid', 'spec.a', 'x', 'bad'))).toBe(
      'spec.a: Invalid value: "x": bad',
    );
    expect(formatFieldError(fieldError('FieldValueInvalid', 'spec.a', 3, 'bad'))).toBe(
      'spec.a: Invalid value: 3: bad',
    );
    expect(formatFieldError(fieldError('FieldValueRequired', 'spec.a', OMIT))).toBe('spec.a: Required value');
    expect(formatFieldError(fieldError('FieldValueRequired', 'spec.a', 'object', 'why'))).toBe(
      'spec.a: Required value: why',
    );
    expect(formatFieldError(fieldError('FieldValueDuplicate', 'spec.l[1]', { name: 'x' }))).toBe(
      'spec.l[1]: Duplicate value: {"name":"x"}',
    );
    expect(formatFieldError(fieldError('FieldValueInvalid', '', null, 'whole'))).toBe(
      '<nil>: Invalid value: null: whole',
    );
  });
});

const schema: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        count: { type: 'integer', minimum: 1, maximum: 3, default: 1 },
        ratio: { type: 'number', maximum: 1 },
        tags: { type: 'object', maxProperties: 1, additionalProperties: { type: 'string' } },
        items: {
          type: 'array',
          maxItems: 2,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['id'],
          items: {
            type: 'object',
            properties: { id: { type: 'string' }, v: { type: 'integer', nullable: false } },
          },
        },
        limits: {
          type: 'object',
          default: {},
          properties: { low: { type: 'integer', default: 1 }, high: { type: 'integer', default: 2 } },
          'x-kubernetes-validations': [
            { rule: 'self.low <= self.high', message: 'low must not exceed high', fieldPath: '.low' },
            { rule: 'self.high == oldSelf.high', message: 'immutable' },
          ],
        },
      },
      'x-kubernetes-validations': [
        {
          rule: "self.mode != 'b' || self.count > 1",
          message: 'mode b needs count > 1',
          reason: 'FieldValueForbidden',
        },
        { rule: 'has(self.ratio)' },
      ],
    },
  },
};

describe('OpenAPI schema validation', () => {
  const errs = (spec: unknown) => schemaErrors(schema, { spec }, '').map(formatFieldError);

  it('reports required fields, bounds, lengths and patterns as kube-openapi does', () => {
    expect(errs({})).toEqual(['spec.name: Required value']);
    expect(errs({ name: 'abcdef' })).toEqual(['spec.name: Too long: may not be more than 5 bytes']);
    expect(errs({ name: 'a' })).toEqual([
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    ]);
    expect(errs({ name: 'AB' })).toEqual([
      'spec.name: Invalid value: "AB": spec.name in body should match \'^[a-z]+$\'',
    ]);
    expect(errs({ name: 'ab', count: 4, ratio: 1.5 })).toEqual([
      'spec.count: Invalid value: 4: spec.count in body should be less than or equal to 3',
      'spec.ratio: Invalid value: 1.5: spec.ratio in body should be less than or equal to 1',
    ]);
    expect(errs({ name: 'ab', mode: 'c' })).toEqual([
      'spec.mode: Unsupported value: "c": supported values: "a", "b"',
    ]);
    expect(errs({ name: 'ab', count: 'two' })).toEqual([
      'spec.count: Invalid value: "string": spec.count in body must be of type integer: "string"',
    ]);
    expect(errs({ name: 'ab', tags: { a: 'x', b: 'y' }, items: [{}, {}, {}] })).toEqual([
      'spec.tags: Too many: 2: must have at most 1 item',
      'spec.items: Too many: 3: must have at most 2 items',
    ]);
  });

  it('accepts integers where numbers are expected', () => {
    expect(errs({ name: 'ab', ratio: 1 })).toEqual([]);
  });

  it('finds duplicate keys of list-type map lists', () => {
    const spec = { items: [{ id: 'a' }, { id: 'b' }, { id: 'a', v: 1 }] };
    expect(listTypeErrors(schema, { spec }, '').map(formatFieldError)).toEqual([
      'spec.items[2]: Duplicate value: {"id":"a"}',
    ]);
  });

  it('names undeclared fields, not those of maps', () => {
    expect(
      unknownFields(
        schema,
        { spec: { name: 'ab', extra: 1, tags: { any: 'x' }, items: [{ id: 'a', z: 1 }] } },
        '',
      ),
    ).toEqual(['spec.extra', 'spec.items[0].z']);
  });
});

describe('defaulting', () => {
  it('drops nulls of non-nullable fields and fills defaults into objects that have one', () => {
    const out = applyDefaults(
      schema,
      pruneNulls(schema, { spec: { name: 'ab', count: null, items: [{ id: 'a', v: null }] } }),
    );
    expect(out).toEqual({
      spec: { name: 'ab', mode: 'a', count: 1, items: [{ id: 'a' }], limits: { low: 1, high: 2 } },
    });
  });
});

describe('CEL rules', () => {
  const cel = new CelValidator();
  const run = (spec: unknown) =>
    cel.validate(schema, applyDefaults(schema, { spec }), '').map(formatFieldError);

  it('evaluates every rule with self typed by the schema, and words failures by reason and fieldPath', () => {
    expect(run({ name: 'ab', ratio: 0.5 })).toEqual([]);
    expect(run({ name: 'ab', mode: 'b', limits: { low: 3 } })).toEqual([
      'spec: Forbidden: mode b needs count > 1',
      'spec: Invalid value: "object": failed rule: has(self.ratio)',
      'spec.limits.low: Invalid value: "object": low must not exceed high',
    ]);
  });

  it('skips transition rules on create', () => {
    expect(isTransitionRule({ rule: 'self.x == oldSelf.x' })).toBe(true);
    expect(isTransitionRule({ rule: 'self.oldSelfish == 1' })).toBe(false);
  });

  it('types integers as CEL int and leaves numbers as double', () => {
    expect(celValue({ type: 'integer' }, 3)).toBe(3n);
    expect(celValue({ type: 'number' }, 3)).toBe(3);
    expect(celValue(schema.properties?.spec, { count: 2, ratio: 1 })).toEqual({ count: 2n, ratio: 1 });
  });

  it('joins relative field paths', () => {
    expect(joinFieldPath('spec', '.a.b')).toBe('spec.a.b');
    expect(joinFieldPath('spec', ".m['k.x'][2]")).toBe('spec.m[k.x][2]');
  });

  it('provides the Kubernetes quantity library', () => {
    const q: StructuralSchema = {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      'x-kubernetes-validations': [
        { rule: 'quantity(self.a).compareTo(quantity(self.b)) <= 0', message: 'a <= b' },
        { rule: 'isQuantity(self.a) && quantity(self.b).isGreaterThan(quantity("0"))', message: 'valid' },
      ],
    };
    expect(cel.validate(q, { a: '512Mi', b: '1Gi' }, 'r')).toEqual([]);
    expect(cel.validate(q, { a: '2Gi', b: '1Gi' }, 'r').map(formatFieldError)).toEqual([
      'r: Invalid value: "object": a <= b',
    ]);
    expect(cel.validate(q, { a: 'x', b: '1' }, 'r').map(formatFieldError)).toEqual([
      'r: Invalid value: "object": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\' evaluating rule: a <= b',
      'r: Invalid value: "object": valid',
    ]);
  });
});

describe('CustomResourceValidator', () => {
  const v = new CustomResourceValidator(schema);

  it('does not run CEL rules after a blocking error, as the API server does', () => {
    const r = v.validate({ metadata: { name: 'ok' }, spec: { name: 'ab', mode: 'z' } });
    expect(r.errors.map(fmt)).toEqual([
      'spec.mode: Unsupported value: "z": supported values: "a", "b"',
      '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });

  it('checks the object name and returns the defaulted object without status', () => {
    const r = v.validate({
      metadata: { name: 'Not_OK' },
      spec: { name: 'ab', ratio: 0.1 },
      status: { x: 1 },
    });
    expect(r.errors.map(fmt)[0]).toMatch(
      /^metadata.name: Invalid value: "Not_OK": a lowercase RFC 1123 subdomain/,
    );
    expect(r.object).not.toHaveProperty('status');
    expect(r.object.spec).toMatchObject({ mode: 'a', count: 1 });
    expect(v.validate({ spec: { name: 'ab', ratio: 0.1 } }).errors.map(fmt)).toEqual([
      'metadata.name: Required value: name or generateName is required',
      '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });
});
