/**
 * The feed chain: a running SHA-256 over the revocations of the change feed in commit order, as the
 * push stream sends them (docs/stream-protocol.md, "The chain"). It is what lets a stream consumer
 * prove it holds exactly the revocations the service holds: a signed heartbeat names the chain at
 * the head, and a consumer whose own chain differs has lost, gained, reordered or had altered an
 * event on the way.
 *
 *   chain₀ = 64 × "0"  (the feed's start, or where a database was upgraded to chained feeds)
 *   chainₙ = hex(SHA-256(bytes(chainₙ₋₁) ‖ UTF-8(dataₙ)))
 *
 * where `dataₙ` is the exact text of the revocation event's `data:` line. A consumer hashes the bytes
 * it received; the service hashes the text it sends, {@link revocationData}, which is a pure function
 * of the stored record — so every instance computes the same chain for the same feed, and the
 * writer of a record (the store, in the record's transaction) can advance the stored head chain the
 * readers start from. Records of the feed that are not sent (IP block changes) leave it unchanged.
 *
 * Changing what {@link revocationData} produces for a stored record changes every chain after it:
 * that is a new stream protocol version, never a refactoring.
 */
import { createHash } from 'node:crypto';
import type { RevocationRecord } from './types.js';
import { toWire } from './wire-format.js';

/** The chain before any revocation (64 hex zeros). */
export const GENESIS_CHAIN = '0'.repeat(64);

const CHAIN_PATTERN = /^[0-9a-f]{64}$/;

export function isChainValue(value: unknown): value is string {
  return typeof value === 'string' && CHAIN_PATTERN.test(value);
}

/** The `data:` text of a revocation event (also what the chain hashes). */
export function revocationData(record: RevocationRecord): string {
  return JSON.stringify(toWire(record));
}

/** The chain after one more event whose `data:` text is `data`. */
export function nextChain(previous: string, data: string): string {
  if (!isChainValue(previous)) throw new TypeError('a feed chain value is 64 lowercase hex digits');
  return createHash('sha256')
    .update(Buffer.from(previous, 'hex'))
    .update(data, 'utf8')
    .digest('hex');
}

/** The chain after one more revocation record. */
export function chainAfter(previous: string, record: RevocationRecord): string {
  return nextChain(previous, revocationData(record));
}
