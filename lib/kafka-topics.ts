import type { Admin } from 'kafkajs';

/** A topic to create (kafkajs's ITopicConfig, the fields we use). */
export interface NewTopic {
  topic: string;
  numPartitions: number;
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

/**
 * Creates topics and waits until every partition has a leader. kafkajs's own `waitForLeaders` gives up
 * when the broker answers a just-created topic's metadata with UNKNOWN_TOPIC_OR_PARTITION (KRaft
 * brokers do for a moment, more often under load); this asks again until `timeoutMs`.
 */
export async function createTopicsWithLeaders(
  admin: Admin,
  topics: readonly NewTopic[],
  timeoutMs = 30_000,
): Promise<void> {
  await admin.createTopics({ waitForLeaders: false, topics: [...topics] });
  const deadline = Date.now() + timeoutMs;
  const names = topics.map((t) => t.topic);
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: names });
      const ready = topics.every((t) => {
        const parts = meta.topics.find((m) => m.name === t.topic)?.partitions ?? [];
        return parts.length === t.numPartitions && parts.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${names.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
