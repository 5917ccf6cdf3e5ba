-- The health of each connector, shared by every node: its circuit breaker and whether it needs a person.
CREATE TABLE connector_status (
  connector_id TEXT COLLATE "C" PRIMARY KEY,
  doc JSONB NOT NULL,
  updated_at BIGINT NOT NULL
);
