/**
 * A stage's Kafka output (repartition records, verdict parts, dead letters, alerts) through one
 * idempotent acks=all producer, group-committed (io/group-commit.ts): the batches of every partition
 * the stage reads share produce requests, and a batch's promise settles when its records are acked.
 */
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { type GroupCommit, groupCommit } from './group-commit.ts';

export interface OutMessage {
  topic: string;
  message: Message;
}

export type OutputWriter = GroupCommit<OutMessage>;

/**
 * Under the broker's default message.max.bytes (1 MiB per partition's record batch) even if one
 * request's records all land in one partition.
 */
const MAX_REQUEST_BYTES = 768 * 1024;

const sizeOf = (v: Message['value'] | Message['key']): number =>
  v === null || v === undefined ? 0 : typeof v === 'string' ? v.length * 2 : v.length;

export function createOutputWriter(producer: Producer): OutputWriter {
  return groupCommit<OutMessage>(
    async (items) => {
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of items) {
        let list = byTopic.get(topic);
        if (list === undefined) {
          list = [];
          byTopic.set(topic, list);
        }
        list.push(message);
      }
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      await producer.sendBatch({ topicMessages, acks: -1 });
    },
    { maxWeight: MAX_REQUEST_BYTES, weight: (m) => sizeOf(m.message.value) + sizeOf(m.message.key) + 64 },
  );
}
