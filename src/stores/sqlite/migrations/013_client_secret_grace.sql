-- Issue 17 item 2: a rotated client secret may keep working for a grace period. The replaced
-- secret's hash and the end of its grace (ms since epoch) are kept until the grace is finished
-- (the server then revokes the client's tokens and clears both). NULL: no grace running.
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_expires_at INTEGER;

-- Issue 17 item 4: /oauth/introspect now needs the client scope `introspect` (a client without any
-- scope keeps it implicitly). A confidential client made before with explicit scopes could
-- introspect too, and keeps that — now written in its scopes — unless it holds `revocations:read`:
-- a stream reader, the client the security review found introspecting what it had no need of.
UPDATE clients SET scopes = json_insert(scopes, '$[#]', 'introspect')
WHERE secret_hash IS NOT NULL AND json_array_length(scopes) > 0
  AND NOT EXISTS (SELECT 1 FROM json_each(clients.scopes) WHERE value IN ('introspect', 'revocations:read'));
