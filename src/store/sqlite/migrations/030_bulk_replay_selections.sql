-- A bulk replay's preview frozen for its run (POST /v1/bulk-replays with dryRun, then with selection):
-- the ids the preview matched (at most 10,000, as a JSON array, about 400 KB at most), so the run acts on
-- what its operator saw rather than on whatever matches the filter when they confirm. A selection is its
-- operator's only, runs once (used_at), and is deleted once expired (a few at a time, on each preview).
CREATE TABLE bulk_replay_selections (
  id TEXT PRIMARY KEY,
  created_by TEXT NOT NULL,
  -- The operation and filter previewed (JSON): a run must ask for the same.
  request TEXT NOT NULL,
  action_ids TEXT NOT NULL,
  -- Actions matching at the preview, including those beyond its max.
  matched INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX bulk_replay_selections_expiry ON bulk_replay_selections (expires_at);
CREATE INDEX bulk_replay_selections_owner ON bulk_replay_selections (created_by, created_at);
