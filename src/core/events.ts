/**
 * In-process security and operations events. The request path emits facts (a check's outcome, a
 * failed login, a revoked token presented again); detectors, alerts and metrics subscribe. Emitting
 * is synchronous and never throws into the request: a failing listener is logged and skipped.
 */
import type { Logger } from 'pino';
import type { AuditEventInput } from './audit/audit-event.js';

export type CheckKind = 'access_token' | 'api_token' | 'refresh_token';
export type CheckOutcome = 'valid' | 'revoked' | 'invalid' | 'expired' | 'unavailable';

export interface RevokdEvents {
  /** A credential was checked (bearer routes, introspection, refresh grant, library). */
  check: { kind: CheckKind; outcome: CheckOutcome };
  /** A revocation was committed. `count` is what it reached (sessions, tokens). */
  revoked: { scope: string; reason: string; initiator: string; count: number };
  login_failed: { email: string; userId: string | null; ip: string };
  login_succeeded: { userId: string; ip: string };
  /**
   * A token that is revoked was presented again (possible replay of a stolen token). `audit` is
   * the entry that records it; the listener coalesces them (app/security/replay-audit.ts).
   */
  revoked_token_used: {
    kind: 'access_token' | 'api_token';
    subject: string;
    tokenId: string;
    ip: string | null;
    audit: AuditEventInput;
  };
  /** A consumed refresh token came back outside the grace window: its session was revoked. */
  refresh_reused: { userId: string | null; sessionId: string; ip: string };
  /** Tokens were issued to a subject (login, refresh, client credentials, API token creation). */
  token_issued: {
    subject: string;
    kind: 'login' | 'refresh' | 'client_credentials' | 'api_token';
    ip: string | null;
  };
  alert_raised: { severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW'; type: string };
  /**
   * A decoy was touched: a honeypot path, a canary API token, a decoy account. `via` says who put
   * it in front of us: the caller itself, or a client relaying what it was handed (introspection) —
   * only a direct touch can block the caller's address.
   */
  deception_hit: {
    kind: 'honeypot' | 'canary' | 'decoy';
    ip: string;
    detail: string;
    via: Presentation;
  };
}

/** How a credential reached us: presented by the caller, or relayed by an authenticated client. */
export type Presentation =
  { readonly kind: 'direct' } | { readonly kind: 'relayed_by_client'; readonly clientId: string };
export const DIRECT: Presentation = Object.freeze({ kind: 'direct' });

type Listener<K extends keyof RevokdEvents> = (payload: RevokdEvents[K]) => void;

export class EventBus {
  private readonly listeners = new Map<keyof RevokdEvents, Set<Listener<never>>>();

  constructor(private readonly log?: Logger) {}

  on<K extends keyof RevokdEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof RevokdEvents>(event: K, payload: RevokdEvents[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as Listener<K>)(payload);
      } catch (err) {
        this.log?.warn({ err, event }, 'event listener failed');
      }
    }
  }
}
