-- Processes (case types) as revisioned configuration, cases that run them, and the case outbox: a
-- change of a case's action recorded in the transaction of the action's write, so a case moves on
-- even when the node dies right after that write.
CREATE TABLE processes (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
  revision INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

ALTER TABLE cases ADD COLUMN process TEXT;
-- The process as the case started it: a later change of the process applies to new cases.
ALTER TABLE cases ADD COLUMN definition TEXT;
ALTER TABLE cases ADD COLUMN title TEXT;
ALTER TABLE cases ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE cases ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN steps TEXT;
ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN closed_at INTEGER;
ALTER TABLE cases ADD COLUMN launch_key TEXT;
ALTER TABLE cases ADD COLUMN launch_hash TEXT;
CREATE UNIQUE INDEX cases_launch_key ON cases (launch_key) WHERE launch_key IS NOT NULL;
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX actions_case_queue ON actions (queue, case_id) WHERE case_id IS NOT NULL;

CREATE TABLE case_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id TEXT NOT NULL,
  event TEXT NOT NULL,
  lease_until INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX case_outbox_case ON case_outbox (case_id, seq);
