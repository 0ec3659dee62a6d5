/**
 * Bulk writes with COPY FROM STDIN (text format): the one way rows reach the warehouse in bulk.
 * Callers COPY into a temporary staging table and upsert from it with one set-based statement.
 */
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
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
  return arrayField(value);
}

/**
 * Array elements as written inside a COPY field (quoted, array-escaped, then text-escaped: escaping is
 * per character, so a field is the braces around its elements' escaped forms). The strings in arrays
 * are codes from a small set (reason codes, policy rules), so each is worked out once; the cache is
 * bounded in case a caller writes free text.
 */
const ELEMENT_CACHE_LIMIT = 4096;
const escapedElements = new Map<string, string>();

function escapedElement(v: string | number): string {
  if (typeof v === 'number') return String(v);
  let e = escapedElements.get(v);
  if (e === undefined) {
    if (escapedElements.size >= ELEMENT_CACHE_LIMIT) escapedElements.clear();
    e = escapeText(arrayElement(v));
    escapedElements.set(v, e);
  }
  return e;
}

function arrayField(values: ReadonlyArray<string | number>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++)
    out += (i === 0 ? '' : ',') + escapedElement(values[i] as string | number);
  return `${out}}`;
}

const ARRAY_SPECIAL = /[\\"]/;
const ARRAY_ESCAPES = /[\\"]/g;

function arrayElement(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return ARRAY_SPECIAL.test(v) ? `"${v.replace(ARRAY_ESCAPES, '\\$&')}"` : `"${v}"`;
}

const TEXT_SPECIAL = /[\\\n\r\t]/;
const TEXT_ESCAPES = /[\\\n\r\t]/g;
const TEXT_ESCAPE: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** COPY text escaping; most values need none, so one scan decides (the hot path of bulk writes). */
function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_ESCAPES, (c) => TEXT_ESCAPE[c] as string) : s;
}

export function copyLine(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : '\t') + copyField(values[i]);
  return `${line}\n`;
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

/** Size of the pieces COPY text is sent in (bytes). */
const PIECE_BYTES = 64 * 1024;

/**
 * Rows formatted as COPY text while they are produced (formatting is most of a bulk write's CPU),
 * for `copyText`: a writer that computes rows can format each at once and later send the whole text
 * without doing any more work per row while PostgreSQL reads it. Each line is encoded (UTF-8) into
 * a piece at once, so what a page of rows holds until it is sent is a few buffers, not a string per
 * row for the garbage collector to keep moving.
 */
export class CopyText {
  private readonly chunks: Buffer[] = [];
  private piece = Buffer.allocUnsafe(PIECE_BYTES);
  private used = 0;
  private count = 0;

  constructor(
    readonly table: string,
    readonly columns: readonly string[],
  ) {}

  add(row: readonly CopyValue[]): void {
    if (row.length !== this.columns.length)
      throw new Error(`COPY ${this.table}: row has ${row.length} values for ${this.columns.length} columns`);
    this.addLine(copyLine(row));
  }

  /**
   * Adds one row already formatted as a COPY text line (tab-separated fields escaped as `copyField`
   * does, ending in a newline; `copyLine` of the row's values gives it): for writers that format
   * their constant fields once.
   */
  addLine(line: string): void {
    this.count++;
    // A UTF-16 code unit is at most 3 bytes of UTF-8: a line that may not fit starts a new piece.
    if (this.used + line.length * 3 > this.piece.length) {
      this.seal();
      if (line.length * 3 > this.piece.length) {
        this.chunks.push(Buffer.from(line, 'utf8'));
        return;
      }
    }
    this.used += this.piece.write(line, this.used);
  }

  private seal(): void {
    if (this.used === 0) return;
    this.chunks.push(this.piece.subarray(0, this.used));
    this.piece = Buffer.allocUnsafe(PIECE_BYTES);
    this.used = 0;
  }

  get rows(): number {
    return this.count;
  }

  /** The text (UTF-8) in pieces of at most about 64 KB, each ending at a row's end. */
  pieces(): Buffer[] {
    this.seal();
    return this.chunks;
  }
}

/**
 * Sends formatted rows with COPY: every piece is handed to the stream at once, so the socket takes
 * as much as it can whenever the event loop turns (the caller may be computing meanwhile); resolves
 * with the row count once PostgreSQL has confirmed the COPY.
 */
export async function copyText(client: pg.PoolClient | pg.Client, text: CopyText): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${text.table} (${text.columns.join(', ')}) FROM STDIN`));
  const done = finished(stream);
  for (const piece of text.pieces()) stream.write(piece);
  stream.end();
  await done;
  return text.rows;
}
