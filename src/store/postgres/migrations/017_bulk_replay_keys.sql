-- Bulk replays repeated with the same Idempotency-Key (a client that timed out and asks again): the
-- first run's report is answered again rather than retrying or closing actions a second time. A row
-- is taken before the run (report null, held by `owner`, a token of that run, until lease_until, which
-- the run renews) and filled when it ends; kept a day.
CREATE TABLE bulk_replay_keys (
  idempotency_key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  report TEXT,
  owner TEXT NOT NULL,
  lease_until BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX bulk_replay_keys_created ON bulk_replay_keys (created_at);
