/**
 * A consumer-group assigner that gives partition p of every subscribed topic to the same member:
 * the decision service reads partition p of the applications topic and of the verdicts topic side by
 * side (api/verdict.ts puts an application's verdict parts on its own partition number). Partition
 * numbers are dealt round-robin over the members sorted by id, so every member of one generation
 * computes the same assignment. (The protocol name is the one the service's kafkajs members announced.)
 */
import type { PartitionAssigner } from '../shared/batch-consumer.ts';

export const CO_PARTITION_ASSIGNER = 'CoPartitionAssigner';

/** Partition numbers → members, round-robin over the sorted member ids (pure). */
export function coPartition(
  memberIds: readonly string[],
  partitions: readonly number[],
): Map<string, number[]> {
  const sorted = [...memberIds].sort();
  const out = new Map<string, number[]>(sorted.map((m) => [m, []]));
  [...partitions]
    .sort((a, b) => a - b)
    .forEach((p, i) => {
      out.get(sorted[i % sorted.length] as string)?.push(p);
    });
  return out;
}

/** The group's assigner (workloads/shared/batch-consumer.ts): the same numbers of every topic to one member. */
export const coPartitionAssigner: PartitionAssigner = {
  name: CO_PARTITION_ASSIGNER,
  assign(members, partitionCounts) {
    const numbers = new Set<number>();
    for (const n of partitionCounts.values()) for (let p = 0; p < n; p++) numbers.add(p);
    const plan = coPartition(
      members.map((m) => m.memberId),
      [...numbers],
    );
    return new Map(
      [...plan].map(([memberId, partitions]) => [
        memberId,
        [...partitionCounts].map(([topic, n]) => ({ topic, partitions: partitions.filter((p) => p < n) })),
      ]),
    );
  },
};
