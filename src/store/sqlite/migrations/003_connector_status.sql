-- The health of each connector, shared by every node: its circuit breaker and whether it needs a person.
CREATE TABLE connector_status (
  connector_id TEXT PRIMARY KEY,
  doc TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
