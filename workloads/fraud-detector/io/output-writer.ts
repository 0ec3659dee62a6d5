/**
 * A stage's Kafka output (repartition records, verdict parts, dead letters, alerts) through one
 * idempotent acks=all producer (@platformatic/kafka, workloads/shared/kafka-client.ts `createProducer`:
 * keys placed by the Java client's murmur2), group-committed (io/group-commit.ts): the batches of every
 * partition the stage reads share produce requests, and a batch's promise settles when its records are
 * acked.
 */
import type { MessageToProduce } from '@platformatic/kafka';
import type { HeaderValue } from '../../../lib/packed-records.ts';
import type { BytesProducer } from '../../shared/kafka-client.ts';
import { type GroupCommit, groupCommit } from './group-commit.ts';

/** Headers as ordered pairs: every pair is written, in order (repeated names, null values included). */
export type HeaderEntries = ReadonlyArray<readonly [string, Buffer | string | null]>;

/**
 * One record to write. Strings are written as their UTF-8 bytes; a null value is written as null (a
 * dead letter keeps its source's value, whatever it was). `partition` places the record there (packed
 * records); otherwise the key's murmur2 does (a record without key and partition goes to partition 0).
 * Headers by name (a list is written once per element, in order: Kafka allows repeated names) or as
 * ordered pairs.
 */
export interface OutRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: Readonly<Record<string, HeaderValue>> | HeaderEntries;
}

export interface OutMessage {
  topic: string;
  message: OutRecord;
}

export type OutputWriter = GroupCommit<OutMessage>;

/**
 * Under the broker's default message.max.bytes (1 MiB per partition's record batch) even if one
 * request's records all land in one partition.
 */
const MAX_REQUEST_BYTES = 768 * 1024;

const sizeOf = (v: Buffer | string | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'string' ? v.length * 2 : v.length;

const bytes = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

/**
 * The headers as the producer takes them (its serializers are no-ops: bytes in, bytes out). A Map keyed
 * by Buffer objects, so a repeated header key (a list) stays repeated: each occurrence is its own key.
 */
function headerMap(headers: Readonly<Record<string, HeaderValue>> | HeaderEntries): Map<Buffer, Buffer> {
  const out = new Map<Buffer, Buffer>();
  if (Array.isArray(headers)) {
    // A null header value is written as null (the producer's serializers are the identity).
    for (const [name, v] of headers as HeaderEntries)
      out.set(Buffer.from(name, 'utf8'), (v === null ? null : bytes(v)) as Buffer);
    return out;
  }
  for (const [name, value] of Object.entries(headers as Readonly<Record<string, HeaderValue>>)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value as Buffer | string];
    for (const v of values) out.set(Buffer.from(name, 'utf8'), bytes(v));
  }
  return out;
}

/** The record as @platformatic/kafka sends it. */
export function toProduce(
  topic: string,
  record: OutRecord,
): MessageToProduce<Buffer, Buffer, Buffer, Buffer> {
  const m: MessageToProduce<Buffer, Buffer, Buffer, Buffer> = {
    topic,
    // The producer's value serializer is the identity and the wire format has null values; its typing does not.
    value: (record.value === null ? null : bytes(record.value)) as Buffer,
  };
  if (record.key !== undefined && record.key !== null) m.key = bytes(record.key);
  if (record.partition !== undefined) m.partition = record.partition;
  if (record.headers !== undefined) m.headers = headerMap(record.headers);
  return m;
}

export function createOutputWriter(producer: BytesProducer): OutputWriter {
  return groupCommit<OutMessage>(
    async (items) => {
      await producer.send({ messages: items.map(({ topic, message }) => toProduce(topic, message)) });
    },
    { maxWeight: MAX_REQUEST_BYTES, weight: (m) => sizeOf(m.message.value) + sizeOf(m.message.key) + 64 },
  );
}
