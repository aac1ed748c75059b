/**
 * Disabling, enabling and re-keying a client (issue 9 item 10). Revoking a client kills its tokens
 * but not its secret; disabling also refuses its authentication (authenticateClient checks
 * `disabledAtMs`), so it cannot mint new ones.
 */
import { RevokdError } from '../core/errors.js';
import { newOpaqueToken, sha256Hex } from '../core/tokens/opaque.js';
import type { Actor, ClientRecord, RevocationReport } from '../stores/types.js';
import { FIRST_PARTY_CLIENT_ID } from './clients.js';
import type { AppContext } from './context.js';
import { revoke } from './revoke.js';

const CLIENT_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

async function findClientOrFail(ctx: AppContext, id: string): Promise<ClientRecord> {
  if (!CLIENT_ID.test(id)) throw new RevokdError('ERR_VALIDATION', 'client id must be 1 to 128 letters, digits or _.:@-');
  const client = await ctx.store.findClient(id);
  if (client === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such client');
  return client;
}

const auditOf = (type: 'client.disabled' | 'client.enabled' | 'client.secret_rotated', actor: Actor, id: string, ip: string | null) => ({
  type, actorType: actor.type, actorId: actor.id, targetType: 'client', targetId: id, ip, details: {},
});

/**
 * Refuses every authentication of the client from now on and revokes everything issued to it.
 * The built-in public client is refused (409): the web UI and first-party logins depend on it.
 */
export async function disableClient(ctx: AppContext, id: string, actor: Actor, ip: string | null): Promise<{ changed: boolean; revoked: RevocationReport }> {
  const client = await findClientOrFail(ctx, id);
  if (client.id === FIRST_PARTY_CLIENT_ID) {
    throw new RevokdError('ERR_CONFLICT', 'the built-in client serves the web UI and logins and cannot be disabled; revoke its tokens instead');
  }
  const changed = await ctx.store.setClientDisabled(client.id, true, ctx.now(), auditOf('client.disabled', actor, client.id, ip));
  // After the flag, so no token can be minted between the revocation and the flag.
  const revoked = await revoke(ctx, { scope: 'client', clientId: client.id }, {
    initiator: actor.type === 'system' ? 'system' : 'admin', reason: 'client_disabled', actor, ip: ip ?? undefined,
  });
  return { changed, revoked };
}

/** Lets the client authenticate again; tokens revoked when it was disabled stay revoked. */
export async function enableClient(ctx: AppContext, id: string, actor: Actor, ip: string | null): Promise<{ changed: boolean }> {
  const client = await findClientOrFail(ctx, id);
  return { changed: await ctx.store.setClientDisabled(client.id, false, ctx.now(), auditOf('client.enabled', actor, client.id, ip)) };
}

/** A new secret, returned once; only its hash is stored and the old one stops working at once. */
export async function rotateClientSecret(ctx: AppContext, id: string, actor: Actor, ip: string | null): Promise<{ clientId: string; secret: string }> {
  const client = await findClientOrFail(ctx, id);
  if (client.secretHash === null) throw new RevokdError('ERR_CONFLICT', 'a public client has no secret to rotate');
  const secret = newOpaqueToken('cs_');
  const replaced = await ctx.store.replaceClientSecret(client.id, sha256Hex(secret), ctx.now(), auditOf('client.secret_rotated', actor, client.id, ip));
  if (!replaced) throw new RevokdError('ERR_NOT_FOUND', 'no such client');
  return { clientId: client.id, secret };
}
