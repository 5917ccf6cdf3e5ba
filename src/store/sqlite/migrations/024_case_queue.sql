-- A case's own queue (SPEC 1: a case has an owner and a queue), by the queue's name, which is its
-- identity (queues are neither renamed nor deleted). Null: the case has none. No index: the cases
-- list asks for "its own queue OR an open action on it", which an index on this column alone cannot serve.
ALTER TABLE cases ADD COLUMN queue TEXT;
