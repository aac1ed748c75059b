/**
 * The version of the revocation stream's protocol (docs/stream-protocol.md) and where it is
 * announced. 1: the unversioned stream (no proofs). 2: the feed chain, signed heartbeats and
 * snapshot proofs, unknown reasons accepted, unknown scopes fatal, the version announced.
 *
 * A consumer ignores what it does not know (fields, event types, reasons) and stops deciding on
 * what it cannot ignore (a revocation scope it does not know). The version goes up when the
 * service starts sending something an older consumer cannot ignore, so such a consumer can say
 * which version it would need.
 */
export const STREAM_PROTOCOL_VERSION = 2;

/** The response header that announces the version (snapshot part 0 announces it too). */
export const STREAM_PROTOCOL_HEADER = 'revokd-stream-protocol';
