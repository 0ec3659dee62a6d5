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
    for (const [i, path] of group.distinctPaths.entries()) {
      const v = group.distinctReaders[i]?.(event);
      if (typeof v === 'string' || typeof v === 'number') fields[path] = String(v);
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
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  if (
    typeof r.applicationId !== 'string' ||
    typeof r.customerId !== 'string' ||
    typeof r.submittedAt !== 'string' ||
    (r.receivedAt !== undefined && typeof r.receivedAt !== 'string')
  ) {
    return undefined;
  }
  if (r.fields === null || typeof r.fields !== 'object') return undefined;
  return v as WindowRecord;
}
