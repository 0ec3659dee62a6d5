/**
 * A string → non-negative integer map for the window state's keys, over two typed arrays (open
 * addressing, linear probing, backward-shift deletion): about 12 bytes a key instead of a JS Map's
 * ~49. It does not hold the key strings: the caller stores each key once (with its entries) and
 * `keyOf(value)` gives a stored value's key back.
 */

/** 32-bit FNV-1a with a final mix. */
function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

const EMPTY = -1;

export class KeyTable {
  private values: Int32Array;
  private hashes: Int32Array;
  private mask: number;
  private count = 0;

  constructor(
    private readonly keyOf: (value: number) => string,
    capacity = 16,
  ) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.values = new Int32Array(cap).fill(EMPTY);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  get(key: string): number | undefined {
    const i = this.find(key, hashKey(key));
    return i < 0 ? undefined : (this.values[i] as number);
  }

  /** Sets the value of a key (inserting it); `value` ≥ 0. */
  set(key: string, value: number): void {
    const h = hashKey(key);
    const i = this.find(key, h);
    if (i >= 0) {
      this.values[i] = value;
      return;
    }
    if ((this.count + 1) * 10 > this.values.length * 7) this.grow();
    let j = h & this.mask;
    while (this.values[j] !== EMPTY) j = (j + 1) & this.mask;
    this.values[j] = value;
    this.hashes[j] = h;
    this.count++;
  }

  delete(key: string): boolean {
    let i = this.find(key, hashKey(key));
    if (i < 0) return false;
    this.values[i] = EMPTY;
    this.count--;
    // Backward shift: move later members of the probe run into the hole when their home allows it.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const v = this.values[j] as number;
      if (v === EMPTY) break;
      const home = (this.hashes[j] as number) & this.mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      this.values[i] = v;
      this.hashes[i] = this.hashes[j] as number;
      this.values[j] = EMPTY;
      i = j;
    }
    return true;
  }

  private find(key: string, h: number): number {
    let j = h & this.mask;
    for (;;) {
      const v = this.values[j] as number;
      if (v === EMPTY) return -1;
      if (this.hashes[j] === h && this.keyOf(v) === key) return j;
      j = (j + 1) & this.mask;
    }
  }

  private grow(): void {
    const values = this.values;
    const hashes = this.hashes;
    const cap = values.length * 2;
    this.values = new Int32Array(cap).fill(EMPTY);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v === EMPTY) continue;
      const h = hashes[i] as number;
      let j = h & this.mask;
      while (this.values[j] !== EMPTY) j = (j + 1) & this.mask;
      this.values[j] = v;
      this.hashes[j] = h;
    }
  }
}
