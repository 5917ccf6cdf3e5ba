-- A key's sessions by age: signing in once more than the bound allows ends the key's oldest.
CREATE INDEX ui_sessions_key ON ui_sessions (key_hash, expires_at);
