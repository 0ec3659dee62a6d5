/**
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity) as the CEL library of the
 * API server reads them: `isQuantity(s)` and `quantity(s).compareTo(other)`. A quantity is a signed
 * decimal number with an optional suffix: binary (Ki … Ei), decimal SI (n, u, m, k, M, G, T, P, E)
 * or a decimal exponent (e3, E-2). Values are kept exact as a fraction of BigInts.
 */

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const FORM = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([A-Za-z]*|[eE][+-]?[0-9]+)$/;

/** An exact quantity: numerator / denominator. */
export class Quantity {
  constructor(
    readonly numerator: bigint,
    readonly denominator: bigint,
  ) {}

  /** -1, 0 or 1, as resource.Quantity.Cmp. */
  compareTo(other: Quantity): number {
    const a = this.numerator * other.denominator;
    const b = other.numerator * this.denominator;
    return a < b ? -1 : a > b ? 1 : 0;
  }
}

/** The quantity `s` denotes, or undefined when resource.ParseQuantity would refuse it. */
export function parseQuantity(s: string): Quantity | undefined {
  const m = FORM.exec(s);
  if (m === null) return undefined;
  const [, number = '', suffix = ''] = m;
  const negative = number.startsWith('-');
  const digits = number.replace(/^[+-]/, '');
  const [whole = '', fraction = ''] = digits.split('.');
  let numerator = BigInt(`${whole}${fraction}` || '0') * (negative ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  let exp10 = 0;
  if (suffix in BINARY) numerator *= 2n ** BigInt(BINARY[suffix] ?? 0);
  else if (suffix in DECIMAL) exp10 = DECIMAL[suffix] ?? 0;
  else if (/^[eE][+-]?[0-9]+$/.test(suffix)) exp10 = Number(suffix.slice(1));
  else return undefined;
  if (Math.abs(exp10) > 1000) return undefined;
  if (exp10 >= 0) numerator *= 10n ** BigInt(exp10);
  else denominator *= 10n ** BigInt(-exp10);
  return new Quantity(numerator, denominator);
}

export const isQuantity = (s: string): boolean => parseQuantity(s) !== undefined;
