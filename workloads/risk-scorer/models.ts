/**
 * The models a run scores with: the champion (decides) and optional challengers (shadow only), and
 * their registration in the warehouse (dim_model, dim_reason_code). A model version is immutable:
 * registering a version whose checksum differs from the stored one fails the run.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Pool } from '../warehouse/db.ts';
import { POLICY_REASONS } from './scorecard/decision.ts';
import { loadModelFile, modelChecksum, modelKey } from './scorecard/model.ts';
import type { Scorecard } from './scorecard/schema.ts';

const MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'models');
/** Built-in champion and challenger (used when MODEL_FILE / CHALLENGER_MODEL_FILE are unset). */
export const BUILT_IN_CHAMPION = join(MODELS_DIR, 'retail-scorecard-1.0.0.yaml');
export const BUILT_IN_CHALLENGER = join(MODELS_DIR, 'retail-scorecard-2.0.0.yaml');

export type Role = 'champion' | 'challenger';

export interface ActiveModel {
  key: string;
  role: Role;
  model: Scorecard;
  checksum: string;
}

export interface ModelSet {
  champion: ActiveModel;
  challengers: ActiveModel[];
  /** Champion first. */
  all: ActiveModel[];
}

function active(model: Scorecard, role: Role): ActiveModel {
  return { key: modelKey(model), role, model, checksum: modelChecksum(model) };
}

export function modelSet(champion: Scorecard, challengers: readonly Scorecard[] = []): ModelSet {
  const c = active(champion, 'champion');
  const ch = challengers.map((m) => active(m, 'challenger'));
  const keys = new Set([c.key]);
  for (const m of ch) {
    if (keys.has(m.key))
      throw new Error(`model ${m.key} is listed twice (champion and challenger must differ)`);
    keys.add(m.key);
  }
  return { champion: c, challengers: ch, all: [c, ...ch] };
}

/** Loads the champion and challenger files ("none" or empty = no challenger). */
export function loadModelSet(championFile: string, challengerFile: string): ModelSet {
  const challengers =
    challengerFile === '' || challengerFile === 'none' ? [] : [loadModelFile(challengerFile)];
  return modelSet(loadModelFile(championFile), challengers);
}

/** Every reason code the models and the hard rules can give, with its text and kind. */
export function reasonCatalog(set: ModelSet): Map<string, { text: string; kind: 'scorecard' | 'policy' }> {
  const codes = new Map<string, { text: string; kind: 'scorecard' | 'policy' }>();
  for (const r of Object.values(POLICY_REASONS)) codes.set(r.code, { text: r.text, kind: 'policy' });
  for (const m of set.all) {
    for (const c of m.model.characteristics) {
      if (!codes.has(c.reasonCode)) codes.set(c.reasonCode, { text: c.reasonText, kind: 'scorecard' });
      for (const b of c.bins) {
        if (b.reasonCode !== undefined && !codes.has(b.reasonCode))
          codes.set(b.reasonCode, { text: b.reasonText ?? c.reasonText, kind: 'scorecard' });
      }
    }
  }
  return codes;
}

/** Inserts the models and reason texts; fails if a stored version has a different checksum. */
export async function registerModels(db: Pool | pg.PoolClient, set: ModelSet): Promise<void> {
  for (const m of set.all) {
    // Any unique conflict (model_key, or name and version) leaves the stored row, checked just below:
    // Indexed Job pods registering the same new model at once would otherwise fail all but one.
    await db.query(
      `INSERT INTO dim_model (model_key, name, version, checksum, definition, baseline_edges, baseline_proportions)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        m.key,
        m.model.name,
        m.model.version,
        m.checksum,
        JSON.stringify(m.model),
        m.model.baseline.edges,
        m.model.baseline.proportions,
      ],
    );
    const stored = await db.query<{ checksum: string }>(
      'SELECT checksum FROM dim_model WHERE model_key = $1',
      [m.key],
    );
    if (stored.rows[0]?.checksum !== m.checksum)
      throw new Error(
        `model ${m.key} differs from the version already registered in the warehouse (checksum ${stored.rows[0]?.checksum?.slice(0, 12)}…); a published version never changes: bump its version`,
      );
  }
  const codes = reasonCatalog(set);
  const entries = [...codes.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  await db.query(
    `INSERT INTO dim_reason_code (code, text, kind)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (code) DO UPDATE SET text = excluded.text, kind = excluded.kind
     WHERE (dim_reason_code.text, dim_reason_code.kind) IS DISTINCT FROM (excluded.text, excluded.kind)`,
    [entries.map(([c]) => c), entries.map(([, v]) => v.text), entries.map(([, v]) => v.kind)],
  );
}
