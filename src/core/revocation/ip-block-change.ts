/**
 * An IP block created or lifted, as the change feed carries it (issue 17). A block travels like
 * every revocation — appended to the feed in the transaction that creates or lifts it — so every
 * instance enforces it as soon as its replica reads the feed, in commit order: an instance that has
 * applied a later revocation has applied the block too.
 *
 * It is not a revocation: it covers no token (the sessions and API tokens a block revokes are their
 * own feed records, in the same commit, after it), so it never reaches RevocationState, the
 * snapshot or the push stream (the stream's wire format is about tokens; a verifier has no use for
 * it and rejects scopes it does not know).
 */

export const IP_BLOCK_CHANGE_SCOPES = ['ip_block', 'ip_unblock'] as const;

export interface IpBlockChange {
  readonly seq: number;
  /** `ip_block`: the block starts; `ip_unblock`: it was lifted. */
  readonly scope: (typeof IP_BLOCK_CHANGE_SCOPES)[number];
  /** The block's id. */
  readonly target: string;
  /** The blocked range, canonical CIDR text. */
  readonly cidr: string;
  /** When the block ends by itself (ms since the epoch); null: when lifted. */
  readonly expiresAtMs: number | null;
  readonly createdAtMs: number;
}

/** Whether a feed record is a block change rather than a revocation. */
export function isIpBlockChange(record: { readonly scope: string }): record is IpBlockChange {
  return (IP_BLOCK_CHANGE_SCOPES as readonly string[]).includes(record.scope);
}
