/**
 * A feed record for unit tests: the fields a test names, over neutral defaults (no issuer, no
 * generation or window, never expires, an admin's revocation at time 0). One shape for every test
 * that builds records by hand, so a new RevocationRecord field is added here once.
 */
import type { RevocationRecord } from '../../src/core/revocation/types.js';

export function revocationRecord(
  fields: Partial<RevocationRecord> & Pick<RevocationRecord, 'seq' | 'scope' | 'target'>,
): RevocationRecord {
  return {
    issuer: null,
    generation: null,
    windowFrom: null,
    windowTo: null,
    expiresAtMs: null,
    initiator: 'admin',
    reason: 'admin',
    note: null,
    createdAtMs: 0,
    ...fields,
  };
}
