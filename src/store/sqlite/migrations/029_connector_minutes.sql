-- Each connector's attempts per minute (the connector page's health chart): how many were answered
-- 2xx, failed by kind, and their latency (sum, max, and a count per latency band for a p95 estimate).
-- Every node adds its own counts to the minute's row every few seconds; rows older than a week are
-- deleted by the same job, a bounded batch at a time (by `minute`, hence its index).
CREATE TABLE connector_minutes (
  connector_id TEXT NOT NULL,
  minute INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  failed_connection INTEGER NOT NULL,
  failed_timeout INTEGER NOT NULL,
  failed_4xx INTEGER NOT NULL,
  failed_5xx INTEGER NOT NULL,
  latency_sum_ms INTEGER NOT NULL,
  latency_max_ms INTEGER NOT NULL,
  under_100ms INTEGER NOT NULL,
  under_300ms INTEGER NOT NULL,
  under_1s INTEGER NOT NULL,
  under_3s INTEGER NOT NULL,
  over_3s INTEGER NOT NULL,
  PRIMARY KEY (connector_id, minute)
);
CREATE INDEX connector_minutes_minute ON connector_minutes (minute);
