-- The server's receipt time of each application (credit.application.v2 `receivedAt`, stamped by the
-- ingestion API). NULL for applications loaded from credit.application.v1 events, which have none.
-- Latency figures (the demo's end-to-end latency) measure from it: detected_at − received_at.
ALTER TABLE fact_application ADD COLUMN received_at timestamptz;
