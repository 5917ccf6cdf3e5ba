-- Whether the person a task is with was told its work due time (work_due_at) passed; false again when
-- the due time changes. The index holds only the open tasks with a due time nobody was told of yet
-- (those due later among them): the sweep that tells reads the passed ones from its low end.
ALTER TABLE actions ADD COLUMN overdue_noticed BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX actions_overdue_watch ON actions (work_due_at)
  WHERE work_due_at IS NOT NULL AND NOT overdue_noticed AND state IN ('todo', 'in_progress');
