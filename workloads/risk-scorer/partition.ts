/**
 * Hash partitions of an Indexed Job: index i of n takes the applications whose stored
 * `partition_hash` (first 31 bits of SHA-256 of the application id, computed by the loader) satisfies
 * partition_hash % n = i. Every non-negative hash has exactly one remainder, so for a given n the
 * partitions never overlap and together cover every application.
 */
export interface Partition {
  index: number;
  count: number;
}

export function validatePartition(p: Partition): Partition {
  if (!Number.isInteger(p.count) || p.count < 1)
    throw new Error(`partition count must be a positive integer, got ${p.count}`);
  if (!Number.isInteger(p.index) || p.index < 0 || p.index >= p.count)
    throw new Error(`partition index must be in [0, ${p.count - 1}], got ${p.index}`);
  return p;
}

/** The SQL predicate (alias `a` = fact_application); parameters are numbered from `firstParam`. */
export function partitionPredicate(firstParam: number): string {
  return `a.partition_hash % $${firstParam} = $${firstParam + 1}`;
}

/** The same rule in TypeScript, for tests and tools. */
export function partitionOf(partitionHash: number, count: number): number {
  return partitionHash % count;
}
