-- The web UI's sessions, kept in the store so that signing out ends a session on every node even
-- when its cookie was copied: the cookie holds a random id whose hash is the row's key.
CREATE TABLE ui_sessions (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
