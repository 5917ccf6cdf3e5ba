-- Bulk launches (their rows, so a run resumes after a crash) and schedules (with one claimed row per
-- tick, so exactly one launch per tick whichever nodes run).
CREATE TABLE bulk_launches (
  id TEXT PRIMARY KEY,
  idempotency_key TEXT UNIQUE,
  request_hash TEXT,
  target_kind TEXT NOT NULL CHECK (target_kind IN ('actionType', 'process')),
  target TEXT NOT NULL,
  actor TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('parsing', 'running', 'done', 'failed')),
  error TEXT,
  total INTEGER NOT NULL DEFAULT 0,
  launched INTEGER NOT NULL DEFAULT 0,
  refused INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX bulk_launches_unfinished ON bulk_launches (lease_until) WHERE status IN ('parsing', 'running');

CREATE TABLE bulk_launch_rows (
  bulk_id TEXT NOT NULL REFERENCES bulk_launches (id) ON DELETE CASCADE,
  row_no INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'launched', 'refused')),
  input JSONB,
  action_id TEXT,
  errors JSONB,
  PRIMARY KEY (bulk_id, row_no)
);
CREATE INDEX bulk_launch_rows_pending ON bulk_launch_rows (bulk_id, row_no) WHERE status = 'pending';

CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  launch JSONB NOT NULL,
  paused BOOLEAN NOT NULL DEFAULT false,
  next_run_at BIGINT,
  last_tick_at BIGINT,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE NOT paused;

CREATE TABLE schedule_ticks (
  schedule_id TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  tick_at BIGINT NOT NULL,
  claimed_by TEXT NOT NULL,
  claimed_at BIGINT NOT NULL,
  launched_id TEXT,
  error TEXT,
  PRIMARY KEY (schedule_id, tick_at)
);
CREATE INDEX schedule_ticks_open ON schedule_ticks (claimed_at) WHERE launched_id IS NULL AND error IS NULL;

CREATE INDEX actions_closed_at ON actions (closed_at) WHERE closed_at IS NOT NULL;
