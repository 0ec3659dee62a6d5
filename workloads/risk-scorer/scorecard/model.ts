/**
 * Loading and checking scorecard models: the schema (schema.ts) checks shapes, this module checks
 * what a schema cannot: bins that cover every value exactly once, a missing-value bin where a value
 * can be missing, grades that cover every score, cutoffs in order, a baseline that sums to one.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { canonicalJson } from '../../../lib/canonical-json.ts';
import { compileValidator } from '../../contract/validate.ts';
import { CAN_BE_MISSING } from './characteristics.ts';
import { Scorecard } from './schema.ts';

export class ModelError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid scorecard model ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ModelError';
  }
}

const validator = compileValidator(Scorecard);

/** `name@version`: the key a model is stored and referenced under. */
export function modelKey(model: Pick<Scorecard, 'name' | 'version'>): string {
  return `${model.name}@${model.version}`;
}

/** SHA-256 of the model's canonical JSON: a published version must keep its checksum. */
export function modelChecksum(model: Scorecard): string {
  return createHash('sha256').update(canonicalJson(model)).digest('hex');
}

/** Validates an already-parsed model (schema, then semantics); throws ModelError naming each problem. */
export function parseModel(input: unknown, source = 'model'): Scorecard {
  const withDefaults = Value.Default(Scorecard, Value.Clone(input));
  const checked = validator.validate(withDefaults);
  if (!checked.ok)
    throw new ModelError(
      source,
      checked.errors.map((e) => `${e.path}: ${e.message}`),
    );
  const problems = semanticProblems(checked.value);
  if (problems.length > 0) throw new ModelError(source, problems);
  return checked.value;
}

/** Reads a model from a YAML or JSON file. */
export function loadModelFile(path: string): Scorecard {
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ModelError(path, [`not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${String(err)}`]);
  }
  return parseModel(raw, path);
}

export function semanticProblems(model: Scorecard): string[] {
  const problems: string[] = [];
  const seenIds = new Set<string>();
  const seenCodes = new Set<string>();
  model.characteristics.forEach((c, ci) => {
    const at = `/characteristics/${ci}`;
    if (seenIds.has(c.id)) problems.push(`${at}/id: characteristic ${c.id} appears twice`);
    seenIds.add(c.id);
    if (seenCodes.has(c.reasonCode)) problems.push(`${at}/reasonCode: ${c.reasonCode} is used twice`);
    seenCodes.add(c.reasonCode);
    const missing = c.bins.filter((b) => b.missing === true);
    if (missing.length > 1) problems.push(`${at}/bins: more than one missing-value bin`);
    if (CAN_BE_MISSING.has(c.id) && missing.length === 0)
      problems.push(`${at}/bins: ${c.id} can be missing, so it needs a bin with missing: true`);
    for (const b of missing) {
      if (b.min !== undefined || b.max !== undefined)
        problems.push(`${at}/bins: the missing-value bin must not have min or max`);
    }
    const ranges = c.bins
      .filter((b) => b.missing !== true)
      .map((b) => ({ min: b.min ?? Number.NEGATIVE_INFINITY, max: b.max ?? Number.POSITIVE_INFINITY }))
      .sort((a, b) => a.min - b.min);
    if (ranges.length === 0) {
      problems.push(`${at}/bins: no value bins`);
      return;
    }
    if (ranges[0]?.min !== Number.NEGATIVE_INFINITY)
      problems.push(`${at}/bins: the lowest bin must have no min (values below it would have no bin)`);
    if (ranges[ranges.length - 1]?.max !== Number.POSITIVE_INFINITY)
      problems.push(`${at}/bins: the highest bin must have no max (values above it would have no bin)`);
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i] as { min: number; max: number };
      if (!(r.min < r.max)) problems.push(`${at}/bins: empty bin [${r.min}, ${r.max})`);
      const next = ranges[i + 1];
      if (next !== undefined && next.min !== r.max)
        problems.push(
          `${at}/bins: bins [${r.min}, ${r.max}) and [${next.min}, ${next.max}) ${next.min < r.max ? 'overlap' : 'leave a gap'}`,
        );
    }
  });

  const { minScore, maxScore } = model.scaling;
  if (!(minScore < maxScore)) problems.push('/scaling: minScore must be below maxScore');
  const grades = new Set<string>();
  const minScores = new Set<number>();
  for (const g of model.grades) {
    if (grades.has(g.grade)) problems.push(`/grades: grade ${g.grade} appears twice`);
    if (minScores.has(g.minScore)) problems.push(`/grades: two grades start at ${g.minScore}`);
    grades.add(g.grade);
    minScores.add(g.minScore);
  }
  if (Math.min(...model.grades.map((g) => g.minScore)) > minScore)
    problems.push(`/grades: the lowest grade must start at or below minScore ${minScore}`);
  const sorted = [...model.grades].sort((a, b) => b.minScore - a.minScore);
  for (let i = 1; i < sorted.length; i++) {
    const better = sorted[i - 1] as { grade: string };
    const worse = sorted[i] as { grade: string };
    if (better.grade > worse.grade)
      problems.push(`/grades: grade ${better.grade} must not start above grade ${worse.grade}`);
  }

  const { policy } = model;
  if (policy.referMinScore > policy.approveMinScore)
    problems.push('/policy: referMinScore must not exceed approveMinScore');

  const { edges, proportions } = model.baseline;
  if (proportions.length !== edges.length - 1)
    problems.push(
      `/baseline: ${edges.length} edges need ${edges.length - 1} proportions, got ${proportions.length}`,
    );
  for (let i = 1; i < edges.length; i++) {
    if (!((edges[i] as number) > (edges[i - 1] as number)))
      problems.push('/baseline/edges: must be strictly ascending');
  }
  if (edges[0] !== undefined && edges[0] > minScore)
    problems.push(`/baseline/edges: first edge must be at or below minScore ${minScore}`);
  const last = edges[edges.length - 1];
  if (last !== undefined && last < maxScore)
    problems.push(`/baseline/edges: last edge must be at or above maxScore ${maxScore}`);
  const total = proportions.reduce((s, p) => s + p, 0);
  if (Math.abs(total - 1) > 1e-6) problems.push(`/baseline/proportions: must sum to 1, sum is ${total}`);
  return problems;
}
