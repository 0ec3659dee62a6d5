-- 0001 star schema of the credit warehouse.
-- Dimensions: dim_date, dim_applicant (pseudonymous: hashes only, no names, emails, phones,
-- addresses or IPs), dim_model (scorecard versions), dim_reason_code (adverse-action texts).
-- Facts: fact_application, fact_fraud_alert, fact_credit_score (one row per application and model
-- version, champion and challengers), fact_decision (champion only).
-- Operations: scoring_run (one row per run, partition and model), loader_offsets (Kafka offsets
-- stored in the same transaction as the rows they produced), quarantine (rows that could not load).

CREATE TABLE dim_date (
  date_key      integer PRIMARY KEY,            -- yyyymmdd
  date          date NOT NULL UNIQUE,
  year          smallint NOT NULL,
  quarter       smallint NOT NULL,
  month         smallint NOT NULL,
  month_name    text NOT NULL,
  day           smallint NOT NULL,
  iso_week      smallint NOT NULL,
  iso_dow       smallint NOT NULL,              -- 1 = Monday
  is_weekend    boolean NOT NULL
);

INSERT INTO dim_date
SELECT to_char(d, 'YYYYMMDD')::integer, d::date, extract(year FROM d), extract(quarter FROM d),
       extract(month FROM d), trim(to_char(d, 'Month')), extract(day FROM d), extract(week FROM d),
       extract(isodow FROM d), extract(isodow FROM d) IN (6, 7)
FROM generate_series(date '2020-01-01', date '2035-12-31', interval '1 day') AS d;

CREATE TABLE dim_applicant (
  national_id_hash  text PRIMARY KEY CHECK (national_id_hash ~ '^[0-9a-f]{64}$'),  -- HMAC-SHA-256 from ingestion
  customer_ref_hash text NOT NULL,             -- SHA-256 of the lender-side customer id
  address_country   char(2) NOT NULL,
  first_seen_at     timestamptz NOT NULL,
  last_seen_at      timestamptz NOT NULL
);

CREATE TABLE dim_model (
  model_key     text PRIMARY KEY,               -- name@version
  name          text NOT NULL,
  version       text NOT NULL,
  checksum      text NOT NULL,                  -- SHA-256 of the canonical model JSON; never changes
  definition    jsonb NOT NULL,
  baseline_edges        double precision[] NOT NULL,
  baseline_proportions  double precision[] NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, version)
);

CREATE TABLE dim_reason_code (
  code  text PRIMARY KEY,
  text  text NOT NULL,
  kind  text NOT NULL CHECK (kind IN ('scorecard', 'policy'))
);

CREATE TABLE fact_application (
  application_id        uuid PRIMARY KEY,
  national_id_hash      text NOT NULL REFERENCES dim_applicant,
  date_key              integer NOT NULL REFERENCES dim_date,
  submitted_at          timestamptz NOT NULL,
  schema_version        text NOT NULL,
  employment_status     text NOT NULL,
  months_in_job         integer NOT NULL,
  annual_income         numeric(14, 2) NOT NULL,
  loan_amount           numeric(14, 2) NOT NULL,
  currency              char(3) NOT NULL,
  term_months           integer NOT NULL,
  purpose               text NOT NULL,
  bureau_score          integer,
  monthly_debt_payments numeric(14, 2) NOT NULL,
  open_credit_lines     integer NOT NULL,
  delinquencies_24m     integer NOT NULL,
  credit_history_months integer NOT NULL,
  bankruptcies          integer NOT NULL,
  channel_type          text NOT NULL,
  geo_country           char(2),
  -- stable hash of application_id (first 31 bits of its SHA-256), computed by the loader:
  -- the risk scorer's Indexed Job partition i of N takes partition_hash % N = i
  partition_hash        integer NOT NULL CHECK (partition_hash >= 0),
  source_topic          text NOT NULL,
  source_partition      integer NOT NULL,
  source_offset         bigint NOT NULL,
  loaded_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fact_application_date_idx ON fact_application (date_key);
CREATE INDEX fact_application_applicant_idx ON fact_application (national_id_hash);
CREATE INDEX fact_application_submitted_idx ON fact_application (submitted_at);

CREATE TABLE fact_fraud_alert (
  alert_id          text PRIMARY KEY,
  application_id    uuid NOT NULL,               -- no FK: an alert may land before its application
  rule_id           text NOT NULL,
  rule_version      text NOT NULL,
  severity          text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  reason_code       text NOT NULL,
  mode              text NOT NULL CHECK (mode IN ('live', 'shadow')),
  event_time        timestamptz NOT NULL,
  detected_at       timestamptz NOT NULL,
  date_key          integer NOT NULL REFERENCES dim_date,
  evidence          jsonb NOT NULL,
  source_topic      text NOT NULL,
  source_partition  integer NOT NULL,
  source_offset     bigint NOT NULL,
  loaded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fact_fraud_alert_application_idx ON fact_fraud_alert (application_id);
CREATE INDEX fact_fraud_alert_rule_idx ON fact_fraud_alert (rule_id, date_key);

CREATE TABLE scoring_run (
  run_id            text NOT NULL,
  partition_index   integer NOT NULL CHECK (partition_index >= 0),
  model_key         text NOT NULL REFERENCES dim_model,
  role              text NOT NULL CHECK (role IN ('champion', 'challenger')),
  partition_count   integer NOT NULL CHECK (partition_count > partition_index),
  mode              text NOT NULL CHECK (mode IN ('incremental', 'backfill')),
  status            text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at        timestamptz NOT NULL,
  finished_at       timestamptz,
  duration_ms       integer,
  applications_selected integer NOT NULL DEFAULT 0,
  scores_written    integer NOT NULL DEFAULT 0,
  decisions_written integer NOT NULL DEFAULT 0,
  approved          integer NOT NULL DEFAULT 0,
  referred          integer NOT NULL DEFAULT 0,
  declined          integer NOT NULL DEFAULT 0,
  score_histogram   integer[],                   -- counts per dim_model.baseline_edges bucket
  psi               double precision,
  error             text,
  PRIMARY KEY (run_id, partition_index, model_key)
);
CREATE INDEX scoring_run_finished_idx ON scoring_run (model_key, finished_at DESC);

CREATE TABLE fact_credit_score (
  application_id  uuid NOT NULL REFERENCES fact_application,
  model_key       text NOT NULL REFERENCES dim_model,
  role            text NOT NULL CHECK (role IN ('champion', 'challenger')),
  score           smallint NOT NULL CHECK (score BETWEEN 300 AND 850),
  pd              double precision NOT NULL CHECK (pd > 0 AND pd < 1),
  grade           char(1) NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D', 'E', 'F', 'G')),
  total_points    double precision NOT NULL,
  points          jsonb NOT NULL,                -- {characteristic: {value, bin, points, pointsLost}}
  reason_codes    text[] NOT NULL,               -- scorecard reasons, ranked
  run_id          text NOT NULL,
  scored_at       timestamptz NOT NULL,
  PRIMARY KEY (application_id, model_key)
);
CREATE INDEX fact_credit_score_model_idx ON fact_credit_score (model_key, run_id);

CREATE TABLE fact_decision (
  application_id  uuid NOT NULL REFERENCES fact_application,
  model_key       text NOT NULL REFERENCES dim_model,   -- the champion that decided
  decision        text NOT NULL CHECK (decision IN ('approve', 'refer', 'decline')),
  score_decision  text NOT NULL CHECK (score_decision IN ('approve', 'refer', 'decline')),
  policy_rules    text[] NOT NULL,               -- hard rules that fired
  reason_codes    text[] NOT NULL CHECK (cardinality(reason_codes) <= 4),  -- adverse-action reasons, ranked
  fraud_severity  text,
  approved_amount numeric(14, 2) NOT NULL,       -- loan amount when approved, else 0
  run_id          text NOT NULL,
  decided_at      timestamptz NOT NULL,
  PRIMARY KEY (application_id, model_key)
);
CREATE INDEX fact_decision_run_idx ON fact_decision (run_id);

CREATE TABLE loader_offsets (
  group_id    text NOT NULL,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,                   -- the first offset not yet loaded
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

CREATE TABLE quarantine (
  source_topic      text NOT NULL,
  source_partition  integer NOT NULL,
  source_offset     bigint NOT NULL,
  message_key       text,
  reason            text NOT NULL,               -- short: not_json, schema_invalid, ...
  errors            jsonb NOT NULL,              -- [{path, message}]
  payload_redacted  jsonb,                       -- parsed payload with personal fields redacted (null if not JSON)
  payload_sha256    text NOT NULL,
  payload_bytes     integer NOT NULL,
  quarantined_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_topic, source_partition, source_offset)
);
