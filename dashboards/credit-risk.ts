/**
 * Credit risk and lending: what was applied for, how it was decided, and whether the scorecard
 * still fits the population. SQL panels on the warehouse's reporting views (`rpt_*`), for the
 * risk and lending teams.
 */
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { barChart, pieChart, table, timeSeries } from './panels.ts';
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
        description: 'Applications received per day (UTC), from rpt_applications_daily.',
        queries: [
          sqlTimeSeries(
            `SELECT day AS "time", applications AS "applications"
FROM rpt_applications_daily
WHERE $__timeFilter(day)
ORDER BY 1`,
          ),
        ],
        width: 12,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Decision mix per day',
        description: 'Approve, refer and decline decisions per day, from rpt_decision_mix_daily.',
        queries: [
          sqlTimeSeries(
            `SELECT day AS "time", decision AS "metric", decisions AS "value"
FROM rpt_decision_mix_daily
WHERE $__timeFilter(day)
ORDER BY 1, 2`,
          ),
        ],
        width: 12,
        stacked: true,
      }),
    )

    .withRow(new RowBuilder('Scores and grades'))
    .withPanel(
      barChart({
        title: 'Score distribution',
        description: 'Scored applications per score band of the champion model, from rpt_score_distribution.',
        queries: [
          sqlTable(
            `SELECT score_band, applications
FROM rpt_score_distribution
ORDER BY score_band`,
          ),
        ],
        xField: 'score_band',
        width: 12,
      }),
    )
    .withPanel(
      pieChart({
        title: 'Grade distribution',
        description: 'Scored applications per risk grade, from rpt_grade_distribution.',
        queries: [
          sqlTable(
            `SELECT grade, applications
FROM rpt_grade_distribution
ORDER BY grade`,
          ),
        ],
        width: 12,
      }),
    )

    .withRow(new RowBuilder('Reasons and exposure'))
    .withPanel(
      table({
        title: 'Top adverse-action reasons',
        description:
          'The reasons most often given to declined or referred applicants, from rpt_adverse_action_reasons.',
        queries: [
          sqlTable(
            `SELECT reason_code, description, occurrences
FROM rpt_adverse_action_reasons
ORDER BY occurrences DESC
LIMIT 10`,
          ),
        ],
        width: 12,
      }),
    )
    .withPanel(
      barChart({
        title: 'Exposure by grade and purpose',
        description:
          'Requested amount of approved applications by grade, stacked by loan purpose, from rpt_exposure.',
        queries: [
          sqlTable(
            `SELECT grade, purpose, exposure
FROM rpt_exposure
ORDER BY grade, purpose`,
          ),
        ],
        xField: 'grade',
        unit: 'currencyEUR',
        width: 12,
        stacked: true,
      }),
    )

    .withRow(new RowBuilder('Model monitoring'))
    .withPanel(
      timeSeries({
        title: 'PSI drift per scoring run',
        description:
          'Population stability index of each scoring run against the model baseline; above 0.25 is a shift.',
        queries: [
          sqlTimeSeries(
            `SELECT finished_at AS "time", model_version AS "metric", psi AS "value"
FROM rpt_psi_by_run
WHERE $__timeFilter(finished_at)
ORDER BY 1`,
          ),
        ],
        width: 12,
      }),
    )
    .withPanel(
      table({
        title: 'Champion vs challenger',
        description:
          'Decision and score comparison of the champion and challenger models, from rpt_champion_challenger.',
        queries: [
          sqlTable(
            `SELECT *
FROM rpt_champion_challenger`,
          ),
        ],
        width: 12,
      }),
    );
}
