-- The feed chain at the head of the feed (src/core/revocation/feed-chain.ts): the running SHA-256
-- over every revocation record of the change feed in seq (= commit) order. The writer of each
-- revocation record advances it in that record's transaction (sqlite/feed-head.ts); loadSnapshot
-- reads it with the records, as the chain at the snapshot's cursor, so every reader that starts
-- from a snapshot and folds the records the feed brings after it holds the value this row will hold.
-- IP block changes (scopes ip_block / ip_unblock) are feed rows but not revocations: not chained.
--
-- One row (id = 1). It starts at genesis (64 zeros). A database upgraded to this migration starts
-- its chain at genesis HERE: the revocations already in the feed are not chained (no consumer can
-- have a chain over them yet, and pruned ones could not be hashed anyway); the first revocation
-- written after the upgrade is chained from genesis.
CREATE TABLE feed_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  chain TEXT NOT NULL CHECK (length(chain) = 64 AND chain NOT GLOB '*[^0-9a-f]*')
);
INSERT INTO feed_head (id, chain) VALUES (1, '0000000000000000000000000000000000000000000000000000000000000000');
