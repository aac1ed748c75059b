/**
 * Disabling, enabling and re-keying a client (issue 9 item 10). Revoking a client kills its tokens
 * but not its secret; disabling also refuses its authentication (authenticateClient checks
 * `disabledAtMs`), so it cannot mint new ones.
 */
import { RevokdError } from '../core/errors.js';
import { newOpaqueToken, sha256Hex } from '../core/tokens/opaque.js';
import type { AuditEventInput } from '../core/audit/audit-event.js';
import type { Actor, ClientCutOff, ClientRecord, RevocationReport } from '../stores/types.js';
import { FIRST_PARTY_CLIENT_ID } from './clients.js';
import type { AppContext } from './context.js';
import { type RevokeRequest, revocationCommitted, revocationContext } from './revoke.js';

const CLIENT_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

async function findClientOrFail(ctx: AppContext, id: string): Promise<ClientRecord> {
  if (!CLIENT_ID.test(id))
    throw new RevokdError('ERR_VALIDATION', 'client id must be 1 to 128 letters, digits or _.:@-');
  const client = await ctx.stores.records.findClient(id);
  if (client === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such client');
  return client;
}

const auditOf = (
  type: 'client.disabled' | 'client.enabled' | 'client.secret_rotated',
  actor: Actor,
  id: string,
  ip: string | null,
) => ({
  type,
  actorType: actor.type,
  actorId: actor.id,
  targetType: 'client',
  targetId: id,
  ip,
  details: {},
});

/**
 * Refuses every authentication of the client from now on and revokes everything issued to it.
 * The built-in public client is refused (409): the web UI and first-party logins depend on it.
 */
export async function disableClient(
  ctx: AppContext,
  id: string,
  actor: Actor,
  ip: string | null,
): Promise<{ changed: boolean; revoked: RevocationReport }> {
  const client = await findClientOrFail(ctx, id);
  if (client.id === FIRST_PARTY_CLIENT_ID) {
    throw new RevokdError(
      'ERR_CONFLICT',
      'the built-in client serves the web UI and logins and cannot be disabled; revoke its tokens instead',
    );
  }
  const request: RevokeRequest = {
    initiator: actor.type === 'system' ? 'system' : 'admin',
    reason: 'client_disabled',
    actor,
    ip: ip ?? undefined,
  };
  // The flag and the revocation in one commit: no token can be minted between them, and no
  // instance sees the client refused while its tokens live on.
  const { changed, revocation } = await cutOff(
    ctx,
    client.id,
    { kind: 'disable' },
    auditOf('client.disabled', actor, client.id, ip),
    request,
  );
  return { changed, revoked: revocation };
}

/** A client's remedy and its client-scope revocation, committed together (store.cutOffClient). */
async function cutOff(
  ctx: AppContext,
  id: string,
  remedy: ClientCutOff,
  audit: AuditEventInput,
  request: RevokeRequest,
): Promise<{ changed: boolean; revocation: RevocationReport }> {
  const nowMs = ctx.now();
  const result = await ctx.stores.records.cutOffClient(
    id,
    remedy,
    nowMs,
    audit,
    revocationContext(ctx, request, nowMs),
  );
  revocationCommitted(ctx, 'client', request, result.revocation);
  return result;
}

/** Lets the client authenticate again; tokens revoked when it was disabled stay revoked. */
export async function enableClient(
  ctx: AppContext,
  id: string,
  actor: Actor,
  ip: string | null,
): Promise<{ changed: boolean }> {
  const client = await findClientOrFail(ctx, id);
  return {
    changed: await ctx.stores.records.setClientDisabled(
      client.id,
      false,
      ctx.now(),
      auditOf('client.enabled', actor, client.id, ip),
    ),
  };
}

/** The longest grace a rotation may give the replaced secret: a week (604 800 s). */
export const MAX_SECRET_GRACE_SECONDS = 7 * 24 * 3600;

/** The outcome of a rotation: the new secret (shown once) and when the old one stops working. */
export interface RotatedSecret {
  readonly clientId: string;
  readonly secret: string;
  readonly graceSeconds: number;
  /** When the replaced secret stops working (now, without a grace). */
  readonly oldSecretExpiresAtMs: number;
  /** What the rotation revoked at once (nothing with a grace: that waits for its end). */
  readonly revoked: RevocationReport | null;
}

/** `grace_seconds`: a whole number of seconds, 0 to a week. */
export function parseGraceSeconds(value: unknown): number {
  if (value === undefined) return 0;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_SECRET_GRACE_SECONDS
  ) {
    throw new RevokdError(
      'ERR_VALIDATION',
      `grace_seconds must be a whole number of seconds from 0 to ${MAX_SECRET_GRACE_SECONDS}`,
    );
  }
  return value;
}

/**
 * A new secret, returned once; only its hash is stored. Rotation is the response to a leaked
 * secret, so by default it cuts the old holder off at once: the old secret stops working, and a
 * client-scope revocation ends the client's open streams and revokes every token issued to it.
 * With `graceSeconds` (routine rotation, audited) the old secret keeps working until the grace
 * ends, and that same cut-off happens then (finishEndedSecretGraces).
 */
export async function rotateClientSecret(
  ctx: AppContext,
  id: string,
  actor: Actor,
  ip: string | null,
  graceSeconds = 0,
): Promise<RotatedSecret> {
  const grace = parseGraceSeconds(graceSeconds);
  const client = await findClientOrFail(ctx, id);
  if (client.secretHash === null)
    throw new RevokdError('ERR_CONFLICT', 'a public client has no secret to rotate');
  const secret = newOpaqueToken('cs_');
  const nowMs = ctx.now();
  const oldSecretExpiresAtMs = nowMs + grace * 1000;
  const audit = {
    ...auditOf('client.secret_rotated', actor, client.id, ip),
    details: { grace_seconds: grace },
  };
  if (grace === 0) {
    // The new hash and the cut-off in one commit: a token minted with the old secret either
    // committed before it (and this revocation covers it) or was refused at its commit.
    const { revocation } = await cutOff(
      ctx,
      client.id,
      { kind: 'rotate', secretHash: sha256Hex(secret) },
      audit,
      {
        initiator: actor.type === 'system' ? 'system' : 'admin',
        reason: 'compromised',
        note: 'client secret rotated',
        actor,
        ip: ip ?? undefined,
      },
    );
    return {
      clientId: client.id,
      secret,
      graceSeconds: 0,
      oldSecretExpiresAtMs,
      revoked: revocation,
    };
  }
  const replaced = await ctx.stores.records.replaceClientSecret(
    client.id,
    sha256Hex(secret),
    nowMs,
    audit,
    oldSecretExpiresAtMs,
  );
  if (!replaced) throw new RevokdError('ERR_NOT_FOUND', 'no such client');
  // Nothing revoked yet: the grace's end does it (finishEndedSecretGraces).
  return { clientId: client.id, secret, graceSeconds: grace, oldSecretExpiresAtMs, revoked: null };
}
