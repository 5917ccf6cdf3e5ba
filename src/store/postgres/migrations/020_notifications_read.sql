-- The notification bound drops a user's oldest read notices first; without an index of the read ones,
-- finding them walked every unread notice older than they are (a store upgraded with a long backlog of
-- unread ones paid that inside each inserting transaction).
CREATE INDEX notifications_user_read ON notifications (user_name, id) WHERE read_at IS NOT NULL;
