-- What became of an outbound integration exchange (SPEC 7): NULL while its action is under way, 'sent' once it went through, 'failed' when its action
-- failed for good (To Do for a person, or closed Not Done), 'not_sent' when its input was refused at
-- launch. The integration service settles entries from their action's outcome; those pending or
-- failed are few (requests in flight, failures awaiting a person), and found by this index.
ALTER TABLE integration_log ADD COLUMN outcome TEXT;
-- Those that went through before are recorded as sent here, at once, rather than one by one by the
-- sweep; those that failed are left for it: their tasks, left waiting on a provider who never got
-- them, come back To Do on their queues.
UPDATE integration_log SET outcome = 'sent'
 WHERE direction = 'Out' AND action_id IN (SELECT id FROM actions WHERE state = 'closed' AND resolution = 'done_successfully');
CREATE INDEX integration_log_unsettled ON integration_log (action_id)
  WHERE direction = 'Out' AND action_id IS NOT NULL AND (outcome IS NULL OR outcome IN ('failed', 'not_sent'));
