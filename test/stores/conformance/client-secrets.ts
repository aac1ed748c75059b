/**
 * Client secrets across a rotation (issue 17 item 2): a grace keeps the replaced hash until it
 * ends, and a session obtained with a secret is written only if that secret still authenticates
 * the client when it commits — the secret is checked before, and a rotation or a disable can
 * commit in between (the race that would leave a token no revocation covers).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../../src/core/tokens/opaque.js';
import type { ClientRecord, RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW, audit, ctx } from './fixtures.js';

const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);
const GRACE_END = NOW + 60_000;

export function describeClientSecretsConformance(backend: StoreBackend): void {
  describe('client secrets', () => {
    let store!: RevokdStore;
    useStore(backend, (opened) => {
      store = opened;
    });

    async function newClient(): Promise<ClientRecord> {
      const client: ClientRecord = {
        id: `cl_${newId()}`,
        name: 'c',
        secretHash: OLD,
        grants: ['client_credentials'],
        scopes: [],
        createdAtMs: NOW,
        disabledAtMs: null,
      };
      await store.createClient(client, audit('client.created'));
      return client;
    }
    /** A client_credentials session obtained with the secret whose hash is `hash`, checked at `nowMs`. */
    async function sessionWith(clientId: string, hash: string, nowMs = NOW): Promise<string> {
      const id = newId();
      await store.createSession({
        session: {
          id,
          userId: null,
          clientId,
          createdAtMs: nowMs,
          expiresAtMs: nowMs + 900_000,
          ip: '192.0.2.1',
          userAgent: '',
          scope: '',
        },
        refresh: null,
        clientSecret: { hash, nowMs },
        audit: audit('access_token.issued'),
      });
      return id;
    }
    const refusedAsInvalidClient = (err: { code?: string }): boolean =>
      err.code === 'ERR_INVALID_CLIENT';

    test('a session is written only while the secret it was obtained with still authenticates the client', async () => {
      const client = await newClient();
      assert.ok(await store.findSession(await sessionWith(client.id, OLD)), 'the current secret');
      assert.equal(
        await store.replaceClientSecret(client.id, NEW, NOW, audit('client.secret_rotated')),
        true,
      );
      const auditBefore = (await store.listAudit({ afterSeq: 0, limit: 10_000 })).length;
      await assert.rejects(
        sessionWith(client.id, OLD),
        refusedAsInvalidClient,
        'the replaced secret, no grace',
      );
      assert.equal(
        (await store.listAudit({ afterSeq: 0, limit: 10_000 })).length,
        auditBefore,
        'nothing written',
      );
      assert.ok(await store.findSession(await sessionWith(client.id, NEW)), 'the new secret');
      assert.equal(
        await store.setClientDisabled(client.id, true, NOW, audit('client.disabled')),
        true,
      );
      await assert.rejects(
        sessionWith(client.id, NEW),
        refusedAsInvalidClient,
        'a disabled client',
      );
      await assert.rejects(
        sessionWith(`cl_${newId()}`, NEW),
        refusedAsInvalidClient,
        'an unknown client',
      );
    });

    test('cutOffClient: a disable or a rotation without grace commits with its client-scope revocation', async () => {
      const disabled = await newClient();
      const session = await sessionWith(disabled.id, OLD);
      const off = await store.cutOffClient(
        disabled.id,
        { kind: 'disable' },
        NOW,
        audit('client.disabled'),
        ctx({ reason: 'client_disabled' }),
      );
      assert.equal(off.changed, true);
      assert.deepEqual(
        off.revocation.records.map((r) => [r.scope, r.target, r.reason]),
        [['client', disabled.id, 'client_disabled']],
        'the revocation is in the same commit',
      );
      assert.notEqual((await store.findClient(disabled.id))?.disabledAtMs, null);
      assert.notEqual((await store.findSession(session))?.revokedAtMs, null);
      await assert.rejects(sessionWith(disabled.id, OLD), refusedAsInvalidClient);

      const rotated = await newClient();
      const cut = await store.cutOffClient(
        rotated.id,
        { kind: 'rotate', secretHash: NEW },
        NOW,
        audit('client.secret_rotated'),
        ctx({ reason: 'compromised' }),
      );
      assert.equal(cut.changed, true);
      assert.deepEqual(
        cut.revocation.records.map((r) => [r.scope, r.target]),
        [['client', rotated.id]],
      );
      const after = await store.findClient(rotated.id);
      assert.equal(after?.secretHash, NEW);
      assert.equal(after?.previousSecretHash ?? null, null, 'no grace: the old hash is gone');
      await assert.rejects(sessionWith(rotated.id, OLD), refusedAsInvalidClient);

      const feedBefore = (await store.readFeed('0', 100_000)).records.length;
      await assert.rejects(
        store.cutOffClient(
          `cl_${newId()}`,
          { kind: 'rotate', secretHash: NEW },
          NOW,
          audit('client.secret_rotated'),
          ctx(),
        ),
        (err: { code?: string }) => err.code === 'ERR_NOT_FOUND',
      );
      assert.equal(
        (await store.readFeed('0', 100_000)).records.length,
        feedBefore,
        'a refused rotation revokes nothing',
      );
    });

    test('a grace keeps the replaced secret until it ends; a rotation without one drops it', async () => {
      const client = await newClient();
      assert.equal(
        await store.replaceClientSecret(
          client.id,
          NEW,
          NOW,
          audit('client.secret_rotated'),
          GRACE_END,
        ),
        true,
      );
      const rotated = await store.findClient(client.id);
      assert.equal(rotated?.secretHash, NEW);
      assert.equal(rotated?.previousSecretHash, OLD);
      assert.equal(rotated?.previousSecretExpiresAtMs, GRACE_END);
      assert.ok(
        await store.findSession(await sessionWith(client.id, OLD, GRACE_END - 1)),
        'the old secret within the grace',
      );
      await assert.rejects(
        sessionWith(client.id, OLD, GRACE_END),
        refusedAsInvalidClient,
        'the old secret once the grace has ended',
      );

      assert.deepEqual(
        (await store.listEndedSecretGraces(GRACE_END - 1)).filter((c) => c.id === client.id),
        [],
        'not ended yet',
      );
      assert.deepEqual(
        (await store.listEndedSecretGraces(GRACE_END))
          .filter((c) => c.id === client.id)
          .map((c) => c.id),
        [client.id],
      );
      assert.equal(
        await store.endSecretGrace(client.id, GRACE_END + 1),
        false,
        'another grace: left alone',
      );
      assert.equal(await store.endSecretGrace(client.id, GRACE_END), true);
      assert.equal(await store.endSecretGrace(client.id, GRACE_END), false, 'once');
      const ended = await store.findClient(client.id);
      assert.equal(ended?.previousSecretHash ?? null, null);
      assert.equal(ended?.previousSecretExpiresAtMs ?? null, null);

      const other = await newClient();
      await store.replaceClientSecret(
        other.id,
        NEW,
        NOW,
        audit('client.secret_rotated'),
        GRACE_END,
      );
      await store.replaceClientSecret(
        other.id,
        'c'.repeat(64),
        NOW,
        audit('client.secret_rotated'),
      );
      assert.equal(
        (await store.findClient(other.id))?.previousSecretHash ?? null,
        null,
        'a rotation without grace ends a running one',
      );
      await assert.rejects(sessionWith(other.id, NEW), refusedAsInvalidClient);
      await assert.rejects(sessionWith(other.id, OLD), refusedAsInvalidClient);
    });
  });
}
