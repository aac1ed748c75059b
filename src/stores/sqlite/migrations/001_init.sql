-- revokd schema v1. Times are milliseconds since the epoch unless a column says _sec.
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  disabled_at   INTEGER
);

CREATE TABLE clients (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  secret_hash TEXT,               -- SHA-256 hex of the secret; NULL for a public client
  grants      TEXT NOT NULL,      -- JSON array
  scopes      TEXT NOT NULL,      -- JSON array
  created_at  INTEGER NOT NULL,
  disabled_at INTEGER
);

CREATE TABLE signing_keys (
  kid        TEXT PRIMARY KEY,
  alg        TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('active', 'retired', 'revoked')),
  created_at INTEGER NOT NULL,
  retired_at INTEGER,
  revoked_at INTEGER
);

-- Generation counters for the "everything issued before now" scopes (SPEC §3).
CREATE TABLE generations (
  scope      TEXT NOT NULL CHECK (scope IN ('global', 'user', 'client')),
  target     TEXT NOT NULL,
  generation INTEGER NOT NULL,
  PRIMARY KEY (scope, target)
) WITHOUT ROWID;

CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  user_id       TEXT REFERENCES users (id),
  client_id     TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  ip            TEXT NOT NULL,
  last_ip       TEXT NOT NULL,
  user_agent    TEXT NOT NULL,
  scope         TEXT NOT NULL,
  revoked_at    INTEGER,
  revoke_reason TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, revoked_at);
CREATE INDEX sessions_by_client ON sessions (client_id, revoked_at);

-- Every address a session was created or refreshed from: what an IP revocation searches.
CREATE TABLE session_ips (
  session_id    TEXT NOT NULL REFERENCES sessions (id),
  ip            TEXT NOT NULL,
  first_seen_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, ip)
) WITHOUT ROWID;
CREATE INDEX session_ips_by_ip ON session_ips (ip);

CREATE TABLE refresh_tokens (
  id               TEXT PRIMARY KEY,
  session_id       TEXT NOT NULL REFERENCES sessions (id),
  token_hash       TEXT NOT NULL UNIQUE,
  parent_id        TEXT,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  consumed_at      INTEGER,
  successor_id     TEXT,
  successor_sealed TEXT,
  gen              INTEGER NOT NULL,
  ugen             INTEGER NOT NULL,
  cgen             INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- The change feed: append-only, ordered by seq; replicas apply it to stay current.
CREATE TABLE revocations (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  scope       TEXT NOT NULL,
  target      TEXT NOT NULL,
  issuer      TEXT,
  generation  INTEGER,
  window_from INTEGER,
  window_to   INTEGER,
  expires_at  INTEGER,
  initiator   TEXT NOT NULL,
  reason      TEXT NOT NULL,
  note        TEXT,
  created_at  INTEGER NOT NULL
);
CREATE INDEX revocations_by_expiry ON revocations (expires_at);
CREATE INDEX revocations_by_target ON revocations (scope, target);

-- Hash-chained audit log: hash = SHA-256(prev_hash || canonical entry).
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
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
