-- Connector limits that hold across every engine process sharing the store.

-- Fixed windows of rate limits: permits used per connector, window length and window start.
CREATE TABLE rate_windows (
  connector_id TEXT NOT NULL,
  per_ms INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (connector_id, per_ms, window_start)
);

-- Attempts in flight per connector (maxConcurrency); a slot expires with its lease, so a dead
-- node's slots free themselves.
CREATE TABLE concurrency_slots (
  connector_id TEXT NOT NULL,
  action_id TEXT NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (connector_id, action_id)
);
