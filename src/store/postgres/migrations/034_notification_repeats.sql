-- A person's unread notice about a task replaces their unread one of the same kind about the same task
-- (a task handed back and forth tells them once, of the latest): this index finds it. Without it, a
-- flood of such hand-overs filled their list and pushed out what they had not read.
CREATE INDEX notifications_unread_repeat ON notifications (user_name, action_id, kind) WHERE read_at IS NULL;
