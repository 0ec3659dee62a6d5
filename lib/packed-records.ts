/**
 * Packed Kafka records: one record carries many small items bound for one partition, instead of one
 * record per item, so the cost per Kafka record (encoding, CRC, broker append, fetch decoding, a
 * consumer's per-message work) is paid once per batch and partition. The fraud detector's repartition
 * topic (workloads/fraud-detector/core/repartition.ts) and verdicts topic (api/verdict.ts) use it.
 *
 * A packed record has the header `fd-format: packed-v1`, no key (its partition is chosen by the writer)
 * and the value `{"<list>": [item, ...]}`, the list's name given by the topic's contract. Readers tell
 * it from their topic's one-item records by the header.
 */

export const FORMAT_HEADER = 'fd-format';
export const PACKED_FORMAT = 'packed-v1';

/** Most items in one packed record (a few hundred bytes each: well under a record batch's 1 MiB). */
export const MAX_PACKED_ITEMS = 500;

/** A header value as Kafka clients hand it over. */
export type HeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined;

/** A packed record to write: its partition, value and headers (the format header). */
export interface PackedRecord {
  partition: number;
  value: string;
  headers: { [FORMAT_HEADER]: typeof PACKED_FORMAT };
}

/** Whether a record's headers say it is packed. */
export function isPacked(headers: Readonly<Record<string, HeaderValue>> | undefined): boolean {
  const v = headers?.[FORMAT_HEADER];
  if (v === undefined) return false;
  const one = Array.isArray(v) ? v[0] : v;
  return one !== undefined && String(one) === PACKED_FORMAT;
}

/** The packed records of items grouped by partition: `{"<list>": [...]}`, at most `maxPerRecord` each. */
export function packRecords<T>(
  byPartition: ReadonlyMap<number, readonly T[]>,
  list: string,
  maxPerRecord = MAX_PACKED_ITEMS,
): PackedRecord[] {
  const out: PackedRecord[] = [];
  for (const [partition, items] of byPartition) {
    for (let i = 0; i < items.length; i += maxPerRecord) {
      const chunk = i === 0 && items.length <= maxPerRecord ? items : items.slice(i, i + maxPerRecord);
      out.push({
        partition,
        value: JSON.stringify({ [list]: chunk }),
        headers: { [FORMAT_HEADER]: PACKED_FORMAT },
      });
    }
  }
  return out;
}

/** A record value parsed as a JSON object; undefined when it is not JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>);
}

/** The items of a packed record's value; undefined when it is not JSON or has no such list. */
export function unpackRecord(text: string, list: string): unknown[] | undefined {
  const items = parseJsonObject(text)?.[list];
  return Array.isArray(items) ? items : undefined;
}
