/**
 * What each revocation scope does, decided once for every backend (SPEC §3); the per-scope facts
 * that are plain data (change rule, audit type, …) are in scope-rules.ts. A store turns the
 * target into a {@link RevocationPlan}, performs the reads and writes the plan names inside one
 * transaction, and builds its audit entry with {@link revocationAudit}. No SQL, no I/O, no clock.
 *
 * The target type is defined here and re-exported by the store contract (core does not depend on
 * the stores); the context is the part of the store's RevocationContext these rules read.
 */
import type { AuditEventInput, AuditEventType } from '../audit/audit-event.js';
import { truncateId } from '../audit/audit-event.js';
import { parseCidr } from '../containment/ip-address.js';
import { NEVER_EXPIRES, sessionEntryExpiryMs } from './entry-lifetime.js';
import type { Initiator, ReasonCode, RevocationRecord } from './types.js';
import { unhandled } from '../exhaustive.js';
import { type ChangeRule, SCOPE_RULES } from './scope-rules.js';

/** What a revocation names; the store contract's `RevocationTarget` is this type. */
export type RevocationTargetSpec =
  /** issuer null: the jti from this service, whatever its issuer URL (operator revocations by bare jti). */
  | {
      readonly scope: 'token';
      readonly issuer: string | null;
      readonly jti: string;
      readonly expiresAtMs: number;
    }
  | { readonly scope: 'session'; readonly sessionId: string }
  /**
   * exceptSessionId: a session the bump does not mark revoked (the owner's password change keeps the
   * session it was made from and re-issues its tokens in the same commit); its old tokens are still
   * covered by the bump.
   */
  | { readonly scope: 'user'; readonly userId: string; readonly exceptSessionId?: string }
  | { readonly scope: 'client'; readonly clientId: string }
  | { readonly scope: 'key'; readonly kid: string }
  /** Sessions created or refreshed from an address in the CIDR (a plain IP is a /32 or /128). */
  | { readonly scope: 'ip'; readonly cidr: string }
  /** expiresAtMs: when the entry can go (set by app/revoke from core's window rules). */
  | {
      readonly scope: 'window';
      readonly fromSec: number;
      readonly toSec: number;
      readonly expiresAtMs?: number;
    }
  | { readonly scope: 'global' };

export type TargetScope = RevocationTargetSpec['scope'];

export interface RevocationContextSpec {
  readonly initiator: Initiator;
  readonly reason: ReasonCode;
  readonly note?: string | undefined;
  readonly actor: { readonly type: AuditEventInput['actorType']; readonly id: string | null };
  readonly ip?: string | undefined;
}

/** A feed entry to append; the store adds seq, initiator, reason, note and createdAt from the context. */
export type FeedEntry = Pick<RevocationRecord, 'scope' | 'target' | 'expiresAtMs'> &
  Partial<Pick<RevocationRecord, 'issuer' | 'generation' | 'windowFrom' | 'windowTo'>>;

/** Which live sessions (not revoked, not ended) a scope reaches and marks revoked. */
export type SessionReach =
  | { readonly kind: 'none' }
  | { readonly kind: 'one'; readonly sessionId: string }
  | { readonly kind: 'of_user'; readonly userId: string; readonly exceptSessionId?: string }
  | { readonly kind: 'of_client'; readonly clientId: string }
  | { readonly kind: 'all' }
  /** Sessions created or refreshed from an address in the range. */
  | { readonly kind: 'in_range'; readonly cidr: string };

export interface RevocationPlan {
  readonly scope: TargetScope;
  /** An entry written as is (token: only when none exists for the same jti and issuer). */
  readonly entry: FeedEntry | null;
  /** user / client / global: the generation counter to bump; its entry is {@link generationEntry}. */
  readonly generation: {
    readonly scope: 'user' | 'client' | 'global';
    readonly target: string;
  } | null;
  /** key: the signing key to mark revoked; its entry is {@link keyEntry}, written only if marked. */
  readonly key: string | null;
  readonly sessions: SessionReach;
  /**
   * Whether each newly marked session gets its own entry ({@link sessionEntry}) so replicas drop it.
   * Not needed when a generation entry already covers every token of those sessions.
   */
  readonly entryPerSession: boolean;
  readonly changed: ChangeRule;
  readonly auditType: AuditEventType;
  readonly auditTargetId: string;
}

const NO_ACTION = { entry: null, generation: null, key: null, sessions: { kind: 'none' } } as const;

/**
 * Turns a target into what the store does. SCOPE_RULES says, per scope, when it counts as changed,
 * whether marked sessions get entries and how it is audited; this switch adds only what depends
 * on the target's own fields: which entry, counter, key and sessions it names.
 */
export function planRevocation(target: RevocationTargetSpec): RevocationPlan {
  const { auditType, changed, entryPerSession } = SCOPE_RULES[target.scope];
  const rule = { scope: target.scope, auditType, changed, entryPerSession };
  switch (target.scope) {
    case 'token':
      return {
        ...NO_ACTION,
        ...rule,
        auditTargetId: truncateId(target.jti),
        entry: {
          scope: 'token',
          target: target.jti,
          issuer: target.issuer,
          expiresAtMs: target.expiresAtMs,
        },
      };
    case 'session':
      return {
        ...NO_ACTION,
        ...rule,
        auditTargetId: target.sessionId,
        sessions: { kind: 'one', sessionId: target.sessionId },
      };
    case 'user':
      return {
        ...NO_ACTION,
        ...rule,
        auditTargetId: target.userId,
        generation: { scope: 'user', target: target.userId },
        sessions: {
          kind: 'of_user',
          userId: target.userId,
          ...(target.exceptSessionId === undefined
            ? {}
            : { exceptSessionId: target.exceptSessionId }),
        },
      };
    case 'client':
      return {
        ...NO_ACTION,
        ...rule,
        auditTargetId: target.clientId,
        generation: { scope: 'client', target: target.clientId },
        sessions: { kind: 'of_client', clientId: target.clientId },
      };
    case 'global':
      return {
        ...NO_ACTION,
        ...rule,
        auditTargetId: '*',
        generation: { scope: 'global', target: '*' },
        sessions: { kind: 'all' },
      };
    case 'key':
      return { ...NO_ACTION, ...rule, auditTargetId: target.kid, key: target.kid };
    case 'ip':
      return {
        ...NO_ACTION,
        ...rule,
        auditTargetId: canonicalCidr(target.cidr),
        sessions: { kind: 'in_range', cidr: target.cidr },
      };
    case 'window':
      return {
        ...NO_ACTION,
        ...rule,
        auditTargetId: `${target.fromSec}-${target.toSec}`,
        entry: {
          scope: 'window',
          target: '*',
          windowFrom: target.fromSec,
          windowTo: target.toSec,
          expiresAtMs: target.expiresAtMs ?? null,
        },
      };
    default:
      return unhandled(target, 'revocation target');
  }
}

/** The canonical text of a range (an IP revocation is audited under it, whatever form was given). */
function canonicalCidr(cidr: string): string {
  const range = parseCidr(cidr);
  if (range === undefined) throw new TypeError(`not an IP address or CIDR range: ${cidr}`);
  return range.text;
}

/** The entry for a bumped generation counter: tokens stamped below it are revoked, forever. */
export function generationEntry(
  generation: NonNullable<RevocationPlan['generation']>,
  value: number,
): FeedEntry {
  return {
    scope: generation.scope,
    target: generation.target,
    generation: value,
    expiresAtMs: NEVER_EXPIRES,
  };
}

/** The entry for a revoked signing key: it never expires (the key's tokens must stay refused). */
export function keyEntry(kid: string): FeedEntry {
  return { scope: 'key', target: kid, expiresAtMs: NEVER_EXPIRES };
}

/** A revoked session's entry lives until its last access token can no longer be accepted. */
export function sessionEntry(
  sessionId: string,
  sessionExpiresAtMs: number,
  accessCoverMs: number,
): FeedEntry {
  return {
    scope: 'session',
    target: sessionId,
    expiresAtMs: sessionEntryExpiryMs(sessionExpiresAtMs, accessCoverMs),
  };
}

/** What the backend observed while carrying out a plan. */
export interface PlanFacts {
  readonly entryExisted: boolean;
  readonly sessionsMarked: number;
  readonly keyMarked: boolean;
}

export function revocationChanged(rule: ChangeRule, facts: PlanFacts): boolean {
  switch (rule) {
    case 'always':
      return true;
    case 'unless_entry_exists':
      return !facts.entryExisted;
    case 'if_sessions_marked':
      return facts.sessionsMarked > 0;
    case 'if_key_marked':
      return facts.keyMarked;
    default:
      return unhandled(rule, 'change rule');
  }
}

/** The audit entry of a revocation that changed something (an unchanged one is not audited). */
export function revocationAudit(
  plan: RevocationPlan,
  ctx: RevocationContextSpec,
  counts: {
    readonly sessions: number;
    readonly refreshTokens: number;
    readonly generation: number | null;
  },
): AuditEventInput {
  return {
    type: plan.auditType,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    initiator: ctx.initiator,
    reason: ctx.reason,
    targetType: plan.scope,
    targetId: plan.auditTargetId,
    ip: ctx.ip ?? null,
    details: {
      sessions: counts.sessions,
      refreshTokens: counts.refreshTokens,
      generation: counts.generation,
      note: ctx.note ?? null,
    },
  };
}
