-- The first schema of the shared store. Times are epoch milliseconds (BIGINT); JSON is jsonb.
-- Ids collate "C" so they sort bytewise, as SQLite's do: ids are time-ordered and page by `id <`.
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE connectors (
  id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL UNIQUE, doc JSONB NOT NULL,
  revision INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);

CREATE TABLE action_types (
  id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL UNIQUE, doc JSONB NOT NULL,
  revision INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);

CREATE TABLE cases (
  id TEXT COLLATE "C" PRIMARY KEY, data JSONB NOT NULL DEFAULT '{}', owner TEXT,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);

CREATE TABLE actions (
  id TEXT COLLATE "C" PRIMARY KEY,
  action_type_id TEXT COLLATE "C" NOT NULL,
  case_id TEXT COLLATE "C",
  state TEXT NOT NULL CHECK (state IN ('waiting', 'todo', 'in_progress', 'closed')),
  reason TEXT,
  resolution TEXT,
  phase TEXT,
  input JSONB NOT NULL,
  output JSONB,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_error_at BIGINT,
  next_retry_at BIGINT,
  paused BOOLEAN NOT NULL DEFAULT false,
  rejected_reason TEXT,
  external_reference TEXT,
  callback_outcome TEXT,
  escalated BOOLEAN NOT NULL DEFAULT false,
  queue TEXT,
  assignee TEXT,
  due_at BIGINT,
  timeout_at BIGINT,
  heartbeat_at BIGINT,
  lease_owner TEXT,
  launch_key TEXT UNIQUE,
  launch_hash TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  closed_at BIGINT,
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
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  action_id TEXT COLLATE "C" NOT NULL,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  data JSONB
);
CREATE INDEX timeline_action ON timeline (action_id, seq);

CREATE TABLE notifications (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  action_id TEXT COLLATE "C",
  case_id TEXT COLLATE "C",
  at BIGINT NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_name, id);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
  roles JSONB NOT NULL, created_at BIGINT NOT NULL
);
