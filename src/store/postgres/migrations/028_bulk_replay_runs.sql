-- Bulk replay runs (GET /v1/bulk-replays/{id}): each run is kept with its request, who ran it, its
-- totals and one row per action it touched, so its report can be read again (a link) and paged, not
-- only answered once. Items are written in batches as the run goes: a running run shows its progress.
-- A run whose node stopped stays 'running' with the items it wrote; its Idempotency-Key frees itself
-- (017) and a repeat starts a new run.
CREATE TABLE bulk_replay_runs (
  id TEXT PRIMARY KEY,
  created_by TEXT NOT NULL,
  operation TEXT NOT NULL,
  -- The request as sent (filter, operation, resolution, note, max): at most a few KB (its schema bounds it).
  request TEXT NOT NULL,
  status TEXT NOT NULL,
  count INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  remaining INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE TABLE bulk_replay_items (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  action_id TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  PRIMARY KEY (run_id, seq)
);
