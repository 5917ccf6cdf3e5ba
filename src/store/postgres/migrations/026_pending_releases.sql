-- Members taken off a queue whose To Do tasks on it are still being given back to it (SPEC 10.1): the
-- first page moves before the change answers, the rest after it. Written in the transaction of the
-- queue's change, so a node that stops between pages loses nothing: any node's task sweep moves the
-- rest of one not fresh. The row goes when the last page is done, or when the holder is back on the
-- queue. Few rows at any time (releases in progress): read whole, no index beyond the key.
CREATE TABLE pending_releases (
  holder TEXT NOT NULL,
  queue TEXT NOT NULL,
  -- Who took them off (the timeline's "by"), and the reason each task's move gives.
  released_by TEXT NOT NULL,
  because TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (holder, queue)
);
