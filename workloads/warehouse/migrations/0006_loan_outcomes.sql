-- 0006 loan outcomes and outcome-based model validation.
--
-- fact_loan_outcome: loan performance, loaded from a lender's CSV by `credit-platform load-outcomes`
-- (workloads/outcomes). One row per (application_id, horizon_months): outcome 'defaulted' (a default
-- event within horizon_months of the application) or 'repaid' (none within the horizon: repaid or
-- still performing), the day it was observed, the file it came from and when it was loaded. A reload
-- of the same file changes nothing; a corrected outcome replaces the earlier one for its key.
--
-- Validation views, per scorecard model (model_key) and horizon, on the applications that have both a
-- score from the model and an outcome at that horizon. "Bad" = defaulted. A higher score is a lower risk.
-- "role" is the role the model had when it last scored (champion or challenger).
--
--   v_latest_score                    helper: application × model: the latest score (role: the model's in it)
--   v_model_role                      helper: model_key, role (in the model's latest score)
--   v_scored_outcome                  helper: application × model × horizon: role, score, grade, pd, defaulted
--   rpt_model_performance             model_key, role, horizon_months, applications, defaults, bad_rate, mean_pd,
--                                     auc (P(a repaid loan outscores a defaulted one), ties count ½),
--                                     gini (2·auc − 1), ks (max over score cutoffs of |F_bad − F_good|),
--                                     ks_score (the cutoff where ks is reached: scores ≤ it)
--   rpt_bad_rate_by_grade             model_key, role, horizon_months, grade, applications, defaults, bad_rate,
--                                     mean_pd (predicted, to compare with bad_rate), min_score, max_score,
--                                     share (of the model's applications with outcomes at the horizon)
--   rpt_champion_challenger_outcomes  champion_model, challenger_model, horizon_months, applications (scored
--                                     by both, in those roles, with an outcome), defaults, bad_rate, champion_auc,
--                                     challenger_auc, champion_gini, challenger_gini, gini_delta
--                                     (challenger − champion), champion_ks, challenger_ks,
--                                     champion_approve_rate, challenger_approve_rate (score ≥ the model's
--                                     approveMinScore), champion_approved_bad_rate, challenger_approved_bad_rate
--   rpt_characteristic_bins           model_key, role, horizon_months, characteristic, characteristic_label, bin
--                                     (index in the model's bins), bin_label ('[min, max)' or 'missing'),
--                                     reference_applications, recent_applications, reference_share,
--                                     recent_share, psi_contribution, reference_defaults, reference_bad_rate
--   rpt_characteristic_stability      model_key, role, horizon_months, characteristic, characteristic_label,
--                                     bins, reference_applications, recent_applications,
--                                     psi (Σ psi_contribution of its bins)
--
-- Characteristic stability compares, for every characteristic of the model, the distribution of its
-- bins in the reference sample (applications with an outcome at the horizon: the sample the figures
-- above were measured on) with the recent sample (applications the model scored that have no outcome
-- at the horizon yet: the population it decides now). PSI = Σ (recent − reference) · ln(recent /
-- reference) over the bins, shares floored at 1e-4 as in the scorer's score PSI
-- (workloads/risk-scorer/scorecard/psi.ts); < 0.1 stable, 0.1–0.25 some shift, > 0.25 a shift: the
-- validation figures describe a different population than the one being scored.

CREATE TABLE fact_loan_outcome (
  application_id  uuid NOT NULL REFERENCES fact_application,
  horizon_months  smallint NOT NULL CHECK (horizon_months BETWEEN 1 AND 120),
  outcome         text NOT NULL CHECK (outcome IN ('defaulted', 'repaid')),
  observed_date   date NOT NULL,
  source_file     text NOT NULL,                 -- base name of the CSV it was loaded from
  loaded_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (application_id, horizon_months)
);
CREATE INDEX fact_loan_outcome_horizon_idx ON fact_loan_outcome (horizon_months, outcome);

-- AUC and KS of one sample of scores with their outcomes (parallel arrays). No row for an empty sample;
-- auc and ks are NULL when the sample has only defaults or only repaid loans.
CREATE FUNCTION outcome_discrimination(scores integer[], defaulted boolean[])
RETURNS TABLE (applications bigint, defaults bigint, auc double precision, ks double precision, ks_score integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH per_score AS (
    SELECT u.score,
           count(*) FILTER (WHERE u.bad)::numeric AS bads,
           count(*) FILTER (WHERE NOT u.bad)::numeric AS goods
    FROM unnest(scores, defaulted) AS u(score, bad)
    GROUP BY u.score
  ), cumulative AS (
    SELECT score, bads, goods,
           sum(bads) OVER (ORDER BY score) AS bads_at_or_below,
           sum(goods) OVER (ORDER BY score) AS goods_at_or_below,
           sum(bads) OVER () AS total_bads,
           sum(goods) OVER () AS total_goods
    FROM per_score
  ), gaps AS (
    SELECT score, bads, goods, bads_at_or_below, total_bads, total_goods,
           CASE WHEN total_bads > 0 AND total_goods > 0
                THEN abs(bads_at_or_below / total_bads - goods_at_or_below / total_goods) END AS gap
    FROM cumulative
  )
  SELECT (sum(bads) + sum(goods))::bigint,
         sum(bads)::bigint,
         CASE WHEN min(total_bads) > 0 AND min(total_goods) > 0
              THEN (sum(goods * (bads_at_or_below - bads / 2)) / (min(total_bads) * min(total_goods)))::double precision
         END,
         max(gap)::double precision,
         (array_agg(score ORDER BY gap DESC NULLS LAST, score))[1]
  FROM gaps
  HAVING count(*) > 0
$$;

-- One score per application and model (the latest, should a model ever score an application twice),
-- with the role the model had in that score.
CREATE VIEW v_latest_score AS
SELECT DISTINCT ON (s.application_id, s.model_key)
       s.application_id, s.model_key, s.role, s.score::integer AS score, s.grade, s.pd, s.points
FROM fact_credit_score s
ORDER BY s.application_id, s.model_key, s.scored_at DESC;

-- The role each model had when it last scored (joined to the views' small results, after grouping).
CREATE VIEW v_model_role AS
SELECT DISTINCT ON (s.model_key) s.model_key, s.role
FROM fact_credit_score s
ORDER BY s.model_key, s.scored_at DESC;

CREATE VIEW v_scored_outcome AS
SELECT l.application_id, l.model_key, l.role, o.horizon_months, l.score, l.grade, l.pd,
       o.outcome = 'defaulted' AS defaulted
FROM v_latest_score l
JOIN fact_loan_outcome o ON o.application_id = l.application_id;

CREATE VIEW rpt_model_performance AS
WITH samples AS (
  SELECT model_key, horizon_months, avg(pd) AS mean_pd,
         array_agg(score ORDER BY application_id) AS scores,
         array_agg(defaulted ORDER BY application_id) AS defaulted
  FROM v_scored_outcome
  GROUP BY model_key, horizon_months
)
SELECT s.model_key, r.role, s.horizon_months, d.applications, d.defaults,
       d.defaults::double precision / d.applications AS bad_rate,
       s.mean_pd, d.auc, 2 * d.auc - 1 AS gini, d.ks, d.ks_score
FROM samples s
CROSS JOIN LATERAL outcome_discrimination(s.scores, s.defaulted) d
LEFT JOIN v_model_role r ON r.model_key = s.model_key;

CREATE VIEW rpt_bad_rate_by_grade AS
WITH grades AS (
  SELECT model_key, horizon_months, grade,
         count(*)::bigint AS applications,
         count(*) FILTER (WHERE defaulted)::bigint AS defaults,
         avg(pd) AS mean_pd,
         min(score) AS min_score,
         max(score) AS max_score
  FROM v_scored_outcome
  GROUP BY model_key, horizon_months, grade
)
SELECT g.model_key, r.role, g.horizon_months, g.grade, g.applications, g.defaults,
       g.defaults::double precision / g.applications AS bad_rate,
       g.mean_pd, g.min_score, g.max_score,
       g.applications::double precision / sum(g.applications) OVER (PARTITION BY g.model_key, g.horizon_months) AS share
FROM grades g
LEFT JOIN v_model_role r ON r.model_key = g.model_key;

-- Pairs without a self-join: every challenger score row carries the champion's score of the same
-- application (a window over the application), so the plan stays linear whatever the estimates.
CREATE VIEW rpt_champion_challenger_outcomes AS
WITH scored AS (
  SELECT v.application_id, v.model_key, v.role, v.horizon_months, v.score, v.defaulted,
         max(v.model_key) FILTER (WHERE v.role = 'champion') OVER w AS champion_model,
         max(v.score) FILTER (WHERE v.role = 'champion') OVER w AS champion_score
  FROM v_scored_outcome v
  WINDOW w AS (PARTITION BY v.application_id, v.horizon_months)
), cutoffs AS (
  SELECT model_key, (definition -> 'policy' ->> 'approveMinScore')::integer AS approve_min_score
  FROM dim_model
), pairs AS (
  SELECT s.champion_model, s.model_key AS challenger_model, s.horizon_months, s.application_id, s.defaulted,
         s.champion_score, s.score AS challenger_score,
         s.champion_score >= cc.approve_min_score AS champion_approves,
         s.score >= hc.approve_min_score AS challenger_approves
  FROM scored s
  JOIN cutoffs cc ON cc.model_key = s.champion_model
  JOIN cutoffs hc ON hc.model_key = s.model_key
  WHERE s.role = 'challenger'
), samples AS (
  SELECT champion_model, challenger_model, horizon_months,
         array_agg(champion_score ORDER BY application_id) AS champion_scores,
         array_agg(challenger_score ORDER BY application_id) AS challenger_scores,
         array_agg(defaulted ORDER BY application_id) AS defaulted,
         avg(CASE WHEN champion_approves THEN 1.0 ELSE 0.0 END)::double precision AS champion_approve_rate,
         avg(CASE WHEN challenger_approves THEN 1.0 ELSE 0.0 END)::double precision AS challenger_approve_rate,
         (count(*) FILTER (WHERE champion_approves AND defaulted))::double precision
           / nullif(count(*) FILTER (WHERE champion_approves), 0) AS champion_approved_bad_rate,
         (count(*) FILTER (WHERE challenger_approves AND defaulted))::double precision
           / nullif(count(*) FILTER (WHERE challenger_approves), 0) AS challenger_approved_bad_rate
  FROM pairs
  GROUP BY champion_model, challenger_model, horizon_months
)
SELECT s.champion_model, s.challenger_model, s.horizon_months, c.applications, c.defaults,
       c.defaults::double precision / c.applications AS bad_rate,
       c.auc AS champion_auc, h.auc AS challenger_auc,
       2 * c.auc - 1 AS champion_gini, 2 * h.auc - 1 AS challenger_gini,
       (2 * h.auc - 1) - (2 * c.auc - 1) AS gini_delta,
       c.ks AS champion_ks, h.ks AS challenger_ks,
       s.champion_approve_rate, s.challenger_approve_rate,
       s.champion_approved_bad_rate, s.challenger_approved_bad_rate
FROM samples s
CROSS JOIN LATERAL outcome_discrimination(s.champion_scores, s.defaulted) c
CROSS JOIN LATERAL outcome_discrimination(s.challenger_scores, s.defaulted) h;

-- The bins view runs inside a function with JIT off: the planner cannot estimate jsonb_each and the
-- horizons well, prices the query high, and PostgreSQL's JIT compile then takes longer than the query
-- (4 s instead of 16 s for 20,000 applications on two busy cores). The view is the function's result.
CREATE FUNCTION characteristic_bins()
RETURNS TABLE (model_key text, role text, horizon_months smallint, characteristic text,
               characteristic_label text, bin integer, bin_label text,
               reference_applications bigint, recent_applications bigint,
               reference_share double precision, recent_share double precision,
               psi_contribution double precision, reference_defaults bigint,
               reference_bad_rate double precision)
LANGUAGE sql STABLE SET jit = off AS $$
  WITH horizons AS (
    SELECT DISTINCT horizon_months FROM fact_loan_outcome
  ), cells AS (
    SELECT l.model_key, h.horizon_months, c.key AS characteristic, (c.value ->> 'bin')::integer AS bin,
           count(o.application_id)::bigint AS reference_applications,
           (count(*) - count(o.application_id))::bigint AS recent_applications,
           count(*) FILTER (WHERE o.outcome = 'defaulted')::bigint AS reference_defaults
    FROM v_latest_score l
    CROSS JOIN horizons h
    CROSS JOIN LATERAL jsonb_each(l.points) AS c(key, value)
    LEFT JOIN fact_loan_outcome o ON o.application_id = l.application_id AND o.horizon_months = h.horizon_months
    GROUP BY l.model_key, h.horizon_months, c.key, (c.value ->> 'bin')::integer
  ), shares AS (
    SELECT cells.*,
           reference_applications::double precision
             / nullif(sum(reference_applications) OVER w, 0) AS reference_share,
           recent_applications::double precision
             / nullif(sum(recent_applications) OVER w, 0) AS recent_share
    FROM cells
    WINDOW w AS (PARTITION BY model_key, horizon_months, characteristic)
  )
  SELECT s.model_key, r.role, s.horizon_months, s.characteristic, d.label AS characteristic_label, s.bin,
         CASE WHEN (d.bin_def ->> 'missing')::boolean THEN 'missing'
              WHEN d.bin_def IS NULL THEN 'bin ' || s.bin
              ELSE '[' || coalesce(d.bin_def ->> 'min', '-inf') || ', ' || coalesce(d.bin_def ->> 'max', 'inf') || ')'
         END AS bin_label,
         s.reference_applications, s.recent_applications, s.reference_share, s.recent_share,
         (greatest(s.recent_share, 1e-4) - greatest(s.reference_share, 1e-4))
           * ln(greatest(s.recent_share, 1e-4) / greatest(s.reference_share, 1e-4)) AS psi_contribution,
         s.reference_defaults,
         s.reference_defaults::double precision / nullif(s.reference_applications, 0) AS reference_bad_rate
  FROM shares s
  LEFT JOIN v_model_role r ON r.model_key = s.model_key
  LEFT JOIN dim_model m ON m.model_key = s.model_key
  LEFT JOIN LATERAL (
    SELECT ch.value ->> 'label' AS label, ch.value -> 'bins' -> s.bin AS bin_def
    FROM jsonb_array_elements(m.definition -> 'characteristics') AS ch(value)
    WHERE ch.value ->> 'id' = s.characteristic
  ) d ON true
$$;

CREATE VIEW rpt_characteristic_bins AS SELECT * FROM characteristic_bins();

CREATE VIEW rpt_characteristic_stability AS
SELECT model_key, role, horizon_months, characteristic, characteristic_label,
       count(*)::bigint AS bins,
       sum(reference_applications)::bigint AS reference_applications,
       sum(recent_applications)::bigint AS recent_applications,
       sum(psi_contribution) AS psi
FROM rpt_characteristic_bins
GROUP BY model_key, role, horizon_months, characteristic, characteristic_label;
