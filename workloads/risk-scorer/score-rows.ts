/**
 * fact_credit_score rows as COPY text, formatted as the scorer scores (formatting is most of a bulk
 * write's JavaScript CPU): what is the same for a whole run (model, role, run, time) is escaped once,
 * and the points column's JSON is written directly instead of built as objects and stringified.
 * `scoreRowLine` gives exactly `copyLine` of the row's values (test/unit/risk-scorer/score-rows.test.ts).
 */
import { copyField } from '../warehouse/copy.ts';
import type { CharacteristicScore, ScoreResult } from './scorecard/score.ts';

/** Columns of fact_credit_score the scorer writes (COPY order); the benchmark writes the same. */
export const SCORE_COLUMNS = [
  'application_id',
  'model_key',
  'role',
  'score',
  'pd',
  'grade',
  'total_points',
  'points',
  'reason_codes',
  'run_id',
  'scored_at',
] as const;

const jsonNumber = (n: number | null): string => (n === null || !Number.isFinite(n) ? 'null' : String(n));

/**
 * The points column, {characteristic: {value, bin, points, pointsLost}}, as JSON.stringify writes
 * that object (characteristic ids are identifiers, unique within a model: nothing to escape).
 */
export function pointsJson(characteristics: readonly CharacteristicScore[]): string {
  let out = '{';
  for (let i = 0; i < characteristics.length; i++) {
    const c = characteristics[i] as CharacteristicScore;
    out += `${i === 0 ? '' : ','}"${c.id}":{"value":${jsonNumber(c.value)},"bin":${jsonNumber(c.bin)},"points":${jsonNumber(c.points)},"pointsLost":${jsonNumber(c.pointsLost)}}`;
  }
  return `${out}}`;
}

export interface ScoreRowRun {
  modelKey: string;
  role: string;
  runId: string;
  scoredAt: Date;
}

/**
 * A formatter of one model's score rows in one run: (application id, score) → one COPY text line.
 * The points JSON (numbers, identifiers, braces, quotes) holds no character COPY text escapes.
 */
export function scoreRowLine(run: ScoreRowRun): (applicationId: string, s: ScoreResult) => string {
  const model = `\t${copyField(run.modelKey)}\t${copyField(run.role)}\t`;
  const tail = `\t${copyField(run.runId)}\t${copyField(run.scoredAt.toISOString())}\n`;
  return (applicationId, s) =>
    `${copyField(applicationId)}${model}${copyField(s.score)}\t${copyField(s.pd)}\t${copyField(s.grade)}\t${copyField(s.totalPoints)}\t${pointsJson(s.characteristics)}\t${copyField(s.reasons.map((r) => r.code))}${tail}`;
}
