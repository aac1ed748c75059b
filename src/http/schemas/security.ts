/** Containment and audit shapes (SPEC §5.4): IP blocks, alerts, audit entries, chain verification. */
import { Type } from '@sinclair/typebox';
import { AUDIT_EVENT_TYPES } from '../../core/audit/audit-event.js';
import {
  Closed,
  Counts,
  Details,
  IsoTime,
  Nullable,
  NullableIsoTime,
  StringEnum,
} from './shapes.js';

export const Severity = StringEnum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const);

/** presentBlock (src/http/routes/security.ts). */
export const IpBlock = Closed({
  id: Type.String({ format: 'uuid' }),
  cidr: Type.String(),
  reason: Type.String(),
  source: Type.String(),
  created_at: IsoTime,
  expires_at: NullableIsoTime,
  created_by: Nullable(Type.String()),
  lifted_at: NullableIsoTime,
  lifted_by: Nullable(Type.String()),
  active: Type.Boolean(),
  revoked: Nullable(
    Closed(
      { sessions: Type.Integer(), refresh_tokens: Type.Integer(), api_tokens: Type.Integer() },
      {
        description:
          "What the block's own commit revoked; null for blocks made before revokd kept it",
      },
    ),
  ),
});

/** presentAlert (src/http/routes/security.ts). */
export const Alert = Closed({
  id: Type.String({ format: 'uuid' }),
  severity: Severity,
  type: Type.String(),
  subject: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  details: Details,
  created_at: IsoTime,
  acknowledged: Type.Boolean(),
  acknowledged_at: NullableIsoTime,
  acknowledged_by: Nullable(Type.String()),
});

/** presentAuditEntry (src/app/security/audit-verify.ts): every stored field, enough to re-verify the chain. */
export const AuditEntry = Closed({
  seq: Type.Integer(),
  at: Type.Integer({ description: 'Epoch milliseconds, as hashed' }),
  time: IsoTime,
  type: StringEnum(AUDIT_EVENT_TYPES),
  actor_type: Type.String(),
  actor_id: Nullable(Type.String()),
  initiator: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  target_type: Nullable(Type.String()),
  target_id: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  details: Details,
  prev_hash: Type.String(),
  hash: Type.String(),
});

/** presentVerification: the chain holds, or where it first breaks. */
export const ChainVerification = Type.Union([
  Closed({ ok: Type.Literal(true), entries: Type.Integer() }),
  Closed({
    ok: Type.Literal(false),
    entries: Type.Integer(),
    first_bad_seq: Type.Integer(),
    problem: Type.String(),
  }),
]);

/** Counts by audit event type. */
export const AuditCounts = Counts;
