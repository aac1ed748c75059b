-- revokd schema for PostgreSQL: SQLite's migrations 001–009 consolidated into one clean schema.
-- Times are milliseconds since the epoch in BIGINT (returned to JS as numbers, see pool.ts).
-- JSON columns are TEXT: kept byte for byte as written, and read by the same row mappers as SQLite.
-- Fixed-width hex address columns are COLLATE "C" so text order is byte order (= numeric order):
-- a CIDR is then `ip_hex BETWEEN start AND end`, a btree range scan (see ip-ranges.ts).

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
  password_hash TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  disabled_at   BIGINT,
  is_decoy      BOOLEAN NOT NULL DEFAULT FALSE
);
-- Emails are unique and found ignoring case (SQLite: UNIQUE COLLATE NOCASE).
CREATE UNIQUE INDEX users_by_email ON users (lower(email));

CREATE TABLE clients (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  secret_hash TEXT,               -- SHA-256 hex of the secret; NULL for a public client
  grants      TEXT NOT NULL,      -- JSON array
  scopes      TEXT NOT NULL,      -- JSON array
  created_at  BIGINT NOT NULL,
  disabled_at BIGINT
);

CREATE TABLE signing_keys (
  kid                TEXT PRIMARY KEY,
  alg                TEXT NOT NULL,
  public_jwk         TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('active', 'retired', 'revoked')),
  created_at         BIGINT NOT NULL,
  retired_at         BIGINT,
  revoked_at         BIGINT,
  -- The private JWK sealed (AES-256-GCM) under a key derived from the service secret; NULL for HS256.
  private_key_sealed TEXT
);

-- Generation counters for the "everything issued before now" scopes (SPEC §3).
CREATE TABLE generations (
  scope      TEXT NOT NULL CHECK (scope IN ('global', 'user', 'client')),
  target     TEXT NOT NULL,
  generation BIGINT NOT NULL,
  PRIMARY KEY (scope, target)
);

CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  user_id       TEXT REFERENCES users (id),
  client_id     TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  last_used_at  BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,
  ip            TEXT NOT NULL,
  last_ip       TEXT NOT NULL,
  user_agent    TEXT NOT NULL,
  scope         TEXT NOT NULL,
  revoked_at    BIGINT,
  revoke_reason TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, revoked_at);
CREATE INDEX sessions_by_client ON sessions (client_id, revoked_at);

-- Every address a session was created or refreshed from: what an IP revocation searches.
CREATE TABLE session_ips (
  session_id    TEXT NOT NULL REFERENCES sessions (id),
  ip            TEXT NOT NULL,
  first_seen_at BIGINT NOT NULL,
  ip_hex        TEXT COLLATE "C",
  PRIMARY KEY (session_id, ip)
);
CREATE INDEX session_ips_by_ip ON session_ips (ip);
CREATE INDEX session_ips_by_ip_hex ON session_ips (ip_hex);

CREATE TABLE refresh_tokens (
  id               TEXT PRIMARY KEY,
  session_id       TEXT NOT NULL REFERENCES sessions (id),
  token_hash       TEXT NOT NULL UNIQUE,
  parent_id        TEXT,
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL,
  consumed_at      BIGINT,
  successor_id     TEXT,
  successor_sealed TEXT,
  gen              BIGINT NOT NULL,
  ugen             BIGINT NOT NULL,
  cgen             BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- The change feed: append-only. seq is handed out under the feed lock (feed-lock.ts), so seq order
-- is commit order and readers page by seq.
CREATE TABLE revocations (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope       TEXT NOT NULL,
  target      TEXT NOT NULL,
  issuer      TEXT,
  generation  BIGINT,
  window_from BIGINT,
  window_to   BIGINT,
  expires_at  BIGINT,
  initiator   TEXT NOT NULL,
  reason      TEXT NOT NULL,
  note        TEXT,
  created_at  BIGINT NOT NULL
);
CREATE INDEX revocations_by_expiry ON revocations (expires_at);
CREATE INDEX revocations_by_target ON revocations (scope, target);

-- Hash-chained audit log (HMAC under a key that is not in the database): seq = head + 1 and
-- prev_hash = head hash, both read under the feed lock (audit-writer.ts).
CREATE TABLE audit_log (
  seq         BIGINT PRIMARY KEY,
  at          BIGINT NOT NULL,
  type        TEXT NOT NULL,
  actor_type  TEXT NOT NULL,
  actor_id    TEXT,
  initiator   TEXT,
  reason      TEXT,
  target_type TEXT,
  target_id   TEXT,
  ip          TEXT,
  details     TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_log_by_type ON audit_log (type, at);
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id);
CREATE INDEX audit_log_by_target ON audit_log (target_id);

-- API tokens (SPEC §2, §5.3): only the SHA-256 of the secret and a display prefix are kept.
CREATE TABLE api_tokens (
  id               TEXT PRIMARY KEY,
  user_id          TEXT NOT NULL REFERENCES users (id),
  name             TEXT NOT NULL,
  token_hash       TEXT NOT NULL UNIQUE,
  token_prefix     TEXT NOT NULL,
  scopes           TEXT NOT NULL,             -- JSON array
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT,
  last_used_at     BIGINT,
  last_used_ip     TEXT,
  is_active        BOOLEAN NOT NULL DEFAULT TRUE,
  revoked_at       BIGINT,
  revoked_by       TEXT,
  revoke_reason    TEXT,
  is_canary        BOOLEAN NOT NULL DEFAULT FALSE,
  created_ip       TEXT,
  created_ip_hex   TEXT COLLATE "C",
  last_used_ip_hex TEXT COLLATE "C",
  CHECK ((is_active AND revoked_at IS NULL) OR (NOT is_active AND revoked_at IS NOT NULL))
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, is_active);
-- Only live, non-canary tokens are ever searched by address.
CREATE INDEX api_tokens_live_by_created_ip ON api_tokens (created_ip_hex) WHERE is_active AND NOT is_canary;
CREATE INDEX api_tokens_live_by_last_used_ip ON api_tokens (last_used_ip_hex) WHERE is_active AND NOT is_canary;

-- Revocation is permanent: no UPDATE may bring a revoked token back or rewrite its revocation, and
-- no DELETE may erase it (SQLite's third trigger, against INSERT OR REPLACE, has no PostgreSQL
-- counterpart to guard: an INSERT over an existing id or hash is a unique violation).
CREATE FUNCTION revokd_api_token_revocation_is_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'revoked API tokens cannot be reactivated or changed' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER api_tokens_revocation_is_permanent
BEFORE UPDATE OF is_active, revoked_at, revoked_by, revoke_reason, token_hash ON api_tokens
FOR EACH ROW WHEN (NOT OLD.is_active)
EXECUTE FUNCTION revokd_api_token_revocation_is_permanent();

CREATE FUNCTION revokd_api_tokens_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'API tokens are never deleted; revoke them' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER api_tokens_never_deleted
BEFORE DELETE ON api_tokens
FOR EACH ROW EXECUTE FUNCTION revokd_api_tokens_never_deleted();

-- Once-per-window operations whose limit must hold across restarts and instances.
CREATE TABLE rate_windows (
  key     TEXT PRIMARY KEY,
  last_at BIGINT NOT NULL
);

-- Durable outbox: messages are committed with the change that causes them and sent later.
CREATE TABLE outbox (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind            TEXT NOT NULL,
  recipient       TEXT NOT NULL,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until     BIGINT,
  sent_at         BIGINT,
  last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, next_attempt_at);

-- Containment (SPEC §5.4): IP blocks, counters for detectors, stored alerts.
CREATE TABLE ip_blocks (
  id          TEXT PRIMARY KEY,
  cidr        TEXT NOT NULL,          -- canonical text, e.g. 203.0.113.0/24 or 198.51.100.7/32
  reason      TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('manual', 'honeypot', 'canary', 'decoy', 'brute_force')),
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT,                 -- NULL: until lifted
  created_by  TEXT,
  lifted_at   BIGINT,
  lifted_by   TEXT
);
CREATE INDEX ip_blocks_active ON ip_blocks (lifted_at, expires_at);

-- Windowed counters (failed logins per user/IP, honeypot hits per IP, token requests per user).
CREATE TABLE counters (
  key          TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  count        INTEGER NOT NULL
);

CREATE TABLE alerts (
  id              TEXT PRIMARY KEY,
  severity        TEXT NOT NULL CHECK (severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
  type            TEXT NOT NULL,
  subject         TEXT,
  ip              TEXT,
  details         TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  acknowledged_at BIGINT,
  acknowledged_by TEXT,
  dedupe_key      TEXT UNIQUE      -- one alert per key: a replayed token alerts once, not per request
);
CREATE INDEX alerts_by_time ON alerts (created_at);
