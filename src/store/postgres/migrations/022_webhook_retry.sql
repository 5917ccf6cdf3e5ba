-- A webhook subscription's own retry policy (an action type's, as JSON); null keeps the deployment's
-- delivery schedule (Standard Webhooks').
ALTER TABLE webhook_subscriptions ADD COLUMN retry jsonb;
