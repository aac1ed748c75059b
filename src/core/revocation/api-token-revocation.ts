/**
 * API token revocation rules shared by every backend: each revoked token gets a feed entry that
 * lives as long as the token could (never expiring when the token never does) and its own audit
 * entry; revoking all of a user's tokens adds one summary entry.
 */
import type { AuditEventInput } from '../audit/audit-event.js';
import { truncateId } from '../audit/audit-event.js';
import type { FeedEntry, RevocationContextSpec } from './revocation-plan.js';
import { SCOPE_RULES } from './scope-rules.js';

/** What these rules need of an API token row. */
export interface RevokedApiToken {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly tokenPrefix: string;
  readonly expiresAtMs: number | null;
}

export function apiTokenEntry(token: RevokedApiToken): FeedEntry {
  return { scope: 'api_token', target: token.id, expiresAtMs: token.expiresAtMs };
}

export function apiTokenRevokedAudit(
  token: RevokedApiToken,
  ctx: RevocationContextSpec,
): AuditEventInput {
  return {
    type: SCOPE_RULES.api_token.auditType,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    initiator: ctx.initiator,
    reason: ctx.reason,
    targetType: 'api_token',
    targetId: token.id,
    ip: ctx.ip ?? null,
    details: {
      name: token.name,
      prefix: truncateId(token.tokenPrefix),
      owner: token.userId,
      note: ctx.note ?? null,
    },
  };
}

export function allApiTokensRevokedAudit(
  userId: string,
  count: number,
  ctx: RevocationContextSpec,
): AuditEventInput {
  return {
    type: 'api_token.all_revoked',
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    initiator: ctx.initiator,
    reason: ctx.reason,
    targetType: 'user',
    targetId: userId,
    ip: ctx.ip ?? null,
    details: { count },
  };
}
