/** The scope table: one entry per scope, and the names and lists read from it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SCOPE_NAMES,
  SCOPE_RULES,
  isRevocationScope,
  scopeForOperatorName,
} from '../../src/core/revocation/scope-rules.js';
import { REVOCATION_SCOPES } from '../../src/core/revocation/types.js';
import { OPERATOR_SCOPES } from '../../src/app/revoke-by-scope.js';

test('operators name the scopes as they always did, in the same order', () => {
  assert.deepEqual(OPERATOR_SCOPES, [
    'jti',
    'session',
    'user',
    'client',
    'key',
    'ip',
    'window',
    'api-token',
    'all',
  ]);
  assert.equal(scopeForOperatorName('jti'), 'token');
  assert.equal(scopeForOperatorName('all'), 'global');
  assert.equal(scopeForOperatorName('token'), undefined);
  assert.equal(scopeForOperatorName('toString'), undefined);
});

test('every feed scope, and only those, has a wire shape; ip writes session records instead', () => {
  for (const scope of SCOPE_NAMES)
    assert.equal(SCOPE_RULES[scope].wire !== null, isRevocationScope(scope), scope);
  assert.deepEqual([...REVOCATION_SCOPES].sort(), SCOPE_NAMES.filter(isRevocationScope).sort());
  assert.equal(isRevocationScope('ip'), false);
  assert.equal(isRevocationScope('constructor'), false);
});

test('each scope names its target with its own wire field', () => {
  const fields = SCOPE_NAMES.map((scope) => SCOPE_RULES[scope].wire?.target).filter(
    (f) => typeof f === 'string',
  );
  assert.equal(new Set(fields).size, fields.length);
});
