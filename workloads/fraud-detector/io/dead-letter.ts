/**
 * Poison messages (unparseable, schema-invalid) go to the dead-letter topic unchanged, with the reason
 * in headers; the detector keeps going. The error text names field paths, never field values.
 * `beyond-horizon` records an application the window rules could not evaluate (see core/event-time.ts);
 * it was valid and its per-application rules ran.
 */
import type { OutRecord } from './output-writer.ts';

export type DeadLetterReason = 'unparseable' | 'schema-invalid' | 'bad-repartition-key' | 'beyond-horizon';

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  component: 'dlq-component',
} as const;

/** The record that could not be processed, as a stage read it (workloads/shared/batch-consumer.ts). */
export interface SourceRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: bigint | string;
  /** Every header as read, in order (repeated names and null values included). */
  headerEntries: ReadonlyArray<readonly [string, Buffer | null]>;
}

const OWN_HEADERS: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

/**
 * The dead letter of a record: its key, value and headers as they came (a header of the source named
 * like one of ours is replaced), then ours, with the reason.
 */
export function deadLetter(
  source: { topic: string; partition: number; message: SourceRecord },
  reason: DeadLetterReason,
  error: string,
): OutRecord {
  const { message } = source;
  const headers: Array<readonly [string, Buffer | string | null]> = message.headerEntries.filter(
    ([name]) => !OWN_HEADERS.has(name),
  );
  headers.push(
    [DLQ_HEADERS.reason, reason],
    [DLQ_HEADERS.error, error.slice(0, 2000)],
    [DLQ_HEADERS.sourceTopic, source.topic],
    [DLQ_HEADERS.sourcePartition, String(source.partition)],
    [DLQ_HEADERS.sourceOffset, String(message.offset)],
    [DLQ_HEADERS.component, 'fraud-detector'],
  );
  return { key: message.key, value: message.value, headers };
}
