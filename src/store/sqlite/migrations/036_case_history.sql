-- A case's history: what happened to it, by whom and when (processes/case-history.ts), written in the
-- transaction of the change it records. Newest first by seq; the newest CASE_HISTORY_KEPT of a case are kept.
CREATE TABLE case_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  step TEXT,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX case_history_case ON case_history (case_id, seq);
