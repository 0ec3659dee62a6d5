-- 0005 decision records: an issued credit decision is a record that is never rewritten.
--
--   decision_record      one row per issued decision. Append-only: the database refuses UPDATE, DELETE
--                        and TRUNCATE (trigger decision_record_append_only, for every role, the owner
--                        included). A later view of the same application (a backfill, a late fraud
--                        alert, a new model version) is a NEW record with revision + 1 that names the
--                        record it supersedes and why; the record the applicant was given stays as issued.
--   v_issued_decision    the decision as first communicated (revision 1), one row per application
--   v_current_decision   the latest record per application (the head of its chain). Same columns as in
--                        0002, in the same order (decided_at = the record's issued_at), then the new ones.
--   v_decision_history   every record with the issued and current flags (what an audit reads)
--   rpt_decision_records day, source, supersede_reason, records, applications (day = issued_at in UTC)
--
-- Natural keys (idempotent writers): (application_id, revision). The first decision of an application
-- is revision 1, so "INSERT … ON CONFLICT (application_id, revision) DO NOTHING" issues it at most once
-- whoever writes first (the decision service, the batch scorer); a superseding record is revision n+1
-- of the head it supersedes, so two writers racing to supersede the same record cannot both succeed.
--
-- fact_decision (0001: one row per application × champion, overwritten by backfills) is moved here
-- without losing rows: per application its rows in (decided_at, model_key) order become revisions
-- 1, 2, …, each later one superseding the one before with the reason 'migrated (0005): later champion
-- decision'; source is 'backfill' when the row's run was a backfill run in scoring_run, else 'batch'.
-- The migration checks the count and every column before it drops fact_decision.

-- A decision names the model that made it by key AND checksum; the pair must be a registered model.
ALTER TABLE dim_model ADD CONSTRAINT dim_model_key_checksum_key UNIQUE (model_key, checksum);

CREATE TABLE decision_record (
  record_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  application_id   uuid NOT NULL,               -- no FK: the stream may decide before the loader loads it
  revision         integer NOT NULL CHECK (revision >= 1),   -- 1 = as first issued
  decision         text NOT NULL CHECK (decision IN ('approve', 'refer', 'decline')),
  score_decision   text NOT NULL CHECK (score_decision IN ('approve', 'refer', 'decline')),
  policy_rules     text[] NOT NULL,              -- hard rules that fired
  reason_codes     text[] NOT NULL CHECK (cardinality(reason_codes) <= 4),  -- adverse-action reasons, ranked
  fraud_severity   text,                         -- most severe live alert considered, if any
  approved_amount  numeric(14, 2) NOT NULL,      -- loan amount when approved, else 0
  model_key        text NOT NULL,                -- the champion that decided (name@version)
  model_checksum   text NOT NULL,                -- its dim_model.checksum
  source           text NOT NULL CHECK (source IN ('stream', 'batch', 'backfill')),
  run_id           text,                         -- batch / backfill: the scoring run; stream: writer's id
  issued_at        timestamptz NOT NULL,         -- when the decision was made (communicated)
  supersedes       bigint,                       -- the record this one replaces (revision − 1), else NULL
  supersede_reason text,                         -- why (required with supersedes)
  recorded_at      timestamptz NOT NULL DEFAULT clock_timestamp(),  -- when the row was written
  UNIQUE (application_id, revision),
  UNIQUE (record_id, application_id),
  FOREIGN KEY (supersedes, application_id) REFERENCES decision_record (record_id, application_id),
  FOREIGN KEY (model_key, model_checksum) REFERENCES dim_model (model_key, checksum),
  CHECK ((revision = 1) = (supersedes IS NULL)),
  CHECK ((supersedes IS NULL) = (supersede_reason IS NULL)),
  CHECK (supersede_reason IS NULL OR length(btrim(supersede_reason)) > 0)
);
CREATE INDEX decision_record_issued_idx ON decision_record (issued_at);
CREATE INDEX decision_record_run_idx ON decision_record (run_id);
CREATE INDEX decision_record_supersedes_idx ON decision_record (supersedes);

-- Existing rows become the initial records (ids in issue order, so record ids follow time).
INSERT INTO decision_record (record_id, application_id, revision, decision, score_decision, policy_rules,
                             reason_codes, fraud_severity, approved_amount, model_key, model_checksum, source,
                             run_id, issued_at, supersedes, supersede_reason)
OVERRIDING SYSTEM VALUE
SELECT o.record_id, o.application_id, o.revision, o.decision, o.score_decision, o.policy_rules, o.reason_codes,
       o.fraud_severity, o.approved_amount, o.model_key, o.checksum, o.source, o.run_id, o.decided_at,
       o.previous, CASE WHEN o.previous IS NOT NULL THEN 'migrated (0005): later champion decision' END
FROM (
  SELECT n.*, lag(n.record_id) OVER (PARTITION BY n.application_id ORDER BY n.revision) AS previous
  FROM (
    SELECT d.*, m.checksum,
           row_number() OVER (ORDER BY d.decided_at, d.application_id, d.model_key) AS record_id,
           row_number() OVER (PARTITION BY d.application_id ORDER BY d.decided_at, d.model_key) AS revision,
           CASE WHEN EXISTS (SELECT 1 FROM scoring_run r WHERE r.run_id = d.run_id AND r.mode = 'backfill')
                THEN 'backfill' ELSE 'batch' END AS source
    FROM fact_decision d
    JOIN dim_model m ON m.model_key = d.model_key
  ) n
) o
ORDER BY o.record_id;

SELECT setval(pg_get_serial_sequence('decision_record', 'record_id'),
              coalesce((SELECT max(record_id) FROM decision_record), 0) + 1, false);

-- Nothing lost: every fact_decision row is in decision_record with the same values, and nothing else is.
DO $$
DECLARE
  old_rows bigint;
  new_rows bigint;
  unmatched bigint;
BEGIN
  SELECT count(*) INTO old_rows FROM fact_decision;
  SELECT count(*) INTO new_rows FROM decision_record;
  SELECT count(*) INTO unmatched FROM fact_decision d
  WHERE NOT EXISTS (
    SELECT 1 FROM decision_record r
    WHERE r.application_id = d.application_id AND r.model_key = d.model_key AND r.decision = d.decision
      AND r.score_decision = d.score_decision AND r.policy_rules = d.policy_rules
      AND r.reason_codes = d.reason_codes AND r.fraud_severity IS NOT DISTINCT FROM d.fraud_severity
      AND r.approved_amount = d.approved_amount AND r.run_id = d.run_id AND r.issued_at = d.decided_at);
  IF old_rows <> new_rows OR unmatched <> 0 THEN
    RAISE EXCEPTION '0005: fact_decision has % rows, decision_record % (% unmatched); nothing migrated',
      old_rows, new_rows, unmatched;
  END IF;
END $$;

-- A superseding record continues its application's chain: revision = the superseded record's + 1.
-- (Same application is enforced by the composite foreign key; one successor per record by the
-- (application_id, revision) key.)
CREATE FUNCTION decision_record_check_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  previous_revision integer;
BEGIN
  IF NEW.supersedes IS NOT NULL THEN
    SELECT revision INTO previous_revision FROM decision_record
    WHERE record_id = NEW.supersedes AND application_id = NEW.application_id;
    IF previous_revision IS NOT NULL AND NEW.revision <> previous_revision + 1 THEN
      RAISE EXCEPTION 'decision_record: revision % of application % must be % (record % has revision %)',
        NEW.revision, NEW.application_id, previous_revision + 1, NEW.supersedes, previous_revision
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER decision_record_chain BEFORE INSERT ON decision_record
  FOR EACH ROW EXECUTE FUNCTION decision_record_check_chain();

-- Issued decisions are never rewritten: UPDATE, DELETE and TRUNCATE are refused for every role.
CREATE FUNCTION decision_record_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'decision_record is append-only: % refused; an issued decision is never rewritten (insert a superseding record instead)', TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER decision_record_append_only BEFORE UPDATE OR DELETE ON decision_record
  FOR EACH ROW EXECUTE FUNCTION decision_record_refuse_change();
CREATE TRIGGER decision_record_no_truncate BEFORE TRUNCATE ON decision_record
  FOR EACH STATEMENT EXECUTE FUNCTION decision_record_refuse_change();
-- Roles: the warehouse has its owner (the migrator and the writers) and the read-only reader
-- (reader-role.ts: SELECT only). No role is granted UPDATE, DELETE or TRUNCATE here; the triggers
-- bind the owner as well.
REVOKE UPDATE, DELETE, TRUNCATE ON decision_record FROM PUBLIC;

-- The BI contract's view keeps its columns (0002) and reads the records; new columns follow.
CREATE OR REPLACE VIEW v_current_decision AS
SELECT DISTINCT ON (r.application_id)
       r.application_id, r.model_key, r.decision, r.score_decision, r.policy_rules, r.reason_codes,
       r.fraud_severity, r.approved_amount, r.run_id, r.issued_at AS decided_at,
       r.record_id, r.revision, r.model_checksum, r.source, r.issued_at, r.supersedes, r.supersede_reason
FROM decision_record r
ORDER BY r.application_id, r.revision DESC;

CREATE VIEW v_issued_decision AS
SELECT r.application_id, r.record_id, r.model_key, r.model_checksum, r.decision, r.score_decision,
       r.policy_rules, r.reason_codes, r.fraud_severity, r.approved_amount, r.source, r.run_id, r.issued_at
FROM decision_record r
WHERE r.revision = 1;

CREATE VIEW v_decision_history AS
SELECT r.record_id, r.application_id, r.revision, r.decision, r.score_decision, r.policy_rules, r.reason_codes,
       r.fraud_severity, r.approved_amount, r.model_key, r.model_checksum, r.source, r.run_id, r.issued_at,
       r.supersedes, r.supersede_reason, r.recorded_at,
       r.revision = 1 AS is_issued,
       NOT EXISTS (SELECT 1 FROM decision_record n
                   WHERE n.application_id = r.application_id AND n.revision = r.revision + 1) AS is_current
FROM decision_record r;

CREATE VIEW rpt_decision_records AS
SELECT (r.issued_at AT TIME ZONE 'UTC')::date AS day, r.source, r.supersede_reason,
       count(*)::bigint AS records,
       count(DISTINCT r.application_id)::bigint AS applications
FROM decision_record r
GROUP BY 1, r.source, r.supersede_reason;

-- A scoring run's decision records: decisions_written counts first decisions and superseding records,
-- decisions_superseded the latter (backfills).
ALTER TABLE scoring_run ADD COLUMN decisions_superseded integer NOT NULL DEFAULT 0;

DROP TABLE fact_decision;
