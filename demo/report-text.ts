/** The demo's terminal summary. */
import { fraudOpsText } from './fraud-ops-report.ts';
import { type DemoSummary, psiReading } from './summary.ts';

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
    `  risk grades    ${s.grades.map((g) => `${g.label} ${g.count}`).join(', ')}`,
    `  scores         ${s.scoreHistogram.map((b) => `${b.label}: ${b.count}`).join(', ')}`,
    `  scoring run    ${s.scoring.status}, ${s.scoring.scored} scored, ${psiReading(s.scoring.psi)}`,
    `  latency        receipt → alert written: p50 ${s.latencyMs.p50?.toFixed(0) ?? 'n/a'} ms, p99 ${s.latencyMs.p99?.toFixed(0) ?? 'n/a'} ms`,
    `  dead letters   ${s.deadLetters.count}${s.deadLetters.reasons.length ? ` (${s.deadLetters.reasons.map((r) => `${r.label}: ${r.count}`).join(', ')})` : ''}`,
    ...(s.fraudOps === undefined ? [] : fraudOpsText(s.fraudOps)),
    '  checks',
    ...s.checks.map((c) => `    ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    `Report: ${reportPath}`,
  ];
  return lines.join('\n');
}
