/**
 * Every revocation scope's facts in one table: how operators name it, what a revocation of it
 * counts as a change, how it is audited, and how the push stream names it. The planner
 * (revocation-plan.ts), the wire codec (wire-format.ts) and the operator-name mapping
 * (app/revoke-by-scope.ts) read this table rather than keep their own lists.
 *
 * Plain data, importing nothing outside core/revocation (not even types): the verifier package ships
 * this file (through wire-format.ts), so it must not pull the audit or containment code in with it.
 */
import { REVOCATION_SCOPES, type RevocationScope } from './types.js';

/**
 * Every scope an operator can revoke by: the feed's scopes, plus `ip`, which has no feed record of
 * its own (it marks sessions revoked and writes one session record each).
 */
export type ScopeName = RevocationScope | 'ip';

/**
 * When a revocation counts as a change (and so is audited): `always`; `unless_entry_exists` (a
 * token already revoked); `if_sessions_marked` (a session already revoked or over); `if_key_marked`
 * (a key already revoked).
 */
export type ChangeRule = 'always' | 'unless_entry_exists' | 'if_sessions_marked' | 'if_key_marked';

/** The token claim (or stream field) that names a scope's target on the wire. */
export type WireTargetField = 'jti' | 'sid' | 'sub' | 'client_id' | 'kid' | 'api_token_id';

/**
 * What a scope's revocation event carries besides `scope` and the meta fields. The encoder writes
 * the fields in this order — target, `iss`, `iat_from`/`iat_to`, `generation`, `expires_at` — and
 * that order is part of the protocol: the feed chain hashes the exact JSON text.
 */
export interface WireShape {
  /** null: the target is '*' and is not sent (window, global). */
  readonly target: WireTargetField | null;
  /** `iss` (string or null) after the target. */
  readonly issuer: boolean;
  /** `iat_from` and `iat_to`, issued-at bounds in seconds. */
  readonly window: boolean;
  /** `generation`: the bumped counter; tokens stamped below it are revoked. */
  readonly generation: boolean;
  /** `expires_at` (ms or null): when the entry stops covering anything. */
  readonly expires: boolean;
}

export interface ScopeRule {
  /** Its name in `revokd revoke <name>` and the admin API's `scope`. */
  readonly operatorName: string;
  /** When a revocation of it counts as a change, and so is audited. */
  readonly changed: ChangeRule;
  /** Whether each session it newly marks revoked gets its own feed entry (not needed under a generation bump). */
  readonly entryPerSession: boolean;
  /**
   * Its audit event type. Typed string here because this file ships in the verifier, which has no
   * audit code; the literal is checked against AuditEventType where it is used (revocation-plan,
   * api-token-revocation), so a misspelt one still does not compile.
   */
  readonly auditType: string;
  /** How the stream carries its records; null: it writes no record of its own scope. */
  readonly wire: WireShape | null;
}

const NOTHING: Omit<WireShape, 'target'> = {
  issuer: false,
  window: false,
  generation: false,
  expires: false,
};

/**
 * Per scope: what it reaches and writes (the planner turns a target into these, see
 * revocation-plan.ts), when it counts as changed, how it is audited and named. The key order is the
 * order operators see the names in (CLI choices, the "scope must be one of" message).
 */
export const SCOPE_RULES = {
  // Writes a token entry (unless one exists for the jti and issuer); reaches no session.
  token: {
    operatorName: 'jti',
    changed: 'unless_entry_exists',
    entryPerSession: false,
    auditType: 'token.revoked',
    wire: { ...NOTHING, target: 'jti', issuer: true, expires: true },
  },
  // Marks the session revoked and writes its entry.
  session: {
    operatorName: 'session',
    changed: 'if_sessions_marked',
    entryPerSession: true,
    auditType: 'session.revoked',
    wire: { ...NOTHING, target: 'sid', expires: true },
  },
  // Bumps the user's generation (one entry covers every token) and marks the user's sessions revoked.
  user: {
    operatorName: 'user',
    changed: 'always',
    entryPerSession: false,
    auditType: 'user.tokens_revoked',
    wire: { ...NOTHING, target: 'sub', generation: true },
  },
  // Bumps the client's generation and marks the client's sessions revoked.
  client: {
    operatorName: 'client',
    changed: 'always',
    entryPerSession: false,
    auditType: 'client.tokens_revoked',
    wire: { ...NOTHING, target: 'client_id', generation: true },
  },
  // Marks the signing key revoked and writes its entry, only if it was not already.
  key: {
    operatorName: 'key',
    changed: 'if_key_marked',
    entryPerSession: false,
    auditType: 'key.revoked',
    wire: { ...NOTHING, target: 'kid' },
  },
  // Marks the sessions created or refreshed from the range revoked, one session entry each.
  ip: {
    operatorName: 'ip',
    changed: 'always',
    entryPerSession: true,
    auditType: 'ip.tokens_revoked',
    wire: null,
  },
  // Writes one entry covering every token issued in the window; reaches no session.
  window: {
    operatorName: 'window',
    changed: 'always',
    entryPerSession: false,
    auditType: 'window.tokens_revoked',
    wire: { ...NOTHING, target: null, window: true, expires: true },
  },
  // Written by the API-token module (api-token-revocation.ts), not the planner: one entry per
  // token. `changed` and `entryPerSession` are unused (that module decides for itself).
  api_token: {
    operatorName: 'api-token',
    changed: 'always',
    entryPerSession: false,
    auditType: 'api_token.revoked',
    wire: { ...NOTHING, target: 'api_token_id', expires: true },
  },
  // Bumps the global generation and marks every live session revoked.
  global: {
    operatorName: 'all',
    changed: 'always',
    entryPerSession: false,
    auditType: 'global.tokens_revoked',
    wire: { ...NOTHING, target: null, generation: true },
  },
} as const satisfies Record<ScopeName, ScopeRule>;

/** The scopes in table order. */
export const SCOPE_NAMES = Object.keys(SCOPE_RULES) as ScopeName[];

/** The scope an operator's name stands for, or undefined. */
export function scopeForOperatorName(name: string): ScopeName | undefined {
  return SCOPE_NAMES.find((scope) => SCOPE_RULES[scope].operatorName === name);
}

/** Whether a string is a scope of the feed (one the stream may carry): every one but `ip`. */
export function isRevocationScope(value: string): value is RevocationScope {
  return (REVOCATION_SCOPES as readonly string[]).includes(value);
}
