/** Reads a JSON request body with a byte limit, strict UTF-8 and a content-type check. */
import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { ok: true; value: unknown }
  | { ok: false; status: 400 | 413 | 415; detail: string; drain: boolean };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && JSON_TYPE.test(header.trim());
}

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  if (!isJsonContentType(req.headers['content-type']))
    return {
      ok: false,
      status: 415,
      detail: 'Content-Type must be application/json (charset utf-8)',
      drain: true,
    };
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit)
    return { ok: false, status: 413, detail: `body exceeds the limit of ${limit} bytes`, drain: false };

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      return { ok: false, status: 413, detail: `body exceeds the limit of ${limit} bytes`, drain: false };
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
  } catch {
    return { ok: false, status: 400, detail: 'body is not valid UTF-8', drain: true };
  }
  if (text.trim() === '') return { ok: false, status: 400, detail: 'body is empty', drain: true };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // The parser's message quotes the body; the body may hold personal data, so it is not repeated.
    return { ok: false, status: 400, detail: 'body is not valid JSON', drain: true };
  }
}
