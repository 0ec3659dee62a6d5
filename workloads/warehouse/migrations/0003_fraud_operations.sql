-- 0003 fraud operations: webhook deliveries of alerts, the analysts' case queue, the verdicts they
-- reach (outcome labels) and the per-rule precision those labels give.
--
--   alert_delivery        one row per (endpoint, alert): the delivery outbox. Pending rows survive a
--                         restart of the delivering process; 'dead' rows keep the last error.
--   fraud_case            one case per application with live alerts (application_id is the natural
--                         key: a replayed alert stream never opens a second case)
--   fraud_case_alert      the evidence: every live alert of the case's application (alert_id key)
--   fraud_case_event      the audit trail: who did what when (opened, alert_added, assigned, noted,
--                         status_changed, resolved), append-only
--   fact_alert_outcome    outcome labels: one per alert of a resolved case (what backtests measure)
--   rpt_rule_precision    rule_id, rule_version, alerts, cases, resolved, confirmed_fraud, legitimate,
--                         inconclusive, precision (confirmed_fraud / resolved), last_labelled_at
--   rpt_case_volume       day, rule_id, alerts, cases_opened, resolved, confirmed_fraud
--                         (day = the alert's detection date in UTC)

CREATE TABLE alert_delivery (
  endpoint        text NOT NULL,                 -- the endpoint's name in spec.alerting.webhooks[]
  alert_id        text NOT NULL,                 -- the idempotency key the receiver sees
  payload         jsonb NOT NULL,                -- the alert message (evidence redacted)
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until     timestamptz,                   -- a sender holds the row until then (crash: retried after)
  last_error      text,
  last_status     integer,                       -- HTTP status of the last attempt, if any
  detected_at     timestamptz NOT NULL,          -- the alert's detection time (delivery latency)
  enqueued_at     timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,                   -- delivered or dead-lettered
  PRIMARY KEY (endpoint, alert_id)
);
CREATE INDEX alert_delivery_due_idx ON alert_delivery (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_delivery_dead_idx ON alert_delivery (endpoint, finished_at) WHERE status = 'dead';

CREATE TABLE fraud_case (
  case_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  application_id  uuid NOT NULL UNIQUE,
  status          text NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'investigating', 'confirmed_fraud', 'legitimate', 'inconclusive')),
  severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  severity_rank   smallint NOT NULL CHECK (severity_rank BETWEEN 1 AND 4),  -- 4 = critical
  assignee        text,
  rules           text[] NOT NULL DEFAULT '{}',  -- distinct rule ids of its alerts (queue filter)
  opened_at       timestamptz NOT NULL DEFAULT now(),
  first_event_at  timestamptz NOT NULL,          -- earliest alert's event time
  updated_at      timestamptz NOT NULL DEFAULT now(),
  resolved_at     timestamptz,
  resolved_by     text,
  version         integer NOT NULL DEFAULT 1,    -- bumped by every change (ETag of the case)
  CHECK ((status IN ('confirmed_fraud', 'legitimate', 'inconclusive')) = (resolved_at IS NOT NULL))
);
-- The queue: severity first, then the oldest.
CREATE INDEX fraud_case_queue_idx ON fraud_case (severity_rank DESC, opened_at, case_id);
CREATE INDEX fraud_case_status_queue_idx ON fraud_case (status, severity_rank DESC, opened_at, case_id);
CREATE INDEX fraud_case_rules_idx ON fraud_case USING gin (rules);

CREATE TABLE fraud_case_alert (
  alert_id        text PRIMARY KEY,
  case_id         bigint NOT NULL REFERENCES fraud_case,
  rule_id         text NOT NULL,
  rule_version    text NOT NULL,
  severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  reason_code     text NOT NULL,
  event_time      timestamptz NOT NULL,
  detected_at     timestamptz NOT NULL,
  evidence        jsonb NOT NULL,                -- as the warehouse stores it: personal fields redacted
  added_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fraud_case_alert_case_idx ON fraud_case_alert (case_id);
CREATE INDEX fraud_case_alert_rule_idx ON fraud_case_alert (rule_id, case_id);

CREATE TABLE fraud_case_event (
  event_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id         bigint NOT NULL REFERENCES fraud_case,
  at              timestamptz NOT NULL DEFAULT now(),
  actor           text NOT NULL,                 -- the Kubernetes user name, or system:alerts
  action          text NOT NULL
                  CHECK (action IN ('opened', 'alert_added', 'assigned', 'noted', 'status_changed', 'resolved')),
  detail          jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX fraud_case_event_case_idx ON fraud_case_event (case_id, event_id);

CREATE TABLE fact_alert_outcome (
  alert_id        text PRIMARY KEY,
  application_id  uuid NOT NULL,
  rule_id         text NOT NULL,
  rule_version    text NOT NULL,
  verdict         text NOT NULL CHECK (verdict IN ('confirmed_fraud', 'legitimate', 'inconclusive')),
  case_id         bigint NOT NULL REFERENCES fraud_case,
  labelled_at     timestamptz NOT NULL,
  labelled_by     text NOT NULL
);
CREATE INDEX fact_alert_outcome_rule_idx ON fact_alert_outcome (rule_id, labelled_at);

CREATE VIEW rpt_rule_precision AS
SELECT a.rule_id, a.rule_version,
       count(*)::bigint AS alerts,
       count(DISTINCT a.case_id)::bigint AS cases,
       count(o.alert_id)::bigint AS resolved,
       count(*) FILTER (WHERE o.verdict = 'confirmed_fraud')::bigint AS confirmed_fraud,
       count(*) FILTER (WHERE o.verdict = 'legitimate')::bigint AS legitimate,
       count(*) FILTER (WHERE o.verdict = 'inconclusive')::bigint AS inconclusive,
       (count(*) FILTER (WHERE o.verdict = 'confirmed_fraud'))::double precision
         / nullif(count(o.alert_id), 0) AS precision,
       max(o.labelled_at) AS last_labelled_at
FROM fraud_case_alert a
LEFT JOIN fact_alert_outcome o ON o.alert_id = a.alert_id
GROUP BY a.rule_id, a.rule_version;

CREATE VIEW rpt_case_volume AS
SELECT (a.detected_at AT TIME ZONE 'UTC')::date AS day, a.rule_id,
       count(*)::bigint AS alerts,
       count(DISTINCT a.case_id)::bigint AS cases_opened,
       count(o.alert_id)::bigint AS resolved,
       count(*) FILTER (WHERE o.verdict = 'confirmed_fraud')::bigint AS confirmed_fraud
FROM fraud_case_alert a
LEFT JOIN fact_alert_outcome o ON o.alert_id = a.alert_id
GROUP BY 1, a.rule_id;
