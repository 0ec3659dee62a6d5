-- 0002 reporting views: the stable BI contract (Grafana SQL panels, Power BI).
-- Columns may be added in later migrations; existing columns keep their names, types and meaning.
--
--   v_current_decision            latest champion decision per application (helper for the views below)
--   rpt_daily_applications        day, applications, decided, approved, referred, declined,
--                                 approval_rate (approved / decided), requested_amount, approved_amount
--   rpt_grade_mix                 day, model_key, role, grade, applications, share (within day and model)
--   rpt_fraud_alerts_by_rule      day, rule_id, rule_version, mode, severity, alerts, applications
--   rpt_exposure_by_grade_purpose grade, purpose, applications, approved, approved_exposure,
--                                 avg_pd, expected_loss (Σ approved amount × PD)  [current champion decision]
--   rpt_score_drift               run_id, model_key, role, partitions, partitions_succeeded, started_at,
--                                 finished_at, applications_scored, mean_psi_partitions,
--                                 psi (whole run, from the summed score histograms vs the model baseline)
--   rpt_reason_codes              day, decision, reason_code, reason_text, rank (1-4), applications
--   rpt_champion_challenger       day, champion_model, challenger_model, applications, champion_mean_score,
--                                 challenger_mean_score, mean_score_delta, grade_agreement_rate,
--                                 champion_approve_rate, challenger_approve_rate (by the challenger's cutoffs)
--
-- "day" is the application's submission date (dim_date.date) in UTC.

CREATE VIEW v_current_decision AS
SELECT DISTINCT ON (d.application_id)
       d.application_id, d.model_key, d.decision, d.score_decision, d.policy_rules, d.reason_codes,
       d.fraud_severity, d.approved_amount, d.run_id, d.decided_at
FROM fact_decision d
ORDER BY d.application_id, d.decided_at DESC, d.model_key DESC;

CREATE VIEW rpt_daily_applications AS
SELECT dd.date AS day,
       count(*)::bigint AS applications,
       count(cd.decision)::bigint AS decided,
       count(*) FILTER (WHERE cd.decision = 'approve')::bigint AS approved,
       count(*) FILTER (WHERE cd.decision = 'refer')::bigint AS referred,
       count(*) FILTER (WHERE cd.decision = 'decline')::bigint AS declined,
       (count(*) FILTER (WHERE cd.decision = 'approve'))::double precision
         / nullif(count(cd.decision), 0) AS approval_rate,
       sum(a.loan_amount) AS requested_amount,
       coalesce(sum(cd.approved_amount), 0) AS approved_amount
FROM fact_application a
JOIN dim_date dd ON dd.date_key = a.date_key
LEFT JOIN v_current_decision cd ON cd.application_id = a.application_id
GROUP BY dd.date;

CREATE VIEW rpt_grade_mix AS
SELECT dd.date AS day, s.model_key, s.role, s.grade,
       count(*)::bigint AS applications,
       count(*)::double precision / sum(count(*)) OVER (PARTITION BY dd.date, s.model_key) AS share
FROM fact_credit_score s
JOIN fact_application a ON a.application_id = s.application_id
JOIN dim_date dd ON dd.date_key = a.date_key
GROUP BY dd.date, s.model_key, s.role, s.grade;

CREATE VIEW rpt_fraud_alerts_by_rule AS
SELECT dd.date AS day, f.rule_id, f.rule_version, f.mode, f.severity,
       count(*)::bigint AS alerts,
       count(DISTINCT f.application_id)::bigint AS applications
FROM fact_fraud_alert f
JOIN dim_date dd ON dd.date_key = f.date_key
GROUP BY dd.date, f.rule_id, f.rule_version, f.mode, f.severity;

CREATE VIEW rpt_exposure_by_grade_purpose AS
SELECT s.grade, a.purpose,
       count(*)::bigint AS applications,
       count(*) FILTER (WHERE cd.decision = 'approve')::bigint AS approved,
       sum(cd.approved_amount) AS approved_exposure,
       avg(s.pd) AS avg_pd,
       sum(cd.approved_amount * s.pd::numeric) AS expected_loss
FROM v_current_decision cd
JOIN fact_credit_score s ON s.application_id = cd.application_id AND s.model_key = cd.model_key
JOIN fact_application a ON a.application_id = cd.application_id
GROUP BY s.grade, a.purpose;

CREATE VIEW rpt_score_drift AS
WITH runs AS (
  SELECT run_id, model_key, min(role) AS role, count(*)::bigint AS partitions,
         count(*) FILTER (WHERE status = 'succeeded')::bigint AS partitions_succeeded,
         min(started_at) AS started_at, max(finished_at) AS finished_at,
         sum(scores_written)::bigint AS applications_scored,
         avg(psi) AS mean_psi_partitions
  FROM scoring_run
  GROUP BY run_id, model_key
), buckets AS (
  SELECT r.run_id, r.model_key, h.i, sum(h.c)::double precision AS c
  FROM scoring_run r
  CROSS JOIN LATERAL unnest(r.score_histogram) WITH ORDINALITY AS h(c, i)
  WHERE r.status = 'succeeded'
  GROUP BY r.run_id, r.model_key, h.i
), totals AS (
  SELECT run_id, model_key, sum(c) AS n FROM buckets GROUP BY run_id, model_key
), psi AS (
  SELECT b.run_id, b.model_key,
         sum((greatest(b.c / t.n, 1e-4) - greatest(m.baseline_proportions[b.i], 1e-4))
             * ln(greatest(b.c / t.n, 1e-4) / greatest(m.baseline_proportions[b.i], 1e-4))) AS psi
  FROM buckets b
  JOIN totals t ON t.run_id = b.run_id AND t.model_key = b.model_key AND t.n > 0
  JOIN dim_model m ON m.model_key = b.model_key
  GROUP BY b.run_id, b.model_key
)
SELECT r.run_id, r.model_key, r.role, r.partitions, r.partitions_succeeded, r.started_at, r.finished_at,
       r.applications_scored, r.mean_psi_partitions, p.psi
FROM runs r
LEFT JOIN psi p ON p.run_id = r.run_id AND p.model_key = r.model_key;

CREATE VIEW rpt_reason_codes AS
SELECT dd.date AS day, cd.decision, rc.code AS reason_code, coalesce(drc.text, rc.code) AS reason_text,
       rc.rank::integer AS rank, count(*)::bigint AS applications
FROM v_current_decision cd
CROSS JOIN LATERAL unnest(cd.reason_codes) WITH ORDINALITY AS rc(code, rank)
JOIN fact_application a ON a.application_id = cd.application_id
JOIN dim_date dd ON dd.date_key = a.date_key
LEFT JOIN dim_reason_code drc ON drc.code = rc.code
GROUP BY dd.date, cd.decision, rc.code, drc.text, rc.rank;

CREATE VIEW rpt_champion_challenger AS
SELECT dd.date AS day, c.model_key AS champion_model, ch.model_key AS challenger_model,
       count(*)::bigint AS applications,
       avg(c.score) AS champion_mean_score,
       avg(ch.score) AS challenger_mean_score,
       avg(ch.score - c.score) AS mean_score_delta,
       avg(CASE WHEN c.grade = ch.grade THEN 1.0 ELSE 0.0 END)::double precision AS grade_agreement_rate,
       avg(CASE WHEN c.score >= (mc.definition -> 'policy' ->> 'approveMinScore')::integer THEN 1.0 ELSE 0.0 END)
         ::double precision AS champion_approve_rate,
       avg(CASE WHEN ch.score >= (mh.definition -> 'policy' ->> 'approveMinScore')::integer THEN 1.0 ELSE 0.0 END)
         ::double precision AS challenger_approve_rate
FROM fact_credit_score c
JOIN fact_credit_score ch ON ch.application_id = c.application_id AND ch.role = 'challenger'
JOIN dim_model mc ON mc.model_key = c.model_key
JOIN dim_model mh ON mh.model_key = ch.model_key
JOIN fact_application a ON a.application_id = c.application_id
JOIN dim_date dd ON dd.date_key = a.date_key
WHERE c.role = 'champion'
GROUP BY dd.date, c.model_key, ch.model_key;
