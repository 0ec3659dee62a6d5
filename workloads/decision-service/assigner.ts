/**
 * A consumer-group assigner that gives partition p of every subscribed topic to the same member:
 * the decision service reads partition p of the applications topic and of the verdicts topic side by
 * side (api/verdict.ts puts an application's verdict parts on its own partition number). Partition
 * numbers are dealt round-robin over the members sorted by id, so every member of one generation
 * computes the same assignment.
 */
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

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

export const coPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITION_ASSIGNER,
  version: 0,
  async assign({ members, topics }) {
    const numbers = new Set<number>();
    const byTopic = new Map<string, Set<number>>();
    for (const topic of topics) {
      const ids = new Set(cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId));
      byTopic.set(topic, ids);
      for (const p of ids) numbers.add(p);
    }
    const plan = coPartition(
      members.map((m) => m.memberId),
      [...numbers],
    );
    return [...plan].map(([memberId, partitions]) => {
      const assignment: Record<string, number[]> = {};
      for (const [topic, ids] of byTopic) assignment[topic] = partitions.filter((p) => ids.has(p));
      return {
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment,
          userData: Buffer.alloc(0),
        }),
      };
    });
  },
  protocol({ topics }) {
    return {
      name: CO_PARTITION_ASSIGNER,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});
