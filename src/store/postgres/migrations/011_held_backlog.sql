-- Where a connector's rate-limit backlog ends, so a node (re)starting goes on placing held actions
-- behind it (src/engine/rate-backlog.ts). Only held actions are in it.
CREATE INDEX actions_throttled ON actions (action_type_id, due_at) WHERE phase = 'throttled';
