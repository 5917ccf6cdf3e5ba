-- Processes (case types) as revisioned configuration, cases that run them, and the case outbox: a
-- change of a case's action recorded in the transaction of the action's write, so a case moves on
-- even when the node dies right after that write.
CREATE TABLE processes (
  id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL UNIQUE, doc JSONB NOT NULL,
  revision INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);

ALTER TABLE cases ADD COLUMN process TEXT COLLATE "C";
-- The process as the case started it: a later change of the process applies to new cases.
ALTER TABLE cases ADD COLUMN definition JSONB;
ALTER TABLE cases ADD COLUMN title TEXT;
ALTER TABLE cases ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE cases ADD COLUMN escalated BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE cases ADD COLUMN steps JSONB;
ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN closed_at BIGINT;
ALTER TABLE cases ADD COLUMN launch_key TEXT;
ALTER TABLE cases ADD COLUMN launch_hash TEXT;
CREATE UNIQUE INDEX cases_launch_key ON cases (launch_key) WHERE launch_key IS NOT NULL;
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX actions_case_queue ON actions (queue, case_id) WHERE case_id IS NOT NULL;

CREATE TABLE case_outbox (
  seq BIGSERIAL PRIMARY KEY,
  case_id TEXT COLLATE "C" NOT NULL,
  event JSONB NOT NULL,
  lease_until BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX case_outbox_case ON case_outbox (case_id, seq);
