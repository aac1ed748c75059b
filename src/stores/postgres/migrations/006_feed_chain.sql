-- The feed chain at the head of the feed (src/core/revocation/feed-chain.ts): the running SHA-256
-- over every revocation record of the change feed in seq (= commit) order. The writer of each
-- revocation record advances it in that record's transaction, under the feed lock (feed-lock.ts,
-- postgres/feed-head.ts); loadSnapshot reads it in the same REPEATABLE READ snapshot as the records,
-- as the chain at the snapshot's cursor, so every instance that starts from a snapshot and folds the
-- records the feed brings after it holds the value this row will hold.
-- IP block changes (scopes ip_block / ip_unblock) are feed rows but not revocations: not chained.
--
-- One row (id = 1). It starts at genesis (64 zeros). A database upgraded to this migration starts
-- its chain at genesis HERE: the revocations already in the feed are not chained (no consumer can
-- have a chain over them yet, and pruned ones could not be hashed anyway); the first revocation
-- written after the upgrade is chained from genesis.
--
-- `seq` is the seq of the last record chained: a snapshot's cursor is never below it. The records
-- with the highest seqs may have been pruned (MAX(seq) then falls below them) while the chain still
-- covers them; a cursor below them would have a consumer, resuming there from an instance that still
-- holds them in memory, hash them twice.
CREATE TABLE feed_head (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  chain TEXT NOT NULL CHECK (chain ~ '^[0-9a-f]{64}$'),
  seq BIGINT NOT NULL DEFAULT 0
);
INSERT INTO feed_head (id, chain) VALUES (1, '0000000000000000000000000000000000000000000000000000000000000000');
