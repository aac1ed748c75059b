/**
 * Planting decoys (SPEC §5.4 "Deception"): a canary API token and a decoy account. Neither can ever
 * authenticate; touching one is an attack signal, and the SecurityMonitor blocks the address at
 * REVOKD_CANARY_THRESHOLD touches (default 1). The detection lives in verifyApiToken and login.
 */
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../core/tokens/opaque.js';
import type { Actor, NewApiToken, UserRecord } from '../../stores/types.js';
import { createApiToken } from '../api-tokens/create-api-token.js';
import type { AppContext } from '../context.js';
import { createUser } from '../users.js';

/** A canary API token owned by the admin who plants it; the secret is returned once. */
export async function createCanaryToken(
  ctx: AppContext,
  ownerId: string,
  name: unknown,
  ip: string | null,
): Promise<{ record: NewApiToken; token: string }> {
  return createApiToken(ctx, { userId: ownerId, name: name ?? 'canary', isCanary: true, ip });
}

/**
 * A decoy account: a user with a long random password nobody knows, marked decoy. Any login attempt
 * on it — right password or not — fails like any bad login and blocks the address.
 */
export async function createDecoyUser(
  ctx: AppContext,
  email: unknown,
  actor: Actor,
  ip: string | null,
): Promise<UserRecord> {
  const user = await createUser(
    ctx,
    { email, password: randomBytes(48).toString('base64url') },
    actor,
  );
  await ctx.stores.containment.setUserDecoy(user.id, true);
  await ctx.stores.audit.appendAudit(
    [
      {
        type: 'user.marked_decoy',
        actorType: actor.type,
        actorId: actor.id,
        targetType: 'user',
        targetId: user.id,
        ip,
        details: {},
      },
    ],
    ctx.now(),
  );
  return { ...user, isDecoy: true };
}

/**
 * A client passed an API token on to a client-authenticated call that does not verify it
 * (/oauth/revoke refuses API tokens): if it is a canary, raise the alert naming the client — the
 * client only relays what it was handed, so nothing is blocked. The caller's answer is unchanged.
 */
export async function noticeRelayedCanary(
  ctx: AppContext,
  presented: string,
  clientId: string,
  ip: string,
): Promise<void> {
  const token = await ctx.stores.records.findApiTokenByHash(sha256Hex(presented));
  if (token?.isCanary !== true) return;
  ctx.events.emit('deception_hit', {
    kind: 'canary',
    ip,
    detail: `canary token ${token.tokenPrefix}`,
    via: { kind: 'relayed_by_client', clientId },
  });
  await ctx.security.monitor.settled();
}
