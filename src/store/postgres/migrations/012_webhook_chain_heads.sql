-- Only the head of a chain (the oldest pending delivery of a subscription and ordering key) has a
-- due time; the others wait with none, and the end of the head's delivery hands the due time on.
-- A claim is then a range of one subscription's due index, with no look at the chain per row (which
-- made it scan a whole backlog, and a planner without statistics chose worse still).
UPDATE webhook_deliveries d SET due_at = NULL
 WHERE d.status = 'pending' AND EXISTS (
   SELECT 1 FROM webhook_deliveries e WHERE e.status = 'pending' AND e.subscription_id = d.subscription_id
      AND e.ordering_key = d.ordering_key AND e.ord < d.ord);
DROP INDEX webhook_deliveries_due;
DROP INDEX webhook_deliveries_chain;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (subscription_id, due_at) WHERE status = 'pending';
-- One expression for the chain, so that no other index can be taken for a look-up of it.
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries ((subscription_id || ' ' || ordering_key), ord) WHERE status = 'pending';
