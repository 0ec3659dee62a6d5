import { findErrorBy, type Admin as PlatformaticAdmin } from '@platformatic/kafka';

/** A topic to create. */
export interface NewTopic {
  topic: string;
  numPartitions: number;
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

/** The platform's admin: @platformatic/kafka's (workloads/shared/kafka-client.ts `createAdmin`). */
export type TopicAdmin = PlatformaticAdmin;

/**
 * Creates topics and waits until every partition has a leader. Right after a create, a KRaft broker
 * answers the topic's metadata with UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE for a moment
 * (more often under load; a client's own wait for leaders may give up on it); this asks again until
 * `timeoutMs`. A topic another caller creates at the same time (a second replica starting, a second
 * operator, a person) is left as that caller made it: it is waited for, not refused
 * (TOPIC_ALREADY_EXISTS), and its partition count is the creator's.
 */
export async function createTopicsWithLeaders(
  admin: TopicAdmin,
  topics: readonly NewTopic[],
  timeoutMs = 30_000,
): Promise<void> {
  const createdElsewhere = new Set<string>();
  for (const t of topics) {
    // Topic configs are per call in this client's createTopics: one call per topic.
    const options: Parameters<PlatformaticAdmin['createTopics']>[0] = {
      topics: [t.topic],
      partitions: t.numPartitions,
      replicas: t.replicationFactor ?? -1,
    };
    if (t.configEntries !== undefined) options.configs = t.configEntries;
    try {
      await admin.createTopics(options);
    } catch (err) {
      if (!isTopicAlreadyExists(err)) throw err;
      createdElsewhere.add(t.topic);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await leadersReady(admin, topics, createdElsewhere);
    if (ready) return;
    if (Date.now() > deadline)
      throw new Error(
        `topics ${topics.map((t) => t.topic).join(', ')} have no leaders after ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The broker refused a create because the topic exists. */
export function isTopicAlreadyExists(err: unknown): boolean {
  return err instanceof Error && findErrorBy(err, 'apiId', 'TOPIC_ALREADY_EXISTS') !== null;
}

/** Partition counts of the named topics (topics the broker does not know yet: absent from the map). */
export async function partitionCounts(
  admin: TopicAdmin,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const leaders = await partitionLeaders(admin, topics);
  return new Map([...leaders].map(([t, l]) => [t, l.length]));
}

/**
 * The message of topics that must be co-partitioned and are not (undefined when their counts agree):
 * their records are joined partition by partition, so a mismatch would stall the join silently.
 */
export function coPartitionProblem(
  counts: ReadonlyArray<{ topic: string; partitions: number }>,
): string | undefined {
  if (new Set(counts.map((c) => c.partitions)).size <= 1) return undefined;
  return `topics must have the same number of partitions (their records are joined partition by partition): ${counts
    .map((c) => `"${c.topic}" has ${c.partitions}`)
    .join(
      ', ',
    )}; add partitions to the smaller (kafka-topics --alter --partitions) or point the pipeline at matching topics`;
}

async function leadersReady(
  admin: TopicAdmin,
  topics: readonly NewTopic[],
  createdElsewhere: ReadonlySet<string>,
): Promise<boolean> {
  try {
    const leaders = await partitionLeaders(
      admin,
      topics.map((t) => t.topic),
    );
    return topics.every((t) => {
      const parts = leaders.get(t.topic) ?? [];
      const count = createdElsewhere.has(t.topic) ? parts.length > 0 : parts.length === t.numPartitions;
      return count && parts.every((leader) => leader >= 0);
    });
  } catch (err) {
    if (isNotReadyYet(err)) return false;
    throw err;
  }
}

/** Leader per partition of each named topic, fresh from the broker. */
async function partitionLeaders(
  admin: TopicAdmin,
  topics: readonly string[],
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const meta = await admin.metadata({ topics: [...topics], forceUpdate: true });
  for (const [name, t] of meta.topics)
    if (t !== undefined)
      out.set(
        name,
        Array.from({ length: t.partitionsCount }, (_, i) => t.partitions[i]?.leader ?? -1),
      );
  return out;
}

/** A just-created topic the broker does not serve yet. */
export function isNotReadyYet(err: unknown): boolean {
  const type = (err as { type?: string } | undefined)?.type;
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE') return true;
  if (!(err instanceof Error)) return false;
  if (/^Unknown topic /.test(err.message)) return true;
  return (
    findErrorBy(err, 'apiId', 'UNKNOWN_TOPIC_OR_PARTITION') !== null ||
    findErrorBy(err, 'apiId', 'LEADER_NOT_AVAILABLE') !== null
  );
}
