-- People and queues (SPEC 10.1): users, keys acting as a user, queues with a round-robin cursor,
-- notifications that can be marked read, and the lookups allocation and "my work" make.
CREATE TABLE users (
  name TEXT COLLATE "C" PRIMARY KEY, display_name TEXT NOT NULL, email TEXT, disabled BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);

CREATE TABLE queues (
  name TEXT COLLATE "C" PRIMARY KEY, doc JSONB NOT NULL, last_assignee TEXT,
  revision INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
);

ALTER TABLE api_keys ADD COLUMN user_name TEXT;
ALTER TABLE notifications ADD COLUMN read_at BIGINT;

CREATE INDEX actions_open_assignee ON actions (assignee) WHERE assignee IS NOT NULL AND state IN ('todo', 'in_progress');
CREATE INDEX actions_queue ON actions (queue, state) WHERE queue IS NOT NULL;
