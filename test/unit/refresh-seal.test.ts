import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSuccessor, sealSuccessor } from '../../src/core/tokens/refresh-seal.js';

test('a sealed successor opens only with the predecessor and salt it was sealed under', () => {
  const sealed = sealSuccessor('rt_predecessor', 'salt-1', 'rt_successor');
  assert.ok(!sealed.includes('rt_successor'));
  assert.equal(openSuccessor('rt_predecessor', 'salt-1', sealed), 'rt_successor');
  assert.equal(openSuccessor('rt_other', 'salt-1', sealed), undefined);
  assert.equal(openSuccessor('rt_predecessor', 'salt-2', sealed), undefined);
  assert.equal(openSuccessor('rt_predecessor', 'salt-1', 'garbage'), undefined);
  const [iv, tag, body] = sealed.split('.') as [string, string, string];
  const flipped = (body[0] === 'A' ? 'B' : 'A') + body.slice(1);
  assert.equal(
    openSuccessor('rt_predecessor', 'salt-1', [iv, tag, flipped].join('.')),
    undefined,
    'a tampered body fails authentication',
  );
});
