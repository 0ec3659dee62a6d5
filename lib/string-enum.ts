/**
 * A string enum in TypeBox: a union of literals, which TypeScript reads as the union of the values
 * and the CRD generator (cdk8s/crd.ts) turns into `{type: string, enum: [...]}`. The one helper for
 * the CRD, the application contract and the fraud-rule format.
 */
import { type TLiteral, type TUnion, Type } from '@sinclair/typebox';

export const StringEnum = <const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): TUnion<TLiteral<T[number]>[]> =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<TLiteral<T[number]>[]>;
