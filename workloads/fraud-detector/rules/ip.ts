/** IP addresses and CIDR ranges (IPv4 and IPv6) for list rules. */

export interface CidrRange {
  version: 4 | 6;
  base: bigint;
  mask: bigint;
}

export function parseIPv4(text: string): bigint | null {
  // Four groups of 1-3 digits, each ≤ 255, read without a regex or a BigInt per group (hot: list rules).
  let v = 0;
  let groups = 0;
  let digits = 0;
  let n = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || n > 255 || ++groups > 4) return null;
      v = v * 256 + n;
      digits = 0;
      n = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      n = n * 10 + (c - 48);
      digits++;
    } else return null;
  }
  return groups === 4 ? BigInt(v) : null;
}

export function parseIPv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  let groups: string[];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return null;
    const head = text.slice(0, dbl) === '' ? [] : text.slice(0, dbl).split(':');
    const tail = text.slice(dbl + 2) === '' ? [] : text.slice(dbl + 2).split(':');
    const v4tail = tail.length > 0 && (tail[tail.length - 1] as string).includes('.');
    const missing = 8 - head.length - tail.length - (v4tail ? 1 : 0);
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = text.split(':');
  }
  let v = 0n;
  let count = 0;
  for (const [i, g] of groups.entries()) {
    if (g.includes('.')) {
      if (i !== groups.length - 1) return null;
      const v4 = parseIPv4(g);
      if (v4 === null) return null;
      v = (v << 32n) | v4;
      count += 2;
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      v = (v << 16n) | BigInt(Number.parseInt(g, 16));
      count += 1;
    }
  }
  return count === 8 ? v : null;
}

export function parseIp(text: string): { version: 4 | 6; value: bigint } | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = parseIPv6(text);
  return v6 === null ? null : { version: 6, value: v6 };
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128). */
export function parseCidr(text: string): CidrRange | null {
  const [addr, bitsText, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return null;
  const ip = parseIp(addr);
  if (ip === null) return null;
  const width = ip.version === 4 ? 32 : 128;
  if (bitsText !== undefined && !/^[0-9]{1,3}$/.test(bitsText)) return null;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (bits > width) return null;
  const all = (1n << BigInt(width)) - 1n;
  const mask = bits === 0 ? 0n : (all >> BigInt(width - bits)) << BigInt(width - bits);
  return { version: ip.version, base: ip.value & mask, mask };
}

export function inRange(range: CidrRange, ip: { version: 4 | 6; value: bigint }): boolean {
  return range.version === ip.version && (ip.value & range.mask) === range.base;
}
