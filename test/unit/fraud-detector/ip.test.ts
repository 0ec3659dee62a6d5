import { describe, expect, it } from 'vitest';
import {
  inRange,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseIp,
} from '../../../workloads/fraud-detector/rules/ip.ts';

describe('IP addresses and CIDR ranges', () => {
  it('parses IPv4 and rejects malformed addresses', () => {
    expect(parseIPv4('203.0.113.7')).toBe((203n << 24n) | (113n << 8n) | 7n);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffffn);
    expect(parseIPv4('0.0.0.0')).toBe(0n);
    expect(parseIPv4('010.001.0.9')).toBe((10n << 24n) | (1n << 16n) | 9n);
    for (const bad of [
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      'a.b.c.d',
      '1..2.3',
      '01234.1.1.1',
      '',
      '1.2.3.4.',
      '.1.2.3',
      '1.2.3.-4',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '1.2.3.999',
    ]) {
      expect(parseIPv4(bad), bad).toBeNull();
    }
  });

  it('parses IPv6 with :: compression and an embedded IPv4 tail', () => {
    expect(parseIPv6('::1')).toBe(1n);
    expect(parseIPv6('2001:db8::')).toBe(0x20010db8n << 96n);
    expect(parseIPv6('::ffff:1.2.3.4')).toBe((0xffffn << 32n) | 0x01020304n);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toBe(0x00010002000300040005000600070008n);
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1'])
      expect(parseIPv6(bad), bad).toBeNull();
  });

  it('matches addresses against v4 and v6 ranges, including the edges of the range', () => {
    const r = parseCidr('203.0.113.0/24');
    expect(r).not.toBeNull();
    const ip = (s: string) => parseIp(s) as NonNullable<ReturnType<typeof parseIp>>;
    expect(inRange(r!, ip('203.0.113.0'))).toBe(true);
    expect(inRange(r!, ip('203.0.113.255'))).toBe(true);
    expect(inRange(r!, ip('203.0.114.0'))).toBe(false);
    expect(inRange(r!, ip('203.0.112.255'))).toBe(false);
    const r6 = parseCidr('2001:db8:bad::/48')!;
    expect(inRange(r6, ip('2001:db8:bad:ffff::1'))).toBe(true);
    expect(inRange(r6, ip('2001:db8:bae::1'))).toBe(false);
    expect(inRange(r6, ip('203.0.113.1'))).toBe(false);
    expect(inRange(parseCidr('0.0.0.0/0')!, ip('8.8.8.8'))).toBe(true);
    expect(inRange(parseCidr('10.1.2.3')!, ip('10.1.2.3'))).toBe(true);
  });

  it('rejects malformed ranges', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/8/1', '10.0.0/8', '::/129', '10.0.0.0/x']) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });
});
