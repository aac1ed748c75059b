-- Issue 17 item 2: a rotated client secret may keep working for a grace period. The replaced
-- secret's hash and the end of its grace (ms since epoch) are kept until the grace is finished
-- (the server then revokes the client's tokens and clears both). NULL: no grace running.
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_expires_at INTEGER;
