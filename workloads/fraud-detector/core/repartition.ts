/**
 * Re-keying for window rules (as Kafka Streams' repartition topics and Flink's keyBy do): the
 * applications topic is keyed by customerId, but a rule keyed by deviceId needs every application of
 * one device in one partition. The source stage publishes each application once per key group of the
 * rule set to the repartition topic, keyed `<keyPath>|<value>`; Kafka's partitioner then puts all
 * applications of a key in one partition, whose owner holds that key's state. The message value is
 * a small projection (`WindowRecord`: id, customer, submission and receipt times, the counted fields), not the whole
 * application, which keeps the repartition topic and the state small and keeps most personal data
 * out of it.
 */
import {
  type PackedRecord,
  packRecords,
  parseJsonObject,
  unpackRecord,
} from '../../../lib/packed-records.ts';
import type { ApplicationEvent } from '../../contract/application.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { keyString } from '../rules/fields.ts';
import type { WindowRecord } from './windows.ts';

export interface RepartitionKey {
  keyPath: string;
  key: string;
  /** The projection of the application the window state needs (the message value). */
  record: WindowRecord;
}

/** Header naming the key path of a repartition message (also the prefix of its key). */
export const KEY_PATH_HEADER = 'fd-key-path';

/**
 * The keys one application is published under (none when it lacks the field). `receivedAt` is the
 * server's receipt time of the application (see core/event-time.ts).
 */
export function repartitionKeys(
  rules: CompiledRuleSet,
  event: ApplicationEvent,
  receivedAt: string,
): RepartitionKey[] {
  const out: RepartitionKey[] = [];
  for (const group of rules.keyGroups.values()) {
    const key = keyString(group.read(event));
    if (key === undefined) continue;
    const fields: Record<string, string> = {};
    const paths = group.distinctPaths;
    for (let i = 0; i < paths.length; i++) {
      const v = group.distinctReaders[i]?.(event);
      if (typeof v === 'string' || typeof v === 'number') fields[paths[i] as string] = String(v);
    }
    out.push({
      keyPath: group.keyPath,
      key,
      record: {
        applicationId: event.applicationId,
        customerId: event.applicant.customerId,
        submittedAt: event.submittedAt,
        receivedAt,
        fields,
      },
    });
  }
  return out;
}

export function encodeRepartitionKey(k: Pick<RepartitionKey, 'keyPath' | 'key'>): string {
  return `${k.keyPath}|${k.key}`;
}

/** The inverse of encodeRepartitionKey (key paths never contain `|`). */
export function decodeRepartitionKey(text: string): Pick<RepartitionKey, 'keyPath' | 'key'> | undefined {
  const bar = text.indexOf('|');
  if (bar <= 0 || bar === text.length - 1) return undefined;
  return { keyPath: text.slice(0, bar), key: text.slice(bar + 1) };
}

/** Parses a repartition message value; undefined when it is not a WindowRecord. */
export function parseWindowRecord(text: string): WindowRecord | undefined {
  const r = parseJsonObject(text);
  if (r === undefined) return undefined;
  if (
    typeof r.applicationId !== 'string' ||
    typeof r.customerId !== 'string' ||
    typeof r.submittedAt !== 'string' ||
    (r.receivedAt !== undefined && typeof r.receivedAt !== 'string')
  ) {
    return undefined;
  }
  if (r.fields === null || typeof r.fields !== 'object') return undefined;
  return r as unknown as WindowRecord;
}

/**
 * The packed format (lib/packed-records.ts): one repartition message carries every application of one
 * source batch whose keys land in one repartition partition (instead of one message per application
 * and key), so the cost per Kafka record (encoding, CRC, broker append, fetch decoding) is paid per
 * batch. The message has the header `fd-format: packed-v1` and no key; its value is
 * `{"apps": [PackedApplication, ...]}`. Placement is unchanged: each key goes to the partition the Java
 * client (and kafkajs) would pick for the message key `<keyPath>|<value>`, so all applications of a key
 * still meet in one partition.
 */
const PACKED_LIST = 'apps';

/** One application in a packed message: its projection, the keys of it this partition holds, its source. */
export interface PackedApplication extends WindowRecord {
  /** `[keyPath, key]` pairs. */
  keys: Array<[string, string]>;
  /** `<topic>/<partition>/<offset>` of the application (its verdict parts go to that partition). */
  source?: string;
}

/** Kafka's murmur2 (the Java client's `Utils.murmur2`) of a string's UTF-8 bytes. */
export function murmur2(text: string): number {
  // Keys are mostly ASCII: their UTF-8 bytes are their char codes, read without a Buffer.
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return murmur2Bytes(text.length, (i) => text.charCodeAt(i));
  const data = Buffer.from(text, 'utf8');
  return murmur2Bytes(data.length, (i) => data[i] as number);
}

function murmur2Bytes(length: number, byte: (i: number) => number): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = byte(i4) | (byte(i4 + 1) << 8) | (byte(i4 + 2) << 16) | (byte(i4 + 3) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= byte(tail + 2) << 16;
  if (rest >= 2) h ^= byte(tail + 1) << 8;
  if (rest >= 1) {
    h ^= byte(tail);
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client's default partitioner gives a message key. */
export function partitionOfKey(messageKey: string, partitions: number): number {
  return (murmur2(messageKey) & 0x7fffffff) % partitions;
}

/**
 * Packs the keys of a batch's applications by repartition partition: `apps[i]` are the keys of one
 * application (repartitionKeys) and its source. At most `maxPerMessage` applications per message.
 */
export function packByPartition(
  apps: ReadonlyArray<{ keys: readonly RepartitionKey[]; source: string }>,
  partitions: number,
  maxPerMessage?: number,
): PackedRecord[] {
  const byPartition = new Map<number, PackedApplication[]>();
  // One application's partitions and their packed entries (a few keys: searched in place, not a Map).
  const hereParts: number[] = [];
  const herePacked: PackedApplication[] = [];
  for (const app of apps) {
    hereParts.length = 0;
    herePacked.length = 0;
    for (const k of app.keys) {
      const partition = partitionOfKey(encodeRepartitionKey(k), partitions);
      const at = hereParts.indexOf(partition);
      let packed: PackedApplication;
      if (at >= 0) packed = herePacked[at] as PackedApplication;
      else {
        const r = k.record;
        // Literal objects of one shape (no spread): the property order is the message's field order.
        packed =
          r.receivedAt === undefined
            ? {
                applicationId: r.applicationId,
                customerId: r.customerId,
                submittedAt: r.submittedAt,
                fields: {},
                keys: [],
                source: app.source,
              }
            : {
                applicationId: r.applicationId,
                customerId: r.customerId,
                submittedAt: r.submittedAt,
                receivedAt: r.receivedAt,
                fields: {},
                keys: [],
                source: app.source,
              };
        hereParts.push(partition);
        herePacked.push(packed);
        const list = byPartition.get(partition);
        if (list === undefined) byPartition.set(partition, [packed]);
        else list.push(packed);
      }
      packed.keys.push([k.keyPath, k.key]);
      const fields = k.record.fields;
      for (const name in fields) packed.fields[name] = fields[name] as string;
    }
  }
  return packRecords(byPartition, PACKED_LIST, maxPerMessage);
}

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * Parses a packed message value: the applications that are well formed, and how many were not
 * (undefined when the value is not a packed message at all).
 */
export function parsePacked(text: string): { apps: PackedApplication[]; invalid: number } | undefined {
  const items = unpackRecord(text, PACKED_LIST);
  if (items === undefined) return undefined;
  const apps: PackedApplication[] = [];
  let invalid = 0;
  for (const a of items) {
    const r = a as Record<string, unknown> | null;
    const ok =
      r !== null &&
      typeof r === 'object' &&
      isString(r.applicationId) &&
      isString(r.customerId) &&
      isString(r.submittedAt) &&
      (r.receivedAt === undefined || isString(r.receivedAt)) &&
      (r.source === undefined || isString(r.source)) &&
      r.fields !== null &&
      typeof r.fields === 'object' &&
      Array.isArray(r.keys) &&
      r.keys.every(
        (k: unknown) =>
          Array.isArray(k) &&
          k.length === 2 &&
          isString(k[0]) &&
          k[0] !== '' &&
          isString(k[1]) &&
          k[1] !== '',
      );
    if (ok) apps.push(r as unknown as PackedApplication);
    else invalid++;
  }
  return { apps, invalid };
}
