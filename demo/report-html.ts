/**
 * A self-contained HTML report of a demo run: no scripts, no external assets; the charts are
 * inline SVG, so the file opens offline in any browser.
 */
import { fraudOpsHtml } from './fraud-ops-report.ts';
import { barChart, esc, num, pct, table } from './report-parts.ts';
import { conditionsLine, type DemoSummary, psiReading } from './summary.ts';
import { validationTables } from './validation-report.ts';

export { barChart };

export function renderReport(s: DemoSummary): string {
  const ok = s.checks.every((c) => c.ok);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Credit platform demo report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2rem}figure{margin:1rem 0}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f3f5f8}.ok{color:#1a7f37}.bad{color:#b42318}.grid{display:flex;flex-wrap:wrap;gap:1rem}
.kpi{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:150px}.kpi b{display:block;font-size:1.4rem}.kpi small{display:block;color:#555;max-width:16rem}
</style></head><body>
<h1>Credit platform: demo run</h1>
<p class="sub">Pipeline <code>${esc(s.pipeline.namespace)}/${esc(s.pipeline.name)}</code>, started ${esc(s.startedAt)}, took ${s.durationSeconds.toFixed(0)} s.
Result: <b class="${ok ? 'ok' : 'bad'}">${ok ? 'the pipeline worked' : 'some checks failed'}</b></p>
<div class="grid">
<div class="kpi">Applications generated<b>${s.applications.generated}</b></div>
<div class="kpi">Accepted by the API<b>${s.applications.accepted}</b></div>
<div class="kpi">In the warehouse<b>${s.applications.inWarehouse}</b></div>
<div class="kpi">Fraud alerts<b>${s.alerts.total}</b></div>
<div class="kpi">Dead letters<b>${s.deadLetters.count}</b></div>
${latencyKpi('Alert latency', s.latencyMs, s.latencyMs.beforeKill)}
${
  s.streamDecisions === undefined
    ? ''
    : `<div class="kpi">Stream decisions per second<b>${num(s.streamDecisions.perSecond)}</b></div>
${latencyKpi('Decision latency', s.streamDecisions.latencyMs, s.streamDecisions.beforeKill)}`
}
</div>
${s.conditions === undefined ? '' : `<p class="sub">${esc(conditionsLine(s.conditions))}</p>`}
<h2>Checks</h2>
${table(
  ['check', 'result', 'detail'],
  s.checks.map((c) => [c.name, c.ok ? 'pass' : 'FAIL', c.detail]),
)}
<h2>Fraud detection against the generator's labels</h2>
<p>Overall: precision ${pct(s.quality.overall.precision)}, recall ${pct(s.quality.overall.recall)}
(${s.quality.overall.fraudulent} labelled fraudulent of ${s.quality.overall.applications}; ${s.quality.overall.flagged} flagged by live rules).
Per scenario, recall is the share of its applications flagged; precision counts flags on that scenario against flags on legitimate traffic.</p>
${table(
  ['scenario', 'applications', 'flagged', 'recall', 'precision'],
  s.quality.scenarios.map((q) => [q.scenario, q.applications, q.flagged, pct(q.recall), pct(q.precision)]),
)}
${barChart(
  'Alerts by rule',
  s.alerts.byRule.map((r) => ({
    label: `${r.ruleId} (${r.severity}${r.mode === 'shadow' ? ', shadow' : ''})`,
    count: r.count,
  })),
  '#b54a3c',
)}
${table(
  ['rule', 'mode', 'applications flagged', 'precision', 'mostly catches'],
  s.quality.rules.map((r) => [r.ruleId, r.mode, r.flagged, pct(r.precision), r.mainScenario]),
)}
<h2>Risk scoring and decisions</h2>
<p>Scoring run: ${esc(s.scoring.status)}, ${s.scoring.scored} applications scored in ${num(s.scoring.durationSeconds, 1)} s; against the model's baseline: ${esc(psiReading(s.scoring.psi))}.</p>
<div class="grid">
${barChart('Decisions', s.decisions, '#2f855a')}
${barChart('Risk grades', s.grades, '#6b46c1')}
</div>
${barChart('Score distribution', s.scoreHistogram, '#3b6ea5')}
${barChart('Top adverse-action reasons', s.topReasons, '#c05621')}
${s.fraudOps === undefined ? '' : fraudOpsHtml(s.fraudOps)}
${
  s.validation
    ? `<h2>Model validation on loan outcomes</h2>\n${validationTables(s.validation)
        .map((t) => `<h3>${esc(t.title)}</h3><p>${esc(t.note)}</p>${table(t.headers, t.rows)}`)
        .join('\n')}`
    : ''
}
<h2>Dead-letter topic</h2>
${s.deadLetters.count === 0 ? '<p>Nothing went to the dead-letter topic.</p>' : barChart('Dead letters by reason', s.deadLetters.reasons, '#718096')}
<h2>Operator conditions</h2>
${table(
  ['type', 'status', 'reason', 'message'],
  s.pipeline.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
)}
<p class="sub">Latency source: ${esc(s.latencyMs.source)}.</p>
</body></html>
`;
}

/**
 * Receipt → written, p50 / p99: for what was received before the demo killed a detector process when it
 * did (the steady state), with the whole run (kill, restart and catch-up included) beneath.
 */
export function latencyKpi(
  title: string,
  whole: { p50: number | null; p99: number | null },
  beforeKill: { p50: number | null; p99: number | null } | undefined,
): string {
  if (beforeKill === undefined)
    return `<div class="kpi">${title} p50 / p99<b>${num(whole.p50)} / ${num(whole.p99)} ms</b></div>`;
  return `<div class="kpi">${title} p50 / p99, before the detector was killed<b>${num(beforeKill.p50)} / ${num(beforeKill.p99)} ms</b><small>whole run, kill and restart included: ${num(whole.p50)} / ${num(whole.p99)} ms</small></div>`;
}
