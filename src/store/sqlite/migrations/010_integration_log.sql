-- The integration log of tasks on integrated queues (SPEC 7): every exchange with the provider, both
-- directions, written in the transaction of the task change it logs. `action_id` is the action an
-- outbound exchange launched: its callback token leads back to the task.
CREATE TABLE integration_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL,
  request_type TEXT NOT NULL,
  direction TEXT NOT NULL,
  at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  result TEXT NOT NULL,
  action_id TEXT,
  queue TEXT NOT NULL
);
CREATE INDEX integration_log_task ON integration_log (task_id, seq);
CREATE INDEX integration_log_action ON integration_log (action_id) WHERE action_id IS NOT NULL;
