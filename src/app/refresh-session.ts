/**
 * The refresh grant (SPEC §4, RFC 9700 §4.14.2): every refresh rotates. A consumed token replayed
 * is either the immediate predecessor inside the grace window — answered with the *same* successor,
 * never a second chain — or theft, which revokes the whole session (only that session) and answers
 * invalid_grant.
 */
import { RevokdError } from '../core/errors.js';
import { truncateId } from '../core/audit/audit-event.js';
import {
  REFRESH_PREFIX,
  looksLikeOpaqueToken,
  newId,
  newOpaqueToken,
  sha256Hex,
} from '../core/tokens/opaque.js';
import { openSuccessor, sealSuccessor } from '../core/tokens/refresh-seal.js';
import type { RefreshTokenRecord, SessionRecord } from '../stores/types.js';
import type { AppContext } from './context.js';
import type { CheckOutcome } from '../core/events.js';
import { issueAccessToken } from './issue-access-token.js';
import { revoke } from './revoke.js';
import type { TokenResponse } from './token-response.js';

export interface RefreshInput {
  readonly refreshToken: unknown;
  readonly ip: string;
  /** When set (the OAuth token endpoint), the session must belong to this client. */
  readonly clientId?: string;
}

const invalidGrant = (message = 'refresh token is invalid, expired or revoked'): RevokdError =>
  new RevokdError('ERR_REFRESH_INVALID', message);

/** Every refresh attempt's outcome is counted (revokd_token_checks_total{kind="refresh_token"}). */
export async function refreshSession(ctx: AppContext, input: RefreshInput): Promise<TokenResponse> {
  const failure: { outcome: CheckOutcome } = { outcome: 'invalid' };
  try {
    const response = await rotate(ctx, input, failure);
    ctx.events.emit('check', { kind: 'refresh_token', outcome: 'valid' });
    return response;
  } catch (err) {
    const storeDown = err instanceof RevokdError && err.code === 'ERR_STORE_UNAVAILABLE';
    ctx.events.emit('check', {
      kind: 'refresh_token',
      outcome: storeDown ? 'unavailable' : failure.outcome,
    });
    throw err;
  }
}

/** `failure.outcome` is set to why the token was refused, for the check metric. */
async function rotate(
  ctx: AppContext,
  input: RefreshInput,
  failure: { outcome: CheckOutcome },
): Promise<TokenResponse> {
  if (!looksLikeOpaqueToken(input.refreshToken, REFRESH_PREFIX))
    throw invalidGrant('malformed refresh token');
  const presented = input.refreshToken;
  const tokenHash = sha256Hex(presented);
  const nowMs = ctx.now();

  const current = await ctx.stores.records.findRefreshByHash(tokenHash);
  if (current === undefined) throw invalidGrant();
  const session = await ctx.stores.records.findSession(current.sessionId);
  if (session === undefined) throw invalidGrant();
  if (input.clientId !== undefined && session.clientId !== input.clientId)
    throw invalidGrant('refresh token was issued to another client');
  // The refresh grant obeys the same revocation model as every other path.
  if (ctx.replica.check(stampOf(ctx, current, session)).revoked) {
    failure.outcome = 'revoked';
    throw invalidGrant();
  }

  const successor = newOpaqueToken(REFRESH_PREFIX);
  const outcome = await ctx.stores.records.consumeRefresh({
    tokenHash,
    nowMs,
    ip: input.ip,
    successor: {
      id: newId(),
      tokenHash: sha256Hex(successor),
      createdAtMs: nowMs,
      expiresAtMs: nowMs + ctx.config.refreshTtlSeconds * 1000,
    },
    successorSealed: sealSuccessor(presented, tokenHash, successor),
    audit: {
      type: 'refresh_token.rotated',
      actorType: 'user',
      actorId: session.userId ?? session.clientId,
      targetType: 'session',
      targetId: session.id,
      ip: input.ip,
      details: { token: truncateId(current.id) },
    },
  });

  switch (outcome.kind) {
    case 'unknown':
      throw invalidGrant();
    case 'expired':
      failure.outcome = 'expired';
      throw invalidGrant();
    case 'session_inactive':
      failure.outcome = 'revoked';
      throw invalidGrant();
    case 'rotated':
      ctx.events.emit('token_issued', {
        subject: session.userId ?? session.clientId,
        kind: 'refresh',
        ip: input.ip,
      });
      return respond(ctx, outcome.session, outcome.successor, successor, nowMs);
    case 'already_consumed': {
      const graceMs = ctx.config.refreshGraceSeconds * 1000;
      const { token, successor: next } = outcome;
      const inGrace =
        graceMs > 0 && token.consumedAtMs !== null && nowMs - token.consumedAtMs < graceMs;
      // Only the immediate predecessor of the live token qualifies: its successor must be unused.
      if (
        inGrace &&
        next !== undefined &&
        next.consumedAtMs === null &&
        next.expiresAtMs > nowMs &&
        outcome.session.revokedAtMs === null &&
        token.successorSealed !== null
      ) {
        const same = openSuccessor(presented, tokenHash, token.successorSealed);
        if (same !== undefined && sha256Hex(same) === next.tokenHash) {
          // The replaying address is recorded as a rotation's would be, so blocking it reaches this session.
          await ctx.stores.containment.recordSessionIp(session.id, input.ip, nowMs);
          await ctx.stores.audit.appendAudit(
            [
              {
                type: 'refresh_token.replayed_in_grace',
                actorType: 'user',
                actorId: session.userId ?? session.clientId,
                targetType: 'session',
                targetId: session.id,
                ip: input.ip,
                details: { token: truncateId(token.id) },
              },
            ],
            nowMs,
          );
          return respond(ctx, outcome.session, next, same, nowMs);
        }
      }
      failure.outcome = 'revoked';
      await reportReuse(ctx, session, token, input.ip);
      throw new RevokdError(
        'ERR_REFRESH_REUSED',
        'refresh token was already used; the session has been revoked',
      );
    }
  }
}

/** Theft: a consumed refresh token came back. Revoke the session (only it) and record why. */
async function reportReuse(
  ctx: AppContext,
  session: SessionRecord,
  token: RefreshTokenRecord,
  ip: string,
): Promise<void> {
  await ctx.stores.audit.appendAudit(
    [
      {
        type: 'refresh_token.reused',
        actorType: 'anonymous',
        actorId: null,
        initiator: 'system',
        reason: 'refresh_reuse',
        targetType: 'session',
        targetId: session.id,
        ip,
        details: { token: truncateId(token.id), user: session.userId },
      },
    ],
    ctx.now(),
  );
  await revoke(
    ctx,
    { scope: 'session', sessionId: session.id },
    { initiator: 'system', reason: 'refresh_reuse', actor: { type: 'system', id: null }, ip },
  );
  ctx.log.warn(
    { sid: session.id, user: session.userId, ip },
    'refresh token reuse: session revoked',
  );
  ctx.events.emit('refresh_reused', { userId: session.userId, sessionId: session.id, ip });
}

async function respond(
  ctx: AppContext,
  session: SessionRecord,
  row: RefreshTokenRecord,
  refreshToken: string,
  nowMs: number,
): Promise<TokenResponse> {
  // A refreshed token must carry the password-change mark as a login's would (the user is read for it).
  const user =
    session.userId === null ? undefined : await ctx.stores.records.findUserById(session.userId);
  const access = await issueAccessToken(ctx, {
    sub: session.userId ?? session.clientId,
    sid: session.id,
    clientId: session.clientId,
    scope: session.scope,
    generations: row,
    passwordChangeRequired: user?.mustChangePassword === true,
  });
  return {
    access_token: access.token,
    refresh_token: refreshToken,
    token_type: 'Bearer',
    expires_in: ctx.config.accessTtlSeconds,
    refresh_expires_in: Math.max(0, Math.floor((row.expiresAtMs - nowMs) / 1000)),
    session_id: session.id,
    ...(session.scope === '' ? {} : { scope: session.scope }),
  };
}

/** A refresh token described for the revocation model. */
export function stampOf(ctx: AppContext, row: RefreshTokenRecord, session: SessionRecord) {
  return {
    iss: ctx.config.issuer,
    jti: row.id,
    sid: session.id,
    sub: session.userId ?? session.clientId,
    clientId: session.clientId,
    iat: Math.floor(row.createdAtMs / 1000),
    gen: row.gen,
    ugen: row.ugen,
    cgen: row.cgen,
  };
}
