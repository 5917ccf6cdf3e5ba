-- When a person's work item is due (the API's `dueAt`: a task's due time, set on creation or by an
-- operator), apart from due_at, which is when the engine next looks at the action. Null: no due time.
-- The index serves the work list's `due=overdue` and `dueBefore` (only items that have one are in it).
ALTER TABLE actions ADD COLUMN work_due_at BIGINT;
CREATE INDEX actions_work_due ON actions (work_due_at) WHERE work_due_at IS NOT NULL;
