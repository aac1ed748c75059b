-- API tokens (SPEC §2, §5.3): only the SHA-256 of the secret and a display prefix are kept.
CREATE TABLE api_tokens (
  id            TEXT PRIMARY KEY,             -- UUID
  user_id       TEXT NOT NULL REFERENCES users (id),
  name          TEXT NOT NULL,
  token_hash    TEXT NOT NULL UNIQUE,
  token_prefix  TEXT NOT NULL,
  scopes        TEXT NOT NULL,                -- JSON array
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER,
  last_used_at  INTEGER,
  last_used_ip  TEXT,
  is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  revoked_at    INTEGER,
  revoked_by    TEXT,
  revoke_reason TEXT,
  is_canary     INTEGER NOT NULL DEFAULT 0 CHECK (is_canary IN (0, 1)),
  CHECK ((is_active = 1 AND revoked_at IS NULL) OR (is_active = 0 AND revoked_at IS NOT NULL))
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, is_active);

-- Revocation is permanent: no UPDATE may bring a revoked token back or rewrite its revocation.
CREATE TRIGGER api_tokens_revocation_is_permanent
BEFORE UPDATE OF is_active, revoked_at, revoked_by, revoke_reason, token_hash ON api_tokens
WHEN OLD.is_active = 0
BEGIN
  SELECT RAISE(ABORT, 'revoked API tokens cannot be reactivated or changed');
END;

-- Deleting a token row would erase its revocation (and a re-insert could resurrect the hash).
CREATE TRIGGER api_tokens_never_deleted
BEFORE DELETE ON api_tokens
BEGIN
  SELECT RAISE(ABORT, 'API tokens are never deleted; revoke them');
END;

-- INSERT OR REPLACE over a revoked row would delete and re-create it; refuse before that happens,
-- whatever the connection's recursive_triggers setting.
CREATE TRIGGER api_tokens_no_replace_of_revoked
BEFORE INSERT ON api_tokens
WHEN EXISTS (SELECT 1 FROM api_tokens WHERE (id = NEW.id OR token_hash = NEW.token_hash) AND is_active = 0)
BEGIN
  SELECT RAISE(ABORT, 'revoked API tokens cannot be reactivated or changed');
END;

-- Once-per-window operations whose limit must hold across restarts and instances.
CREATE TABLE rate_windows (
  key          TEXT PRIMARY KEY,
  last_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- Durable outbox: messages are committed with the change that causes them and sent later.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  kind            TEXT NOT NULL,
  recipient       TEXT NOT NULL,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until     INTEGER,
  sent_at         INTEGER,
  last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, next_attempt_at);
