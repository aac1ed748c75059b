-- Containment (SPEC §5.4): IP blocks, decoy accounts, counters for detectors, stored alerts.
CREATE TABLE ip_blocks (
  id          TEXT PRIMARY KEY,
  cidr        TEXT NOT NULL,          -- canonical text, e.g. 203.0.113.0/24 or 198.51.100.7/32
  reason      TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('manual', 'honeypot', 'canary', 'decoy', 'brute_force')),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,                -- NULL: until lifted
  created_by  TEXT,
  lifted_at   INTEGER,
  lifted_by   TEXT
);
CREATE INDEX ip_blocks_active ON ip_blocks (lifted_at, expires_at);

ALTER TABLE users ADD COLUMN is_decoy INTEGER NOT NULL DEFAULT 0 CHECK (is_decoy IN (0, 1));

-- Fixed-window counters (failed logins per user/IP, honeypot hits per IP, token requests per user).
CREATE TABLE counters (
  key          TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  count        INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE alerts (
  id              TEXT PRIMARY KEY,
  severity        TEXT NOT NULL CHECK (severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
  type            TEXT NOT NULL,
  subject         TEXT,
  ip              TEXT,
  details         TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  dedupe_key      TEXT UNIQUE      -- one alert per key: a replayed token alerts once, not per request
);
CREATE INDEX alerts_by_time ON alerts (created_at);
