/**
 * Poison messages (unparseable, schema-invalid) go to the dead-letter topic unchanged, with the reason
 * in headers; the detector keeps going. The error text names field paths, never field values.
 * `beyond-horizon` records an application the window rules could not evaluate (see core/event-time.ts);
 * it was valid and its per-application rules ran.
 */
import type { HeaderValue } from '../../../lib/packed-records.ts';
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

/** The record that could not be processed, as a stage read it (any client's message has these). */
export interface SourceRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers?: Readonly<Record<string, HeaderValue>>;
}

export function deadLetter(
  source: { topic: string; partition: number; message: SourceRecord },
  reason: DeadLetterReason,
  error: string,
): OutRecord {
  const headers: Record<string, HeaderValue> = { ...(source.message.headers ?? {}) };
  headers[DLQ_HEADERS.reason] = reason;
  headers[DLQ_HEADERS.error] = error.slice(0, 2000);
  headers[DLQ_HEADERS.sourceTopic] = source.topic;
  headers[DLQ_HEADERS.sourcePartition] = String(source.partition);
  headers[DLQ_HEADERS.sourceOffset] = source.message.offset;
  headers[DLQ_HEADERS.component] = 'fraud-detector';
  return { key: source.message.key, value: source.message.value, headers };
}
