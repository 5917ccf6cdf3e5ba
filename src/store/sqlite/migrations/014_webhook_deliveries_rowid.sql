-- The outbox without AUTOINCREMENT, whose counter row every insert (every event, in the action's
-- own transaction) also wrote. A new delivery's ord is still above every existing one (rows go only
-- with their subscription), which is all the chains need. (013 is PostgreSQL's launch keys' number.)
-- Attempts are kept aside while their parent is rebuilt: dropping it would delete them through their
-- foreign key.
CREATE TABLE webhook_deliveries_rebuilt (
  ord INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  event_type TEXT NOT NULL, ordering_key TEXT NOT NULL, sequence INTEGER NOT NULL, body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER, lease_owner TEXT, last_error TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
INSERT INTO webhook_deliveries_rebuilt
SELECT ord, id, subscription_id, event_type, ordering_key, sequence, body, status, attempts, due_at, lease_owner, last_error, created_at, updated_at
  FROM webhook_deliveries;
CREATE TABLE webhook_attempts_kept AS SELECT * FROM webhook_attempts;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_rebuilt RENAME TO webhook_deliveries;
CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  n INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL, excerpt TEXT,
  PRIMARY KEY (delivery_id, n)
);
INSERT INTO webhook_attempts SELECT * FROM webhook_attempts_kept;
DROP TABLE webhook_attempts_kept;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (subscription_id, due_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries ((subscription_id || ' ' || ordering_key), ord) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (subscription_id, ord);
