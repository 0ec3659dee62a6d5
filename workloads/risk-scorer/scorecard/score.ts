/**
 * Scorecard maths, pure: bin each characteristic, add the points, scale to a score, derive the
 * probability of default and the grade, and rank the adverse-action reasons.
 *
 * Reason ranking (Regulation B practice): for every characteristic, points lost = the best points any
 * of its bins awards − the points the applicant's bin awards. Characteristics that lost points are
 * ranked by points lost, largest first; ties go to the characteristic listed earlier in the model (the
 * model author lists characteristics in order of importance). A code that would appear twice keeps
 * its first (highest) place. At most `maxReasons` (≤ 4) are returned.
 */
import { characteristicValue, type ScoringInput } from './characteristics.ts';
import { modelKey } from './model.ts';
import type { Bin, Characteristic, CharacteristicId, Grade, Scorecard } from './schema.ts';

export interface CharacteristicScore {
  id: CharacteristicId;
  /** Null when the value is unknown (scored in the missing-value bin). */
  value: number | null;
  /** Index of the bin in the model's list. */
  bin: number;
  points: number;
  /** Best points any bin of this characteristic awards. */
  maxPoints: number;
  pointsLost: number;
}

export interface Reason {
  code: string;
  text: string;
  /** The characteristic that lost the points, or the policy rule that fired. */
  source: string;
  pointsLost: number;
}

export interface ScoreResult {
  modelKey: string;
  /** basePoints + Σ points, before rounding and clamping. */
  totalPoints: number;
  score: number;
  /** Probability of default implied by the score. */
  pd: number;
  grade: Grade;
  characteristics: CharacteristicScore[];
  /** Adverse-action reasons from the scorecard, ranked (see the module comment). */
  reasons: Reason[];
}

export function findBin(characteristic: Characteristic, value: number | null): number {
  const index = characteristic.bins.findIndex((b) => matches(b, value));
  if (index < 0)
    throw new Error(
      `characteristic ${characteristic.id}: no bin for value ${value === null ? 'missing' : value}`,
    );
  return index;
}

function matches(bin: Bin, value: number | null): boolean {
  if (value === null || Number.isNaN(value)) return bin.missing === true;
  if (bin.missing === true) return false;
  return (bin.min ?? Number.NEGATIVE_INFINITY) <= value && value < (bin.max ?? Number.POSITIVE_INFINITY);
}

/** Probability of default at a score: odds (good:bad) = baseOdds · 2^((score − baseScore) / pdo). */
export function probabilityOfDefault(score: number, scaling: Scorecard['scaling']): number {
  const odds = scaling.baseOdds * 2 ** ((score - scaling.baseScore) / scaling.pdo);
  return 1 / (1 + odds);
}

export function gradeFor(score: number, grades: Scorecard['grades']): Grade {
  let best: { grade: Grade; minScore: number } | undefined;
  for (const g of grades) {
    if (g.minScore <= score && (best === undefined || g.minScore > best.minScore)) best = g;
  }
  if (best === undefined) throw new Error(`no grade covers score ${score}`);
  return best.grade;
}

/** Ranks reasons by points lost (desc), ties by the given order, codes deduplicated, at most `limit`. */
export function rankReasons(candidates: Reason[], limit: number): Reason[] {
  // Array.prototype.sort is stable: equal points lost keep the given order.
  const ranked: Reason[] = [];
  for (const r of candidates) if (r.pointsLost > 0) ranked.push(r);
  ranked.sort((a, b) => b.pointsLost - a.pointsLost);
  const out: Reason[] = [];
  for (const r of ranked) {
    if (out.length === limit) break;
    let seen = false;
    for (const o of out) if (o.code === r.code) seen = true;
    if (!seen) out.push(r);
  }
  return out;
}

/** Per-model values computed once (models are immutable once loaded). */
const derived = new WeakMap<Scorecard, { key: string; maxPoints: number[] }>();

function derivedOf(model: Scorecard): { key: string; maxPoints: number[] } {
  let d = derived.get(model);
  if (d === undefined) {
    d = {
      key: modelKey(model),
      maxPoints: model.characteristics.map((c) => Math.max(...c.bins.map((b) => b.points))),
    };
    derived.set(model, d);
  }
  return d;
}

export function scoreApplication(model: Scorecard, input: ScoringInput): ScoreResult {
  const characteristics: CharacteristicScore[] = [];
  const candidates: Reason[] = [];
  const { key, maxPoints: bestPoints } = derivedOf(model);
  let total = model.scaling.basePoints;
  for (let i = 0; i < model.characteristics.length; i++) {
    const c = model.characteristics[i] as Characteristic;
    const value = characteristicValue(c.id, input);
    const bin = findBin(c, value);
    const chosen = c.bins[bin] as Bin;
    const maxPoints = bestPoints[i] as number;
    const pointsLost = maxPoints - chosen.points;
    total += chosen.points;
    characteristics.push({ id: c.id, value, bin, points: chosen.points, maxPoints, pointsLost });
    candidates.push({
      code: chosen.reasonCode ?? c.reasonCode,
      text: chosen.reasonText ?? c.reasonText,
      source: c.id,
      pointsLost,
    });
  }
  const { minScore, maxScore } = model.scaling;
  const score = Math.min(maxScore, Math.max(minScore, Math.round(total)));
  return {
    modelKey: key,
    totalPoints: total,
    score,
    pd: probabilityOfDefault(score, model.scaling),
    grade: gradeFor(score, model.grades),
    characteristics,
    reasons: rankReasons(candidates, model.maxReasons),
  };
}
