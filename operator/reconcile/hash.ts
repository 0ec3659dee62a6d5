/** A stable hash of a desired object: canonical JSON (sorted keys) → sha256, 32 hex chars. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.ts';

export function objectHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}
