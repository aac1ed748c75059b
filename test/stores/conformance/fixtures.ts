/**
 * What the conformance cases share: a fixed clock, revocation context and audit input, and the
 * helpers that create the records most cases start from. Every case uses its own ids, so the
 * cases of one suite can share its store.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../../../src/core/audit/audit-event.js';
import { newId, sha256Hex } from '../../../src/core/tokens/opaque.js';
import type {
  ApiTokenRevocation,
  RevocationContext,
  RevokdStore,
  SigningKeyRecord,
} from '../../../src/stores/types.js';

export const NOW = 1_800_000_000_000;
/** Access TTL + clock tolerance the cases revoke with (session entries live this long past the session). */
export const COVER = 906_000;

export const audit = (type: AuditEventInput['type'] = 'session.created'): AuditEventInput => ({
  type,
  actorType: 'system',
  actorId: null,
  targetType: null,
  targetId: null,
  ip: null,
  details: {},
});
export const ctx = (over: Partial<RevocationContext> = {}): RevocationContext => ({
  initiator: 'admin',
  reason: 'admin',
  actor: { type: 'cli', id: null },
  nowMs: NOW,
  accessCoverMs: COVER,
  ...over,
});

/** An active EdDSA signing key named `kid` (public JWK made up, no private half), with `over` applied. */
export const activeKey = (kid: string, over: Partial<SigningKeyRecord> = {}): SigningKeyRecord => ({
  kid,
  alg: 'EdDSA',
  publicJwk: { kty: 'OKP', crv: 'Ed25519', x: kid },
  status: 'active',
  createdAtMs: NOW,
  retiredAtMs: null,
  revokedAtMs: null,
  privateKeySealed: null,
  ...over,
});

/** The record-making helpers, bound to the suite's store (read through `store()` at call time). */
export function storeFixtures(store: () => RevokdStore) {
  async function newUser(email = `${randomUUID()}@example.com`) {
    const user = {
      id: randomUUID(),
      email,
      role: 'user' as const,
      passwordHash: 'scrypt$x',
      createdAtMs: NOW,
      disabledAtMs: null,
    };
    await store().createUser(user, audit('user.created'));
    return user;
  }

  async function newSession(
    userId: string,
    ip = '192.0.2.1',
    opts: { expiresAtMs?: number; clientId?: string } = {},
  ) {
    const id = newId();
    const token = `rt_${newId()}${newId()}`;
    const gens = await store().createSession({
      session: {
        id,
        userId,
        clientId: opts.clientId ?? 'revokd',
        createdAtMs: NOW,
        expiresAtMs: opts.expiresAtMs ?? NOW + 3_600_000,
        ip,
        userAgent: 'ua',
        scope: '',
      },
      refresh: {
        id: newId(),
        tokenHash: sha256Hex(token),
        createdAtMs: NOW,
        expiresAtMs: NOW + 600_000,
      },
      audit: audit(),
    });
    return { id, token, gens };
  }

  const consume = (token: string, nowMs = NOW + 1000, ip = '192.0.2.1') => {
    const next = `rt_${newId()}${newId()}`;
    return store()
      .consumeRefresh({
        tokenHash: sha256Hex(token),
        nowMs,
        ip,
        successorSealed: 'sealed',
        successor: {
          id: newId(),
          tokenHash: sha256Hex(next),
          createdAtMs: nowMs,
          expiresAtMs: nowMs + 600_000,
        },
        audit: audit('refresh_token.rotated'),
      })
      .then((outcome) => ({ outcome, next }));
  };

  async function newApiToken(
    userId: string,
    over: Partial<{ expiresAtMs: number | null; isCanary: boolean; createdIp: string | null }> = {},
    cap: number | null = null,
  ) {
    const id = randomUUID();
    await store().createApiToken(
      {
        id,
        userId,
        name: `t-${id.slice(0, 4)}`,
        tokenHash: sha256Hex(id),
        tokenPrefix: 'rvk_abcd',
        scopes: ['read'],
        createdAtMs: NOW,
        expiresAtMs: over.expiresAtMs ?? null,
        isCanary: over.isCanary ?? false,
        createdIp: over.createdIp ?? null,
      },
      { maxLivePerUser: cap },
      audit('api_token.created'),
    );
    return id;
  }

  const apiCtx = (
    userId: string,
    ids?: string[],
    rateWindow?: { key: string; windowMs: number },
    nowMs = NOW,
  ): ApiTokenRevocation => ({
    selection:
      ids === undefined
        ? { kind: 'all_of_user' as const, userId }
        : { kind: 'ids' as const, ids, userId },
    context: ctx({ nowMs }),
    revokedBy: userId,
    ...(rateWindow === undefined ? {} : { rateWindow }),
    notify: (t: { name: string }, owner: { email: string }) => ({
      kind: 'api_token.revoked',
      recipient: owner.email,
      subject: `revoked ${t.name}`,
      body: 'b',
    }),
  });

  const blockOf = (cidr: string) =>
    store().createIpBlock(
      {
        id: randomUUID(),
        cidr,
        reason: 'test',
        source: 'manual',
        createdAtMs: NOW,
        expiresAtMs: NOW + 1000,
        createdBy: null,
      },
      ctx({ reason: 'ip_block' }),
      {
        notify: (t, owner) => ({
          kind: 'api_token.revoked',
          recipient: owner.email,
          subject: `revoked ${t.name}`,
          body: t.revokeReason ?? '',
        }),
      },
    );

  return { newUser, newSession, consume, newApiToken, apiCtx, blockOf };
}
