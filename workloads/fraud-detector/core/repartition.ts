/**
 * Re-keying for window rules (as Kafka Streams' repartition topics and Flink's keyBy do): the
 * applications topic is keyed by customerId, but a rule keyed by deviceId needs every application of
 * one device in one partition. The source stage publishes each application once per key group of the
 * rule set to the repartition topic, keyed `<keyPath>|<value>`; Kafka's partitioner then puts all
 * applications of a key in one partition, whose owner holds that key's state.
 */
import type { ApplicationEvent } from '../../contract/application.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { keyString } from '../rules/fields.ts';

export interface RepartitionKey {
  keyPath: string;
  key: string;
}

/** Header naming the key path of a repartition message (also the prefix of its key). */
export const KEY_PATH_HEADER = 'fd-key-path';

/** The keys one application is published under (none when it lacks the field). */
export function repartitionKeys(rules: CompiledRuleSet, event: ApplicationEvent): RepartitionKey[] {
  const out: RepartitionKey[] = [];
  for (const group of rules.keyGroups.values()) {
    const key = keyString(group.read(event));
    if (key !== undefined) out.push({ keyPath: group.keyPath, key });
  }
  return out;
}

export function encodeRepartitionKey(k: RepartitionKey): string {
  return `${k.keyPath}|${k.key}`;
}

/** The inverse of encodeRepartitionKey (key paths never contain `|`). */
export function decodeRepartitionKey(text: string): RepartitionKey | undefined {
  const bar = text.indexOf('|');
  if (bar <= 0 || bar === text.length - 1) return undefined;
  return { keyPath: text.slice(0, bar), key: text.slice(bar + 1) };
}
