-- Issue 9: IP revocations and blocks find what was issued to a range through an index.
-- Addresses get a fixed-width hex form (32 lowercase hex digits; IPv4 inside ::ffff:0:0/96) whose
-- text order is the numeric order, so a CIDR is `BETWEEN start AND end`. revokd_ip_hex() is the
-- same function the code uses (registered on the connection by migrate.ts) for the backfill.
ALTER TABLE session_ips ADD COLUMN ip_hex TEXT;
UPDATE session_ips SET ip_hex = revokd_ip_hex(ip);
CREATE INDEX session_ips_by_ip_hex ON session_ips (ip_hex);

-- API tokens: the address they were created from (backfilled from their audit entry) and the
-- searchable form of it and of the last-use address. Only live tokens are ever searched.
ALTER TABLE api_tokens ADD COLUMN created_ip TEXT;
ALTER TABLE api_tokens ADD COLUMN created_ip_hex TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_ip_hex TEXT;
UPDATE api_tokens SET created_ip = (
  SELECT a.ip FROM audit_log a WHERE a.type = 'api_token.created' AND a.target_id = api_tokens.id ORDER BY a.seq LIMIT 1
);
UPDATE api_tokens SET created_ip_hex = revokd_ip_hex(created_ip) WHERE created_ip IS NOT NULL;
UPDATE api_tokens SET last_used_ip_hex = revokd_ip_hex(last_used_ip) WHERE last_used_ip IS NOT NULL;
CREATE INDEX api_tokens_live_by_created_ip ON api_tokens (created_ip_hex) WHERE is_active = 1 AND is_canary = 0;
CREATE INDEX api_tokens_live_by_last_used_ip ON api_tokens (last_used_ip_hex) WHERE is_active = 1 AND is_canary = 0;
