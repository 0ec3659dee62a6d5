/** The demo's terminal summary. */
import { streamDecisionsLine } from './decision-latency.ts';
import { fraudOpsText } from './fraud-ops-report.ts';
import { conditionsLine, type DemoSummary, psiReading } from './summary.ts';
import { validationLines } from './validation-report.ts';

export function formatSummary(s: DemoSummary, reportPath: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    '',
    `Credit platform demo: ${s.pipeline.namespace}/${s.pipeline.name} in ${s.durationSeconds.toFixed(0)} s`,
    `  applications   generated ${s.applications.generated}, accepted ${s.applications.accepted}, in the warehouse ${s.applications.inWarehouse}, invalid posts rejected ${s.applications.rejectedByApi}`,
    `  fraud alerts   ${s.alerts.total} (precision ${pct(s.quality.overall.precision)}, recall ${pct(s.quality.overall.recall)} against the generator's labels)`,
    ...s.alerts.byRule.map(
      (r) =>
        `                 ${String(r.count).padStart(6)}  ${r.ruleId} (${r.severity}${r.mode === 'shadow' ? ', shadow' : ''})`,
    ),
    '  per scenario   recall / precision',
    ...s.quality.scenarios.map(
      (q) =>
        `                 ${q.scenario.padEnd(20)} ${pct(q.recall).padStart(6)} / ${pct(q.precision).padStart(6)}  (${q.flagged} of ${q.applications})`,
    ),
    `  decisions      ${s.decisions.map((d) => `${d.label} ${d.count}`).join(', ')}`,
    ...(s.streamDecisions === undefined ? [] : [streamDecisionsLine(s.streamDecisions)]),
    `  risk grades    ${s.grades.map((g) => `${g.label} ${g.count}`).join(', ')}`,
    `  scores         ${s.scoreHistogram.map((b) => `${b.label}: ${b.count}`).join(', ')}`,
    `  scoring run    ${s.scoring.status}, ${s.scoring.scored} scored, ${psiReading(s.scoring.psi)}`,
    ...(s.validation ? validationLines(s.validation) : []),
    alertLatencyLine(s.latencyMs),
    ...(s.conditions === undefined ? [] : [`  conditions     ${conditionsLine(s.conditions)}`]),
    `  dead letters   ${s.deadLetters.count}${s.deadLetters.reasons.length ? ` (${s.deadLetters.reasons.map((r) => `${r.label}: ${r.count}`).join(', ')})` : ''}`,
    ...(s.fraudOps === undefined ? [] : fraudOpsText(s.fraudOps)),
    '  checks',
    ...s.checks.map((c) => `    ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    `Report: ${reportPath}`,
  ];
  return lines.join('\n');
}

/** Receipt → alert written, before the detector was killed and over the whole run. */
function alertLatencyLine(l: DemoSummary['latencyMs']): string {
  const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} ms`);
  const whole = `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}`;
  const b = l.beforeKill;
  return b === undefined
    ? `  latency        receipt → alert written: ${whole}`
    : `  latency        receipt → alert written before the detector was killed (${b.applications} alerts): p50 ${ms(b.p50)}, p99 ${ms(b.p99)}; whole run, with the kill and restart: ${whole}`;
}
