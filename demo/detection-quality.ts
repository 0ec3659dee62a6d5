/**
 * Precision and recall of the fraud detector against the generator's ground-truth labels.
 * Pure: labels and alerts in, a table out.
 *
 * Definitions (per application, live alerts only; shadow hits are reported separately):
 * - an application is *flagged* when at least one live rule alerted on it;
 * - per scenario S: recall = flagged ∩ S / S; precision = flagged ∩ S / (flagged ∩ (S ∪ legitimate)),
 *   i.e. of the flags that landed on S or on legitimate traffic, the share that were S (flags on
 *   other fraud scenarios are neither credit nor blame for S);
 * - per rule: precision = its flagged applications that carry any fraud label / all it flagged.
 */

export const LEGITIMATE = 'legitimate';

export interface AlertRef {
  applicationId: string;
  ruleId: string;
  mode: 'live' | 'shadow';
}

export interface ScenarioQuality {
  scenario: string;
  applications: number;
  flagged: number;
  recall: number;
  precision: number;
}

export interface RuleQuality {
  ruleId: string;
  mode: 'live' | 'shadow';
  flagged: number;
  precision: number;
  /** The scenario most of its flags belong to. */
  mainScenario: string;
}

export interface DetectionQuality {
  scenarios: ScenarioQuality[];
  rules: RuleQuality[];
  overall: { applications: number; fraudulent: number; flagged: number; precision: number; recall: number };
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function detectionQuality(
  labels: ReadonlyMap<string, string>,
  alerts: readonly AlertRef[],
): DetectionQuality {
  const flagged = new Set(alerts.filter((a) => a.mode === 'live').map((a) => a.applicationId));
  const byScenario = new Map<string, string[]>();
  for (const [id, scenario] of labels) {
    const ids = byScenario.get(scenario);
    if (ids === undefined) byScenario.set(scenario, [id]);
    else ids.push(id);
  }
  const legitFlagged = (byScenario.get(LEGITIMATE) ?? []).filter((id) => flagged.has(id)).length;

  const scenarios: ScenarioQuality[] = [...byScenario.entries()]
    .filter(([s]) => s !== LEGITIMATE)
    .map(([scenario, ids]) => {
      const hit = ids.filter((id) => flagged.has(id)).length;
      return {
        scenario,
        applications: ids.length,
        flagged: hit,
        recall: ratio(hit, ids.length),
        precision: ratio(hit, hit + legitFlagged),
      };
    })
    .sort((a, b) => a.scenario.localeCompare(b.scenario));

  const perRule = new Map<string, { mode: 'live' | 'shadow'; apps: Set<string> }>();
  for (const a of alerts) {
    const r = perRule.get(a.ruleId) ?? { mode: a.mode, apps: new Set<string>() };
    r.apps.add(a.applicationId);
    perRule.set(a.ruleId, r);
  }
  const rules: RuleQuality[] = [...perRule.entries()]
    .map(([ruleId, { mode, apps }]) => {
      const counts = new Map<string, number>();
      for (const id of apps) {
        const s = labels.get(id) ?? 'unlabelled';
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      const fraud = [...apps].filter((id) => {
        const s = labels.get(id);
        return s !== undefined && s !== LEGITIMATE;
      }).length;
      const main =
        [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? '';
      return { ruleId, mode, flagged: apps.size, precision: ratio(fraud, apps.size), mainScenario: main };
    })
    .sort((a, b) => a.ruleId.localeCompare(b.ruleId));

  const fraudIds = [...labels.entries()].filter(([, s]) => s !== LEGITIMATE).map(([id]) => id);
  const tp = fraudIds.filter((id) => flagged.has(id)).length;
  const labelledFlagged = [...flagged].filter((id) => labels.has(id)).length;
  return {
    scenarios,
    rules,
    overall: {
      applications: labels.size,
      fraudulent: fraudIds.length,
      flagged: labelledFlagged,
      precision: ratio(tp, labelledFlagged),
      recall: ratio(tp, fraudIds.length),
    },
  };
}
