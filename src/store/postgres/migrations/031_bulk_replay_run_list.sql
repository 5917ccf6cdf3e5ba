-- Bulk replay runs listed (GET /v1/bulk-replays, newest first by id, an operator's own or, for an
-- admin, anyone's or one person's) and deleted once 30 days have passed since they last moved
-- (updated_at: a finished run's end; a live run moves each minute, so only stopped ones grow old).
CREATE INDEX bulk_replay_runs_owner ON bulk_replay_runs (created_by, id);
CREATE INDEX bulk_replay_runs_moved ON bulk_replay_runs (updated_at);
