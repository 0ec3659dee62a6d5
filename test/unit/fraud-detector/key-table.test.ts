import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../../workloads/fraud-detector/core/key-table.ts';

describe('key table', () => {
  it('agrees with a Map through inserts, updates and deletions (probe runs shifted back)', () => {
    // The table keeps no keys: value v's key is names[v].
    const names: string[] = [];
    const table = new KeyTable((v) => names[v] as string, 4);
    const reference = new Map<string, number>();
    let s = 7;
    const rand = (n: number) => {
      s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
      return s % n;
    };
    for (let step = 0; step < 40_000; step++) {
      const key = `k${rand(3000)}`;
      const op = rand(3);
      if (op < 2) {
        const v = names.length;
        names.push(key);
        table.set(key, v);
        reference.set(key, v);
      } else {
        table.delete(key);
        reference.delete(key);
      }
      if (step % 997 === 0) {
        expect(table.size).toBe(reference.size);
        const all = Array.from({ length: 3000 }, (_, k) => `k${k}`);
        expect(all.map((k) => table.get(k))).toEqual(all.map((k) => reference.get(k)));
      }
    }
    expect(table.size).toBe(reference.size);
    for (const [k, v] of reference) expect(table.get(k)).toBe(v);
    expect(table.get('absent')).toBeUndefined();
  });
});
