-- The audit chain is keyed (HMAC under a key that is not in the database). Rows written before this
-- version were chained with plain SHA-256; the store re-chains them once under the key (after
-- verifying them) and records the fact here and as an `audit.chain_keyed` entry. See
-- src/stores/sqlite/key-legacy-chain.ts and docs/architecture.md (audit log).
CREATE TABLE IF NOT EXISTS audit_chain_keying (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  keyed_at INTEGER NOT NULL,
  legacy_entries INTEGER NOT NULL
);
