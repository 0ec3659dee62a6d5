/**
 * What the demo's analysts do with the case queue, and how their verdicts compare with the labels.
 * Pure: cases and the generator's labels in, a plan and a comparison out.
 *
 * The analysts know the truth: the generator's label of the application (the scenario it was made
 * from). A deterministic share of the cases (by a hash of the seed and the application id) is
 * resolved with that knowledge: confirmed fraud for a fraud scenario, legitimate otherwise; a few are
 * resolved inconclusive, as a real analyst sometimes cannot tell. Those, and a share of the others,
 * get a note (every request costs demo time: a resolved case is two requests, three with a note). Of the rest, some are taken and put
 * under investigation and the others stay open, so the queue looks like a working day.
 */
import { createHash } from 'node:crypto';
import type { Verdict } from '../workloads/cases/model.ts';
import { LEGITIMATE } from './detection-quality.ts';

/** A stable number in [0, 1) for a string: the demo's deterministic choices. */
export function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

export interface PlanOptions {
  seed: number;
  /** Share of the cases resolved (0..1). */
  resolveShare: number;
  /** Share of the resolved cases answered inconclusive. */
  inconclusiveShare: number;
  /** Share of the unresolved cases taken and put under investigation. */
  investigateShare: number;
  /** Share of the confirmed-fraud and legitimate verdicts that come with a note (inconclusive always do). */
  noteShare: number;
}

export const DEFAULT_PLAN: Omit<PlanOptions, 'seed'> = {
  resolveShare: 0.7,
  inconclusiveShare: 0.05,
  investigateShare: 0.2,
  noteShare: 0.1,
};

export type CaseAction =
  | { kind: 'resolve'; verdict: Verdict; label: string; note: boolean }
  | { kind: 'investigate' }
  | { kind: 'leave'; why: 'not picked' | 'no label' };

export function planCase(applicationId: string, label: string | undefined, o: PlanOptions): CaseAction {
  if (label === undefined) return { kind: 'leave', why: 'no label' };
  const pick = unitHash(`${o.seed}:pick:${applicationId}`);
  if (pick < o.resolveShare) {
    const inconclusive = unitHash(`${o.seed}:inconclusive:${applicationId}`) < o.inconclusiveShare;
    const note = inconclusive || unitHash(`${o.seed}:note:${applicationId}`) < o.noteShare;
    return { kind: 'resolve', verdict: inconclusive ? 'inconclusive' : verdictFor(label), label, note };
  }
  // The rest of [resolveShare, 1) is spread evenly, so investigateShare is a share of the unresolved.
  const rest = (pick - o.resolveShare) / (1 - o.resolveShare);
  return rest < o.investigateShare ? { kind: 'investigate' } : { kind: 'leave', why: 'not picked' };
}

/** What an analyst who knows the label concludes. */
export function verdictFor(label: string): Verdict {
  return label === LEGITIMATE ? 'legitimate' : 'confirmed_fraud';
}

/** One alert of a resolved case: its rule and the verdict its case got (from the warehouse). */
export interface ResolvedAlert {
  ruleId: string;
  applicationId: string;
  verdict: Verdict;
}

/** Per-rule counts as `rpt_rule_precision` (and the API's /v1/rules/precision) report them. */
export interface RuleVerdicts {
  ruleId: string;
  alerts: number;
  resolved: number;
  confirmedFraud: number;
  legitimate: number;
  inconclusive: number;
  /** confirmed fraud / resolved (inconclusive counts as resolved, not as fraud); null with none resolved. */
  precision: number | null;
}

export interface RulePrecisionRow extends RuleVerdicts {
  /** The same ratio computed from the generator's labels of the same resolved alerts. */
  expectedFromLabels: number | null;
  /** Whether every resolved alert's verdict is the one its label implies (inconclusive excepted). */
  consistent: boolean;
  /** The rule's precision against the labels over everything it flagged (detection-quality.ts). */
  labelPrecision: number | null;
  mode: 'live' | 'shadow' | null;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/**
 * Sets each rule's verdict precision beside what the labels say about the same resolved alerts,
 * and beside the rule's label precision over all it flagged.
 */
export function comparePrecision(
  fromApi: readonly RuleVerdicts[],
  resolvedAlerts: readonly ResolvedAlert[],
  labels: ReadonlyMap<string, string>,
  labelPrecision: ReadonlyArray<{ ruleId: string; precision: number; mode: 'live' | 'shadow' }>,
): RulePrecisionRow[] {
  const ruleIds = [
    ...new Set([...fromApi.map((r) => r.ruleId), ...labelPrecision.map((r) => r.ruleId)]),
  ].sort();
  return ruleIds.map((ruleId) => {
    const api = fromApi.find((r) => r.ruleId === ruleId) ?? {
      ruleId,
      alerts: 0,
      resolved: 0,
      confirmedFraud: 0,
      legitimate: 0,
      inconclusive: 0,
      precision: null,
    };
    const mine = resolvedAlerts.filter((a) => a.ruleId === ruleId);
    const fraudByLabel = mine.filter((a) => {
      const l = labels.get(a.applicationId);
      return a.verdict !== 'inconclusive' && l !== undefined && l !== LEGITIMATE;
    }).length;
    const consistent =
      mine.length === api.resolved &&
      mine.every((a) => {
        const l = labels.get(a.applicationId);
        return a.verdict === 'inconclusive' || (l !== undefined && a.verdict === verdictFor(l));
      });
    const lp = labelPrecision.find((r) => r.ruleId === ruleId);
    return {
      ...api,
      expectedFromLabels: ratio(fraudByLabel, mine.length),
      consistent,
      labelPrecision: lp?.precision ?? null,
      mode: lp?.mode ?? null,
    };
  });
}
