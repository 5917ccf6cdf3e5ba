-- Engine nodes keep a heartbeat here, so the work a dead node had claimed (actions.lease_owner is the
-- node's id: one life of one process) is taken back within seconds, not when its lease runs out.
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
