-- Webhooks out (subscriptions, an outbox of deliveries with their attempts) and the ids of signed
-- inbound requests, remembered against replays.
CREATE TABLE webhook_subscriptions (
  id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, description TEXT,
  enabled INTEGER NOT NULL, secrets TEXT NOT NULL,
  failing_since INTEGER, disabled_at INTEGER, disabled_reason TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL
);

-- The last sequence number given to each case's (or case-less action's) events.
CREATE TABLE webhook_sequences (ordering_key TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);

-- One row per event and subscription, written in the transaction of the change that caused it.
-- ord orders a subscription's deliveries of one ordering key: only the oldest pending one is sent.
CREATE TABLE webhook_deliveries (
  ord INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  event_type TEXT NOT NULL, ordering_key TEXT NOT NULL, sequence INTEGER NOT NULL, body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER, lease_owner TEXT, last_error TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (subscription_id, ordering_key, ord) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (subscription_id, ord);

CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  n INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL, excerpt TEXT,
  PRIMARY KEY (delivery_id, n)
);

-- Ids of verified inbound requests, kept until `until` (7 days); the key refuses a replay.
CREATE TABLE inbound_ids (id TEXT PRIMARY KEY, until INTEGER NOT NULL);
