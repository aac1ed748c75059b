/**
 * Revocation by an operator-supplied scope and value (CLI `revokd revoke …` and the admin API):
 * parse and validate, resolve names (an email for a user), then revoke. Bad values are 400s.
 */
import { RevokdError } from '../core/errors.js';
import { parseCidr } from '../core/containment/ip-address.js';
import { KID_PATTERN } from '../core/tokens/key-ring.js';
import { REASON_CODES, type Initiator, type ReasonCode } from '../core/revocation/types.js';
import { SCOPE_NAMES, SCOPE_RULES, scopeForOperatorName } from '../core/revocation/scope-rules.js';
import { unhandled } from '../core/exhaustive.js';
import type { Actor, RevocationReport, RevocationTarget } from '../stores/types.js';
import { type AppContext, accessCoverMs } from './context.js';
import { revoke } from './revoke.js';

/**
 * Scopes an operator can name (the CLI's `revoke <scope>`), in SCOPE_RULES order; `api-token` is
 * handled by the API-token module, not here.
 */
export const OPERATOR_SCOPES: readonly string[] = SCOPE_NAMES.map(
  (scope) => SCOPE_RULES[scope].operatorName,
);
const ID = /^[A-Za-z0-9_.:@-]{1,255}$/;

export interface OperatorRequest {
  readonly reason: string;
  readonly note?: string | undefined;
  readonly actor: Actor;
  readonly initiator: Initiator;
  readonly ip?: string | undefined;
}

export function parseReason(reason: string): ReasonCode {
  if (!(REASON_CODES as readonly string[]).includes(reason)) {
    throw new RevokdError('ERR_VALIDATION', `reason must be one of: ${REASON_CODES.join(', ')}`);
  }
  return reason as ReasonCode;
}

export async function resolveTarget(
  ctx: AppContext,
  scope: string,
  value: string,
): Promise<RevocationTarget> {
  const bad = (what: string): RevokdError => new RevokdError('ERR_VALIDATION', `${scope}: ${what}`);
  const unknown = (): RevokdError =>
    new RevokdError('ERR_VALIDATION', `scope must be one of: ${OPERATOR_SCOPES.join(', ')}`);
  const named = scopeForOperatorName(scope);
  if (named === undefined) throw unknown();
  switch (named) {
    case 'token':
      if (!/^[A-Za-z0-9_-]{8,128}$/.test(value)) throw bad('not a token id');
      // Without the token we do not know its exp: cover the longest an access token can live.
      return {
        scope: 'token',
        issuer: null,
        jti: value,
        expiresAtMs: ctx.now() + accessCoverMs(ctx.config),
      };
    case 'session': {
      if (!ID.test(value) || (await ctx.stores.records.findSession(value)) === undefined)
        throw new RevokdError('ERR_NOT_FOUND', 'no such session');
      return { scope: 'session', sessionId: value };
    }
    case 'user': {
      const user = value.includes('@')
        ? await ctx.stores.records.findUserByEmail(value)
        : ID.test(value)
          ? await ctx.stores.records.findUserById(value)
          : undefined;
      if (user === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
      return { scope: 'user', userId: user.id };
    }
    case 'client': {
      if (!ID.test(value) || (await ctx.stores.records.findClient(value)) === undefined)
        throw new RevokdError('ERR_NOT_FOUND', 'no such client');
      return { scope: 'client', clientId: value };
    }
    case 'key': {
      if (!KID_PATTERN.test(value)) throw bad('not a key id');
      const keys = await ctx.stores.records.listSigningKeys();
      if (!keys.some((k) => k.kid === value)) throw new RevokdError('ERR_NOT_FOUND', 'no such key');
      return { scope: 'key', kid: value };
    }
    case 'ip': {
      const range = parseCidr(value);
      if (range === undefined) throw bad('not an IP address or CIDR range');
      return { scope: 'ip', cidr: range.text };
    }
    case 'window': {
      const m = /^(\d{1,12})-(\d{1,12})$/.exec(value);
      if (m === null || Number(m[1]) >= Number(m[2]))
        throw bad('expected <fromEpochSeconds>-<toEpochSeconds>');
      return { scope: 'window', fromSec: Number(m[1]), toSec: Number(m[2]) };
    }
    case 'global':
      return { scope: 'global' };
    // Revoked through the API-token module (app/api-tokens/revoke-api-tokens.ts), which the CLI routes
    // to first; the admin API has its own route for it.
    case 'api_token':
      throw unknown();
    default:
      return unhandled(named, 'revocation scope');
  }
}

export async function revokeByScope(
  ctx: AppContext,
  scope: string,
  value: string,
  request: OperatorRequest,
): Promise<RevocationReport> {
  const reason = parseReason(request.reason);
  const target = await resolveTarget(ctx, scope, value);
  if (target.scope === 'key') return revokeSigningKey(ctx, target.kid, request);
  return revoke(ctx, target, { ...request, reason });
}

/** Revoking the active key first rotates, so the service keeps signing with a key that is not revoked. */
export async function revokeSigningKey(
  ctx: AppContext,
  kid: string,
  request: OperatorRequest,
): Promise<RevocationReport> {
  const keys = await ctx.stores.records.listSigningKeys();
  // Every key this service signs with is in the store (HS256 kids too): any other kid is a mistake.
  if (!keys.some((k) => k.kid === kid))
    throw new RevokdError(
      'ERR_NOT_FOUND',
      `no signing key with kid "${kid}" (see \`revokd keys list\`)`,
    );
  // HS256 keys come from configuration and cannot be rotated here: revoking the current one stops
  // issuing until a new REVOKD_JWT_SECRET is set (KeyManager.symmetricRing).
  if (keys.find((k) => k.kid === kid)?.status === 'active' && !ctx.keyManager.symmetric)
    await ctx.keyManager.rotate(request.actor);
  const report = await revoke(ctx, { scope: 'key', kid }, { ...request, reason: 'key_revoked' });
  await ctx.keys.reload();
  return report;
}
