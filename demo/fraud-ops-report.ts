/** The fraud-operations part of the demo's terminal summary and HTML report. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type FraudOpsSummary, fmtPct, REFUSE_FIRST_SHARE } from './fraud-ops.ts';
import { barChart, esc, num, table } from './report-parts.ts';

const STATUS_TEXT: Readonly<Record<string, string>> = {
  open: 'open',
  investigating: 'investigating',
  confirmed_fraud: 'confirmed fraud',
  legitimate: 'legitimate',
  inconclusive: 'inconclusive',
};

const resolvedCount = (f: FraudOpsSummary): number =>
  f.team.resolved.confirmed_fraud + f.team.resolved.legitimate + f.team.resolved.inconclusive;

export function fraudOpsText(f: FraudOpsSummary): string[] {
  const d = f.delivery;
  const r = f.receiver;
  const pad = '                 ';
  return [
    `  webhook        ${d.liveAlerts} live alerts → ${d.delivered} delivered to ${f.webhook.endpoint} (${d.retried} retried, ${d.deadLettered} dead-lettered, ${d.pending} pending; detection → delivered p50 ${num(d.latencyMs.p50)} ms, p99 ${num(d.latencyMs.p99)} ms)`,
    `${pad}receiver: ${r.accepted} idempotency keys processed, ${r.duplicates} duplicates, ${r.signatureFailures} signature failures, ${r.refusedOnPurpose} first attempts refused on purpose, ${r.requests} requests`,
    `  cases          ${f.cases.opened} opened for ${f.cases.applicationsWithLiveAlerts} applications with live alerts: ${f.cases.byStatus.map((s) => `${STATUS_TEXT[s.label] ?? s.label} ${s.count}`).join(', ')}`,
    `${pad}${resolvedCount(f)} resolved through the API by ${f.team.analyst} (assigned by ${f.team.lead}; ${f.team.notes} notes), ${f.team.investigating} under investigation; ${f.team.requests} requests in ${f.team.seconds.toFixed(1)} s`,
    '  rule precision from verdicts / labels of the same alerts / labels of all it flagged',
    ...f.precision.map(
      (p) =>
        `${pad}${p.ruleId.padEnd(28)} ${fmtPct(p.precision).padStart(6)} / ${fmtPct(p.expectedFromLabels).padStart(6)} / ${fmtPct(p.labelPrecision).padStart(6)}  (${p.resolved} of ${p.alerts} alerts resolved${p.mode === 'shadow' ? ', shadow: no cases' : ''})`,
    ),
    `  loop cost      ${f.seconds.total.toFixed(1)} s beside the scoring job (waiting for cases and deliveries ${f.seconds.waitingForCasesAndDeliveries.toFixed(1)} s, analysts ${f.seconds.working.toFixed(1)} s, screenshots ${f.seconds.screenshots.toFixed(1)} s)`,
  ];
}

function embedPng(path: string, alt: string): string {
  try {
    const data = readFileSync(path).toString('base64');
    return `<figure><img src="data:image/png;base64,${data}" alt="${esc(alt)}" style="max-width:100%;border:1px solid #ccc"><figcaption>${esc(alt)} (${esc(basename(path))})</figcaption></figure>`;
  } catch {
    return `<p class="bad">Screenshot ${esc(path)} is missing.</p>`;
  }
}

export function fraudOpsHtml(f: FraudOpsSummary): string {
  const d = f.delivery;
  const r = f.receiver;
  const plan = f.team.plan;
  return `<h2>Fraud operations: alerts reach people, verdicts measure the rules</h2>
<style>.fraud-ops td:first-child{white-space:nowrap}</style>
<p>The pipeline ran with <code>spec.cases.enabled</code> and a webhook <code>${esc(f.webhook.endpoint)}</code> to a receiver the demo started on the node address
(<code>${esc(f.webhook.url)}</code>), which verified every request's HMAC-SHA-256 signature with the key from Secret <code>${esc(f.webhook.secret)}</code>
and deduplicated on the Idempotency-Key. It refused the first attempt of ${(100 * REFUSE_FIRST_SHARE).toFixed(0)}% of the alerts (503) to show the retries.</p>
<div class="grid">
<div class="kpi">Live alerts<b>${d.liveAlerts}</b></div>
<div class="kpi">Delivered<b>${d.delivered}</b></div>
<div class="kpi">Retried<b>${d.retried}</b></div>
<div class="kpi">Dead-lettered<b>${d.deadLettered}</b></div>
<div class="kpi">Duplicates at the receiver<b>${r.duplicates}</b></div>
<div class="kpi">Signature failures<b class="${r.signatureFailures === 0 ? 'ok' : 'bad'}">${r.signatureFailures}</b></div>
<div class="kpi">Detection → delivered p50 / p99<b>${num(d.latencyMs.p50)} / ${num(d.latencyMs.p99)} ms</b></div>
</div>
${table(
  ['delivery', 'count'],
  [
    ['outbox rows (one per live alert)', d.enqueued],
    ['delivered', d.delivered],
    ['needed more than one attempt', d.retried],
    ['attempts in all', d.attempts],
    ['dead-lettered', d.deadLettered],
    ['still pending', d.pending],
    ['receiver: requests', r.requests],
    ['receiver: idempotency keys processed', r.accepted],
    ['receiver: first attempts refused on purpose (503)', r.refusedOnPurpose],
    ['receiver: duplicates (key already processed)', r.duplicates],
    ['receiver: signature failures', r.signatureFailures],
    ['receiver: live alerts never received', r.missing],
  ],
)}
<h3>The case queue</h3>
<p>One case per application with live alerts: ${f.cases.opened} cases for ${f.cases.applicationsWithLiveAlerts} applications.
A lead (<code>${esc(f.team.lead)}</code>, bound to the chart's case-lead role) assigned ${Math.round(plan.resolveShare * 100)}% of them, chosen by a hash of the seed and the application id,
to an analyst (<code>${esc(f.team.analyst)}</code>, case-analyst), who resolved each through the cases API with the verdict the generator's label implies
(${Math.round(plan.inconclusiveShare * 100)}% of them inconclusive, with a note saying why; ${Math.round(plan.noteShare * 100)}% of the others with a note too); ${f.team.investigating} more are under investigation. Both used Kubernetes tokens (TokenRequest);
the API checked each action with a SubjectAccessReview (no token: ${f.team.refusals.noToken}; the analyst reassigning a case: ${f.team.refusals.analystReassigns}).
${f.team.requests} API requests in ${f.team.seconds.toFixed(1)} s.</p>
${barChart(
  'Cases by status',
  f.cases.byStatus.map((s) => ({ label: STATUS_TEXT[s.label] ?? s.label, count: s.count })),
  '#805ad5',
)}
<h3>Per-rule precision: verdicts beside labels</h3>
<p>From verdicts: confirmed fraud / resolved alerts of the rule (the warehouse view <code>rpt_rule_precision</code> through the API; inconclusive counts as resolved, not as fraud).
Beside it, the same ratio from the generator's labels of the same resolved alerts (they agree when every verdict reached the warehouse as given), and the rule's precision from the labels of everything it flagged.</p>
<div class="fraud-ops">${table(
    [
      'rule',
      'mode',
      'alerts',
      'resolved',
      'confirmed fraud',
      'legitimate',
      'inconclusive',
      'precision from verdicts',
      'labels, same alerts',
      'labels, all flagged',
    ],
    f.precision.map((p) => [
      p.ruleId,
      p.mode ?? '',
      p.alerts,
      p.resolved,
      p.confirmedFraud,
      p.legitimate,
      p.inconclusive,
      fmtPct(p.precision),
      fmtPct(p.expectedFromLabels),
      fmtPct(p.labelPrecision),
    ]),
  )}</div>
<h3>The analysts' page</h3>
${
  f.screenshots === null
    ? '<p class="bad">No screenshots (see the checks).</p>'
    : `${embedPng(f.screenshots.queue, 'The unresolved queue, signed in as the analyst (headless Chromium)')}
${embedPng(f.screenshots.rules, 'Rules: precision from verdicts')}`
}
<p class="sub">What the loop cost: ${f.seconds.total.toFixed(1)} s, run beside the scoring job (waiting for cases and deliveries ${f.seconds.waitingForCasesAndDeliveries.toFixed(1)} s, the analysts' requests ${f.seconds.working.toFixed(1)} s, screenshots ${f.seconds.screenshots.toFixed(1)} s).</p>
`;
}
