-- People and queues (SPEC 10.1): users, keys acting as a user, queues with a round-robin cursor,
-- notifications that can be marked read, and the lookups allocation and "my work" make.
CREATE TABLE users (
  name TEXT PRIMARY KEY, display_name TEXT NOT NULL, email TEXT, disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE queues (
  name TEXT PRIMARY KEY, doc TEXT NOT NULL, last_assignee TEXT,
  revision INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

ALTER TABLE api_keys ADD COLUMN user_name TEXT;
ALTER TABLE notifications ADD COLUMN read_at INTEGER;

CREATE INDEX actions_open_assignee ON actions (assignee) WHERE assignee IS NOT NULL AND state IN ('todo', 'in_progress');
CREATE INDEX actions_queue ON actions (queue, state) WHERE queue IS NOT NULL;
