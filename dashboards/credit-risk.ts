/**
 * Credit risk and lending: what was applied for, how it was decided, and whether the scorecard
 * still fits the population. SQL panels on the warehouse's reporting views (`rpt_*`), for the
 * risk and lending teams.
 */
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { alertDefaults } from '../api/alert-thresholds.ts';
import { barChart, table, timeSeries } from './panels.ts';
import { datasourceVariable, POSTGRES_PLUGIN, sqlTable, sqlTimeSeries } from './queries.ts';

export const CREDIT_RISK_UID = 'credit-risk-lending';

export function creditRiskDashboard(): DashboardBuilder {
  return new DashboardBuilder('Credit platform / Credit risk and lending')
    .uid(CREDIT_RISK_UID)
    .description(
      'Applications, decisions, scores and grades, adverse-action reasons, exposure and model drift.',
    )
    .tags(['credit-platform', 'risk', 'lending'])
    .time({ from: 'now-30d', to: 'now' })
    .refresh('5m')
    .timezone('utc')
    .readonly()
    .withVariable(datasourceVariable(POSTGRES_PLUGIN, 'Warehouse'))

    .withRow(new RowBuilder('Applications and decisions'))
    .withPanel(
      timeSeries({
        title: 'Applications per day',
        description:
          'Applications submitted per day (UTC) and how many have a decision, from rpt_daily_applications.',
        queries: [
          sqlTimeSeries(
            `SELECT day::timestamp AS "time", applications, decided
FROM rpt_daily_applications
WHERE $__timeFilter(day)
ORDER BY 1`,
          ),
        ],
        width: 12,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Approve / refer / decline mix per day',
        description: 'Champion decisions per day by outcome, from rpt_daily_applications.',
        queries: [
          sqlTimeSeries(
            `SELECT day::timestamp AS "time", approved, referred, declined
FROM rpt_daily_applications
WHERE $__timeFilter(day)
ORDER BY 1`,
          ),
        ],
        width: 12,
        stacked: true,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Decision records per day',
        description:
          'Decision records written per day (UTC, by issue time), from rpt_decision_records: first decisions issued by the decision service (stream) or the scoring CronJob (batch), and superseding records (backfills, new champions). Issued decisions are never rewritten; a superseding record names the one it replaces and why.',
        queries: [
          sqlTimeSeries(
            `SELECT day::timestamp AS "time",
       coalesce(sum(records) FILTER (WHERE supersede_reason IS NULL AND source = 'stream'), 0) AS issued_stream,
       coalesce(sum(records) FILTER (WHERE supersede_reason IS NULL AND source <> 'stream'), 0) AS issued_batch,
       coalesce(sum(records) FILTER (WHERE supersede_reason IS NOT NULL), 0) AS superseding
FROM rpt_decision_records
WHERE $__timeFilter(day)
GROUP BY day
ORDER BY 1`,
          ),
        ],
        width: 24,
        stacked: true,
      }),
    )

    .withRow(new RowBuilder('Scores and grades'))
    .withPanel(
      barChart({
        title: 'Score distribution (champion)',
        description:
          'Applications per 50-point score band of the champion model, from fact_credit_score (the views carry grades, not scores).',
        queries: [
          sqlTable(
            `SELECT (floor(s.score / 50) * 50)::int || '–' || (floor(s.score / 50) * 50 + 49)::int AS score_band,
       count(*) AS applications
FROM fact_credit_score s
WHERE s.role = 'champion' AND $__timeFilter(s.scored_at)
GROUP BY floor(s.score / 50)
ORDER BY floor(s.score / 50)`,
          ),
        ],
        xField: 'score_band',
        width: 12,
      }),
    )
    .withPanel(
      barChart({
        title: 'Grade distribution by model',
        description:
          'Scored applications per risk grade, champion and challenger side by side, from rpt_grade_mix.',
        queries: [
          sqlTable(
            `SELECT grade,
       sum(applications) FILTER (WHERE role = 'champion') AS champion,
       sum(applications) FILTER (WHERE role = 'challenger') AS challenger
FROM rpt_grade_mix
WHERE $__timeFilter(day)
GROUP BY grade
ORDER BY grade`,
          ),
        ],
        xField: 'grade',
        width: 12,
      }),
    )

    .withRow(new RowBuilder('Reasons and exposure'))
    .withPanel(
      table({
        title: 'Top adverse-action reasons',
        description:
          'The reasons most often given to declined or referred applicants (any rank), from rpt_reason_codes.',
        queries: [
          sqlTable(
            `SELECT reason_code, reason_text, sum(applications) AS applications
FROM rpt_reason_codes
WHERE decision IN ('decline', 'refer') AND $__timeFilter(day)
GROUP BY reason_code, reason_text
ORDER BY applications DESC, reason_code
LIMIT 10`,
          ),
        ],
        width: 12,
      }),
    )
    .withPanel(
      barChart({
        title: 'Approved exposure by grade',
        description:
          'Approved amount and expected loss (amount × PD) per grade, from rpt_exposure_by_grade_purpose.',
        queries: [
          sqlTable(
            `SELECT grade, sum(approved_exposure) AS approved_exposure, sum(expected_loss) AS expected_loss
FROM rpt_exposure_by_grade_purpose
GROUP BY grade
ORDER BY grade`,
          ),
        ],
        xField: 'grade',
        unit: 'currencyEUR',
        width: 12,
      }),
    )
    .withPanel(
      table({
        title: 'Exposure by grade and purpose',
        description:
          'Applications, approvals, approved exposure, mean PD and expected loss per grade and loan purpose.',
        queries: [
          sqlTable(
            `SELECT grade, purpose, applications, approved, approved_exposure, avg_pd, expected_loss
FROM rpt_exposure_by_grade_purpose
ORDER BY grade, purpose`,
          ),
        ],
        width: 24,
      }),
    )

    .withRow(new RowBuilder('Model monitoring'))
    .withPanel(
      timeSeries({
        title: 'PSI drift per scoring run',
        description:
          'Population stability index of each scoring run against the model baseline, per model; above 0.25 the population has shifted.',
        queries: [
          sqlTimeSeries(
            `SELECT finished_at AS "time", model_key AS "metric", psi AS "value"
FROM rpt_score_drift
WHERE finished_at IS NOT NULL AND psi IS NOT NULL AND $__timeFilter(finished_at)
ORDER BY 1`,
          ),
        ],
        width: 12,
        threshold: alertDefaults.psiThreshold,
      }),
    )
    .withPanel(
      table({
        title: 'Champion vs challenger',
        description:
          'Mean scores, grade agreement and approve rates of the champion and each challenger on the same applications, from rpt_champion_challenger.',
        queries: [
          sqlTable(
            `SELECT champion_model, challenger_model, sum(applications) AS applications,
       sum(champion_mean_score * applications) / sum(applications) AS champion_mean_score,
       sum(challenger_mean_score * applications) / sum(applications) AS challenger_mean_score,
       sum(grade_agreement_rate * applications) / sum(applications) AS grade_agreement_rate,
       sum(champion_approve_rate * applications) / sum(applications) AS champion_approve_rate,
       sum(challenger_approve_rate * applications) / sum(applications) AS challenger_approve_rate
FROM rpt_champion_challenger
WHERE $__timeFilter(day)
GROUP BY champion_model, challenger_model
ORDER BY champion_model, challenger_model`,
          ),
        ],
        width: 12,
      }),
    )

    .withRow(new RowBuilder('Fraud rule quality (analysts’ verdicts)'))
    .withPanel(
      table({
        title: 'Rule precision from verdicts',
        description:
          'Per fraud rule and version: live alerts, cases, alerts resolved by analysts, and precision = confirmed fraud / resolved, from rpt_rule_precision (empty precision: no verdict yet). FraudRulePrecisionLow fires below the pipeline’s floor.',
        queries: [
          sqlTable(
            `SELECT rule_id, rule_version, alerts, cases, resolved, confirmed_fraud, legitimate, inconclusive,
       precision
FROM rpt_rule_precision
ORDER BY rule_id, rule_version`,
          ),
        ],
        width: 12,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Alerts and verdicts per day',
        description:
          'Live alerts that reached the case queue per day (UTC) and how many of them analysts resolved or confirmed as fraud, from rpt_case_volume.',
        queries: [
          sqlTimeSeries(
            `SELECT day::timestamp AS "time", sum(alerts) AS alerts, sum(resolved) AS resolved,
       sum(confirmed_fraud) AS confirmed_fraud
FROM rpt_case_volume
WHERE $__timeFilter(day)
GROUP BY day
ORDER BY 1`,
          ),
        ],
        width: 12,
      }),
    );
}
