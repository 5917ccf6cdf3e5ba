-- Saved views: a named query of the work list or the cases list, kept for its owner (the user a key
-- acts as) or shared with everyone who reads that screen. A few per owner (the service caps them):
-- read by owner, and the shared ones by screen.
-- COLLATE "C" as in 001_init: lists sort by name as SQLite sorts them, whatever the database's locale.
CREATE TABLE saved_views (
  id TEXT COLLATE "C" PRIMARY KEY,
  owner TEXT COLLATE "C" NOT NULL,
  screen TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  -- The name as names are compared (lower-cased): "Failing now" and "failing now" are one view's name.
  name_key TEXT COLLATE "C" NOT NULL,
  query TEXT NOT NULL,
  shared BOOLEAN NOT NULL,
  revision INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (owner, screen, name_key)
);
CREATE INDEX saved_views_shared ON saved_views (screen, name_key) WHERE shared;
