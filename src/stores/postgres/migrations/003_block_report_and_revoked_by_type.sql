-- Issue 12: what each IP block revoked, kept with the block (NULL: a block made before this
-- version, whose counts were not recorded); and who revoked an API token, by type as well as id.
ALTER TABLE ip_blocks ADD COLUMN revoked_sessions INTEGER;
ALTER TABLE ip_blocks ADD COLUMN revoked_refresh_tokens INTEGER;
ALTER TABLE ip_blocks ADD COLUMN revoked_api_tokens INTEGER;

ALTER TABLE api_tokens ADD COLUMN revoked_by_type TEXT
  CHECK (revoked_by_type IS NULL OR revoked_by_type IN ('user', 'admin', 'client', 'system', 'cli'));
-- Tokens revoked before: the actor of their revocation's audit entry (the trigger below does not
-- cover the new column yet, so this backfill of revoked rows passes it).
UPDATE api_tokens SET revoked_by_type = (
  SELECT a.actor_type FROM audit_log a WHERE a.type = 'api_token.revoked' AND a.target_id = api_tokens.id
    AND a.actor_type IN ('user', 'admin', 'client', 'system', 'cli') ORDER BY a.seq LIMIT 1
) WHERE NOT is_active;

-- The revoker's type is part of the permanent revocation, like revoked_by.
DROP TRIGGER api_tokens_revocation_is_permanent ON api_tokens;
CREATE TRIGGER api_tokens_revocation_is_permanent
BEFORE UPDATE OF is_active, revoked_at, revoked_by, revoked_by_type, revoke_reason, token_hash ON api_tokens
FOR EACH ROW WHEN (NOT OLD.is_active)
EXECUTE FUNCTION revokd_api_token_revocation_is_permanent();
