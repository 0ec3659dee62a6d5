/**
 * Bulk writes with COPY FROM STDIN (text format): the one way rows reach the warehouse in bulk.
 * Callers COPY into a temporary staging table and upsert from it with one set-based statement.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value written as JSON (for json/jsonb columns), whatever its shape (arrays included). */
export class Json {
  constructor(readonly value: unknown) {}
}
export const json = (value: unknown): Json => new Json(value);

export type CopyValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly string[]
  | readonly number[]
  | Json;

/**
 * Escapes one value for COPY text format: NULL as \N; string and number arrays as PostgreSQL array
 * literals; `json(x)` as JSON text.
 */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Json) return escapeText(JSON.stringify(value.value) ?? 'null');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot COPY non-finite number ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'string') return escapeText(value);
  return escapeText(`{${(value as ReadonlyArray<string | number>).map(arrayElement).join(',')}}`);
}

function arrayElement(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

export function copyLine(values: readonly CopyValue[]): string {
  return `${values.map(copyField).join('\t')}\n`;
}

/** Streams rows into `table (columns)` with COPY; returns the row count. */
export async function copyRows(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<number> {
  const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN`;
  const stream = client.query(copyFrom(sql));
  let count = 0;
  function* lines(): Generator<string> {
    let chunk = '';
    for (const row of rows) {
      if (row.length !== columns.length)
        throw new Error(`COPY ${table}: row has ${row.length} values for ${columns.length} columns`);
      chunk += copyLine(row);
      count++;
      if (chunk.length >= 64 * 1024) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  await pipeline(Readable.from(lines()), stream);
  return count;
}
