-- Connector limits that hold across every engine node sharing the store.

-- Fixed windows of rate limits: permits used per connector, window length and window start.
CREATE TABLE rate_windows (
  connector_id TEXT COLLATE "C" NOT NULL,
  per_ms BIGINT NOT NULL,
  window_start BIGINT NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (connector_id, per_ms, window_start)
);

-- Attempts in flight per connector (maxConcurrency); a slot expires with its lease, so a dead
-- node's slots free themselves.
CREATE TABLE concurrency_slots (
  connector_id TEXT COLLATE "C" NOT NULL,
  action_id TEXT COLLATE "C" NOT NULL,
  until BIGINT NOT NULL,
  PRIMARY KEY (connector_id, action_id)
);
