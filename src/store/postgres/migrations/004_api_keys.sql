-- API keys can be revoked, record where they came from and when they were last used, and have unique
-- names among the keys not revoked (the name is who a key acts as on timelines).
ALTER TABLE api_keys ADD COLUMN origin TEXT;
ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT;
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;

-- Keys from before: the generated one is known by its hash; the ones made from CALLOUT_ADMIN_KEY were
-- all named "admin" with the single role admin, so a changed CALLOUT_ADMIN_KEY revokes them at start.
UPDATE api_keys SET origin = 'generated' WHERE key_hash = (SELECT value FROM settings WHERE key = 'generated_admin_key_hash');
UPDATE api_keys SET origin = 'env' WHERE origin IS NULL AND name = 'admin' AND roles = '["admin"]'::jsonb;

-- Names were not unique before: every later duplicate gets the end of its id appended.
UPDATE api_keys SET name = name || '-' || right(id, 12)
 WHERE EXISTS (SELECT 1 FROM api_keys o WHERE o.name = api_keys.name AND o.id < api_keys.id);

CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
