/** The audit chain key tests open stores with (a real key would come from the service secret). */
import { deriveAuditKeys } from '../../src/core/audit/audit-keys.js';

export const TEST_AUDIT_KEYS = deriveAuditKeys(
  Buffer.from('revokd test secret, not for production use'),
);
export const TEST_AUDIT_KEY = TEST_AUDIT_KEYS.chain;
