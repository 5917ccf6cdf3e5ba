-- The first schema of the embedded store. Times are epoch milliseconds; JSON is stored as text.
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE connectors (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
  revision INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE action_types (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
  revision INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE cases (
  id TEXT PRIMARY KEY, data TEXT NOT NULL DEFAULT '{}', owner TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE actions (
  id TEXT PRIMARY KEY,
  action_type_id TEXT NOT NULL,
  case_id TEXT,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'todo', 'in_progress', 'closed')),
  reason TEXT,
  resolution TEXT,
  phase TEXT,
  input TEXT NOT NULL,
  output TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_error_at INTEGER,
  next_retry_at INTEGER,
  paused INTEGER NOT NULL DEFAULT 0,
  rejected_reason TEXT,
  external_reference TEXT,
  callback_outcome TEXT,
  escalated INTEGER NOT NULL DEFAULT 0,
  queue TEXT,
  assignee TEXT,
  due_at INTEGER,
  timeout_at INTEGER,
  heartbeat_at INTEGER,
  lease_owner TEXT,
  launch_key TEXT UNIQUE,
  launch_hash TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  version INTEGER NOT NULL
);
-- The timer index: only rows with something due are in it, so a million actions waiting for
-- callbacks cost the engine nothing.
CREATE INDEX actions_due ON actions (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX actions_state ON actions (state, id);
CREATE INDEX actions_type_retry ON actions (action_type_id) WHERE phase = 'retry_scheduled';
CREATE INDEX actions_case ON actions (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX actions_external_reference ON actions (external_reference) WHERE external_reference IS NOT NULL;

CREATE TABLE timeline (
  seq INTEGER PRIMARY KEY,
  action_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  data TEXT
);
CREATE INDEX timeline_action ON timeline (action_id, seq);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  user_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  action_id TEXT,
  case_id TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_name, id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
  roles TEXT NOT NULL, created_at INTEGER NOT NULL
);
