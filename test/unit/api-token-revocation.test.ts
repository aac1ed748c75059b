/** Core API token revocation rules: the entry lives as long as the token, and the audit entries each revocation writes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allApiTokensRevokedAudit,
  apiTokenEntry,
  apiTokenRevokedAudit,
} from '../../src/core/revocation/api-token-revocation.js';

const CTX = {
  initiator: 'user',
  reason: 'user_request',
  actor: { type: 'user', id: 'u-1' },
} as const;
const TOKEN = {
  id: 'at-1',
  userId: 'u-1',
  name: 'ci',
  tokenPrefix: 'rvk_abcdefghijklmnop',
  expiresAtMs: 9_000,
};

test('an API token entry lives until the token expires, and forever for a token without expiry', () => {
  assert.deepEqual(apiTokenEntry(TOKEN), {
    scope: 'api_token',
    target: 'at-1',
    expiresAtMs: 9_000,
  });
  assert.equal(apiTokenEntry({ ...TOKEN, expiresAtMs: null }).expiresAtMs, null);
});

test('each revoked API token is audited with its owner and a truncated prefix, never the whole prefix', () => {
  const audit = apiTokenRevokedAudit(TOKEN, { ...CTX, note: 'rotated' });
  assert.equal(audit.type, 'api_token.revoked');
  assert.equal(audit.targetId, 'at-1');
  assert.equal(audit.ip, null);
  assert.equal(audit.details.owner, 'u-1');
  assert.equal(audit.details.note, 'rotated');
  assert.notEqual(audit.details.prefix, TOKEN.tokenPrefix);
});

test("revoking all of a user's API tokens adds one summary entry with the count (zero included)", () => {
  assert.deepEqual(allApiTokensRevokedAudit('u-1', 0, { ...CTX, ip: '198.51.100.1' }), {
    type: 'api_token.all_revoked',
    actorType: 'user',
    actorId: 'u-1',
    initiator: 'user',
    reason: 'user_request',
    targetType: 'user',
    targetId: 'u-1',
    ip: '198.51.100.1',
    details: { count: 0 },
  });
});
