-- Tasks that landed on a queue integrated with a provider by its allocation (a failed action, a task
-- put on its case's queue, a launch refused onto its type's queue) and are still to be submitted to it
-- (SPEC 7: a task assigned to the queue launches its 'Submit Request'). Written in the transaction of
-- the landing, so a node that stops before submitting loses nothing: any node's integration sweep
-- submits what is here, and the row goes once the task's integration log holds its first exchange.
-- A person's assignment to such a queue is submitted at once and never lands here.
CREATE TABLE integration_pending (
  action_id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  at BIGINT NOT NULL,
  -- Whom the queue's allocation gave it to as it landed (null: no one): a task given to another
  -- person since, or picked up, is theirs and is not sent.
  assignee TEXT
);
