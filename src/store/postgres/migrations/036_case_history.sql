-- A case's history: what happened to it, by whom and when (processes/case-history.ts), written in the
-- transaction of the change it records. Newest first by seq; the newest CASE_HISTORY_KEPT of a case are kept.
CREATE TABLE case_history (
  seq BIGSERIAL PRIMARY KEY,
  case_id TEXT COLLATE "C" NOT NULL,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  step TEXT,
  actor TEXT NOT NULL,
  detail JSONB NOT NULL
);
CREATE INDEX case_history_case ON case_history (case_id, seq);
