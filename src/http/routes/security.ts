/**
 * Containment and security API (SPEC §5.4), admin role only, under /api/v1/security: IP blocks,
 * alerts, monitoring views, the audit log (pages, summary, chain verification), revoking a user
 * with a mandatory reason (with a dry-run preview), and planting decoys.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { presentApiToken } from '../../app/api-tokens/create-api-token.js';
import type { AppContext } from '../../app/context.js';
import { presentAuditEntry, presentVerification } from '../../app/security/audit-verify.js';
import { HEX_64 } from '../../app/security/audit-trail.js';
import { createCanaryToken, createDecoyUser } from '../../app/security/deception.js';
import { acknowledgeAlert } from '../../app/security/alerts.js';
import { blockIp, unblockIp } from '../../app/security/ip-blocks.js';
import { presentRevokeUserReport, revokeUserEverything } from '../../app/security/revoke-user.js';
import {
  activeBlockCounts,
  alertCounts,
  auditCheckpoint,
  auditPage,
  auditSummary,
  blockIsActive,
  listAlerts,
  listBlocks,
  userActivity,
  verifyAuditChain,
} from '../../app/security/views.js';
import { AUDIT_EVENT_TYPES } from '../../core/audit/audit-event.js';
import { RevokdError } from '../../core/errors.js';
import type { AlertRecord, IpBlockRecord, SessionRecord } from '../../stores/types.js';
import { bearerGuard, requireUser } from '../bearer-guard.js';
import { publicUser } from './admin.js';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { UuidParam } from '../schemas/ids.js';
import { AdminApiTokenView } from '../schemas/tokens.js';
import { Alert, AuditCounts, AuditEntry, ChainVerification, IpBlock } from '../schemas/security.js';
import { Closed, IsoTime, Nullable, NullableIsoTime, StringEnum } from '../schemas/shapes.js';
import { PublicUserWithDecoy } from '../schemas/users.js';
import { SEED_HEALTH_WORD, probeServiceHealth } from '../../app/service-health.js';

// Query parameters are checked by these schemas alone: validation.ts reads an integer's or a
// boolean's text before they run (queryCoercion), and words their failures ("limit must be a whole
// number", "limit must be between 1 and 500", "limit must be given once").
const Count = (
  range: { minimum: number; maximum: number; default?: number },
  description: string,
) => Type.Optional(Type.Integer({ ...range, description }));
const TrueFalse = (name: string, description: string) =>
  Type.Optional(
    Type.Boolean({ default: false, 'x-invalid': `${name} must be true or false`, description }),
  );
/** A query parameter that is either true, false or absent (no default: absent means both). */
const TrueFalseOrBoth = (name: string, description: string) =>
  Type.Optional(Type.Boolean({ 'x-invalid': `${name} must be true or false`, description }));
const ALERTS_LIMIT = { minimum: 1, maximum: 500, default: 50 };
const ALERTS_OFFSET = { minimum: 0, maximum: 1_000_000, default: 0 };
const AUDIT_LIMIT = { minimum: 1, maximum: 1000, default: 100 };
const AUDIT_AFTER_SEQ = { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 };
const ACTIVITY_LIMIT = { minimum: 1, maximum: 500, default: 50 };
const Reason = (max: number) =>
  Type.String({
    minLength: 1,
    maxLength: max,
    'x-invalid': `reason must be a non-empty string of at most ${max} characters`,
  });

// Types only: blockIp checks the target, reason, duration and breadth (the web UI and CLI share it).
const BlockBody = Type.Object({
  ip: Type.Optional(Type.String()),
  cidr: Type.Optional(Type.String()),
  reason: Type.String({ description: '1 to 500 characters' }),
  duration_seconds: Type.Optional(
    Nullable(Type.Integer({ description: 'absent or null: permanent' })),
  ),
  force: Type.Optional(
    Nullable(Type.Boolean({ description: 'Allow a range broader than /8 (IPv4) or /32 (IPv6)' })),
  ),
});
const AlertsQuery = Type.Object({
  severity: Type.Optional(
    StringEnum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const, {
      'x-invalid': 'severity must be one of CRITICAL, HIGH, MEDIUM, LOW',
    }),
  ),
  acknowledged: TrueFalseOrBoth('acknowledged', 'Only acknowledged (true) or open (false) alerts'),
  limit: Count(ALERTS_LIMIT, '1 to 500, default 50'),
  offset: Count(ALERTS_OFFSET, 'default 0'),
});
const AuditQuery = Type.Object({
  after_seq: Count(AUDIT_AFTER_SEQ, 'Entries after this seq (next_after_seq of the previous page)'),
  limit: Count(AUDIT_LIMIT, '1 to 1000, default 100'),
  type: Type.Optional(
    StringEnum(AUDIT_EVENT_TYPES, { 'x-invalid': 'type is not an audit event type' }),
  ),
});
const ActivityQuery = Type.Object({
  limit: Count(ACTIVITY_LIMIT, 'Audit entries, 1 to 500, default 50'),
});
const BlocksQuery = Type.Object({ all: TrueFalse('all', 'Include lifted and expired blocks') });
const DryRunQuery = Type.Object({
  dry_run: TrueFalse('dry_run', 'Only count what would be revoked'),
});
const VerifyQuery = Type.Object({
  seq: Count(
    { minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    'With hash: a checkpoint head the chain must still hold',
  ),
  hash: Type.Optional(
    Type.String({
      pattern: HEX_64.source,
      'x-invalid': 'hash must be 64 lowercase hex characters',
    }),
  ),
});
const RevokeUserBody = Type.Object({ reason: Reason(500) });
const CanaryBody = Type.Object({
  name: Type.Optional(Type.String({ description: 'default canary' })),
});
const DecoyBody = Type.Object({
  email: Type.String({
    minLength: 1,
    maxLength: 254,
    'x-invalid': 'email must be a non-empty string of at most 254 characters',
  }),
});
const ReplicaEntries = Closed({
  tokens: Type.Integer(),
  sessions: Type.Integer(),
  users: Type.Integer(),
  clients: Type.Integer(),
  keys: Type.Integer(),
  windows: Type.Integer(),
  api_tokens: Type.Integer(),
});
const SessionView = Closed({
  id: Type.String(),
  client_id: Type.String(),
  created_at: IsoTime,
  last_used_at: IsoTime,
  expires_at: IsoTime,
  ip: Nullable(Type.String()),
  last_ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
});
/** The log's real head (its last entry) and the last entry that verified: the same when the chain holds. */
const CHAIN_HEADS = {
  head_seq: Type.Integer(),
  head_hash: Type.String(),
  verified_seq: Type.Integer(),
  verified_hash: Type.String(),
};
const SeverityCounts = Type.Record(
  Type.String(),
  Closed({ total: Type.Integer(), unacknowledged: Type.Integer() }),
);
const op = (summary: string, more: Record<string, unknown>) => ({
  tags: ['security'],
  summary,
  security: SECURITY.bearer,
  ...more,
});
const reply200 = (schema: unknown) => ({ response: { 200: schema, ...ERROR_RESPONSES } });

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function presentBlock(b: IpBlockRecord, nowMs: number) {
  return {
    id: b.id,
    cidr: b.cidr,
    reason: b.reason,
    source: b.source,
    created_at: iso(b.createdAtMs),
    expires_at: iso(b.expiresAtMs),
    created_by: b.createdBy,
    lifted_at: iso(b.liftedAtMs),
    lifted_by: b.liftedBy,
    active: blockIsActive(b, nowMs),
    // What the block's own commit revoked (null: made before revokd kept it).
    revoked:
      b.revoked === null
        ? null
        : {
            sessions: b.revoked.sessions,
            refresh_tokens: b.revoked.refreshTokens,
            api_tokens: b.revoked.apiTokens,
          },
  };
}

export function presentAlert(a: AlertRecord) {
  return {
    id: a.id,
    severity: a.severity,
    type: a.type,
    subject: a.subject,
    ip: a.ip,
    details: a.details,
    created_at: iso(a.createdAtMs),
    acknowledged: a.acknowledgedAtMs !== null,
    acknowledged_at: iso(a.acknowledgedAtMs),
    acknowledged_by: a.acknowledgedBy,
  };
}

function presentSession(s: SessionRecord) {
  return {
    id: s.id,
    client_id: s.clientId,
    created_at: iso(s.createdAtMs),
    last_used_at: iso(s.lastUsedAtMs),
    expires_at: iso(s.expiresAtMs),
    ip: s.ip,
    last_ip: s.lastIp,
    user_agent: s.userAgent,
  };
}

export function securityRoutes(app: FastifyInstance, ctx: AppContext): void {
  const admin = bearerGuard(ctx, { role: 'admin' });
  const actorOf = (request: FastifyRequest) => ({
    type: 'admin' as const,
    id: requireUser(request).id,
  });
  const { blocks } = ctx.security;

  // ---- IP blocks ----------------------------------------------------------------------------

  app.post<{ Body: Static<typeof BlockBody> }>(
    '/api/v1/security/blocks',
    {
      preHandler: admin,
      config: { body: 'json' },
      schema: op('Block an address or range; revokes what was issued to it', {
        body: BlockBody,
        response: {
          201: Closed({
            id: Type.String(),
            cidr: Type.String(),
            reason: Type.String(),
            source: Type.String(),
            created_at: IsoTime,
            expires_at: NullableIsoTime,
            revoked_sessions: Type.Integer(),
            revoked_api_tokens: Type.Integer(),
          }),
          ...ERROR_RESPONSES,
        },
      }),
    },
    async (request, reply) => {
      const body = request.body;
      if (body.ip !== undefined && body.cidr !== undefined)
        throw new RevokdError('ERR_VALIDATION', 'give ip or cidr, not both');
      const target = body.ip ?? body.cidr;
      if (target === undefined) throw new RevokdError('ERR_VALIDATION', 'ip or cidr is required');
      const { block, report } = await blockIp(ctx, blocks, {
        target,
        reason: body.reason,
        durationSeconds: body.duration_seconds,
        source: 'manual',
        actor: actorOf(request),
        ip: request.clientIp,
        force: body.force,
      });
      return reply.code(201).send({
        id: block.id,
        cidr: block.cidr,
        reason: block.reason,
        source: block.source,
        created_at: iso(block.createdAtMs),
        expires_at: iso(block.expiresAtMs),
        revoked_sessions: report.sessions,
        revoked_api_tokens: report.apiTokens.length,
      });
    },
  );

  app.get<{ Querystring: Static<typeof BlocksQuery> }>(
    '/api/v1/security/blocks',
    {
      preHandler: admin,
      schema: op('IP blocks (active ones unless all=true)', {
        querystring: BlocksQuery,
        ...reply200(Closed({ blocks: Type.Array(IpBlock) })),
      }),
    },
    async (request) => {
      const { nowMs, blocks: list } = await listBlocks(ctx, request.query.all === true);
      return { blocks: list.map((b) => presentBlock(b, nowMs)) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/security/blocks/:id',
    {
      preHandler: admin,
      schema: op('Lift a block', {
        params: UuidParam('block id'),
        ...reply200(Closed({ id: Type.String(), cidr: Type.String(), lifted_at: NullableIsoTime })),
      }),
    },
    async (request) => {
      const lifted = await unblockIp(
        ctx,
        blocks,
        request.params.id.toLowerCase(),
        actorOf(request),
        request.clientIp,
      );
      return { id: lifted.id, cidr: lifted.cidr, lifted_at: iso(lifted.liftedAtMs) };
    },
  );

  // ---- Alerts -------------------------------------------------------------------------------

  app.get<{ Querystring: Static<typeof AlertsQuery> }>(
    '/api/v1/security/alerts',
    {
      preHandler: admin,
      schema: op('Alerts, newest first', {
        querystring: AlertsQuery,
        ...reply200(
          Closed({ alerts: Type.Array(Alert), limit: Type.Integer(), offset: Type.Integer() }),
        ),
      }),
    },
    async (request) => {
      const {
        severity,
        acknowledged,
        limit = ALERTS_LIMIT.default,
        offset = ALERTS_OFFSET.default,
      } = request.query;
      const alerts = await listAlerts(ctx, {
        limit,
        offset,
        ...(severity === undefined ? {} : { severity }),
        ...(acknowledged === undefined ? {} : { acknowledged }),
      });
      return { alerts: alerts.map(presentAlert), limit, offset };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/security/alerts/:id/acknowledge',
    {
      preHandler: admin,
      config: { body: 'none' },
      schema: op('Acknowledge an alert', { params: UuidParam('alert id'), ...reply200(Alert) }),
    },
    async (request) => {
      const alert = await acknowledgeAlert(ctx, request.params.id, requireUser(request).id);
      if (alert === undefined)
        throw new RevokdError('ERR_NOT_FOUND', 'no such unacknowledged alert');
      return presentAlert(alert);
    },
  );

  // ---- Monitoring views ---------------------------------------------------------------------

  const stateSize = () => {
    const size = ctx.replica.state.size();
    return {
      tokens: size.tokens,
      sessions: size.sessions,
      users: size.users,
      clients: size.clients,
      keys: size.keys,
      windows: size.windows,
      api_tokens: size.apiTokens,
    };
  };
  const replicaStatus = () => ({
    entries: stateSize(),
    staleness_ms: ctx.replica.stalenessMs(),
    stale: ctx.replica.isStale(),
    max_staleness_ms: ctx.config.maxStalenessMs,
    feed_poll_ms: ctx.config.feedPollMs,
    fail_mode: ctx.config.failMode,
  });

  app.get(
    '/api/v1/security/metrics',
    {
      preHandler: admin,
      schema: op(
        'Security overview: alerts, blocks, the revocation state',
        reply200(
          Closed({
            generated_at: IsoTime,
            alerts: Closed({
              total: Type.Integer(),
              unacknowledged: Type.Integer(),
              by_severity: SeverityCounts,
            }),
            blocks: Closed({
              active: Type.Integer(),
              by_source: Type.Record(Type.String(), Type.Integer()),
            }),
            revocation_state: ReplicaEntries,
            replica: Closed({
              staleness_ms: Type.Number(),
              stale: Type.Boolean(),
              max_staleness_ms: Type.Number(),
            }),
          }),
        ),
      ),
    },
    async () => {
      const nowMs = ctx.now();
      const counts = await alertCounts(ctx);
      const blockCounts = await activeBlockCounts(ctx, nowMs);
      const values = Object.values(counts);
      return {
        generated_at: iso(nowMs),
        alerts: {
          total: values.reduce((n, c) => n + c.total, 0),
          unacknowledged: values.reduce((n, c) => n + c.unacknowledged, 0),
          by_severity: counts,
        },
        blocks: { active: blockCounts.active, by_source: blockCounts.bySource },
        revocation_state: stateSize(),
        replica: {
          staleness_ms: ctx.replica.stalenessMs(),
          stale: ctx.replica.isStale(),
          max_staleness_ms: ctx.config.maxStalenessMs,
        },
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: Static<typeof ActivityQuery> }>(
    '/api/v1/security/user/:id/activity',
    {
      preHandler: admin,
      schema: op('What a user holds and did: sessions, API tokens, failed logins, recent audit', {
        params: UuidParam('user id'),
        querystring: ActivityQuery,
        ...reply200(
          Closed({
            user: PublicUserWithDecoy,
            sessions: Type.Array(SessionView),
            api_tokens: Type.Array(AdminApiTokenView),
            failed_logins_last_hour: Type.Integer(),
            recent_audit: Type.Array(AuditEntry),
          }),
        ),
      }),
    },
    async (request) => {
      const { limit = ACTIVITY_LIMIT.default } = request.query;
      const activity = await userActivity(ctx, request.params.id, limit);
      if (activity === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
      const { user } = activity;
      return {
        user: { ...publicUser(user), decoy: user.isDecoy === true },
        sessions: activity.sessions.map(presentSession),
        api_tokens: activity.apiTokens.map((t) => ({ ...presentApiToken(t), canary: t.isCanary })),
        failed_logins_last_hour: activity.failedLoginsLastHour,
        recent_audit: activity.recentAudit.map(presentAuditEntry),
      };
    },
  );

  app.get(
    '/api/v1/security/blacklist/status',
    {
      preHandler: admin,
      schema: op(
        'Revocation store and replica status',
        reply200(
          Closed({
            backend: Type.String(),
            store: StringEnum(['ok', 'unreachable'] as const),
            status: StringEnum(['healthy', 'degraded', 'unavailable'] as const),
            replica: Closed({
              entries: ReplicaEntries,
              staleness_ms: Type.Number(),
              stale: Type.Boolean(),
              max_staleness_ms: Type.Number(),
              feed_poll_ms: Type.Number(),
              fail_mode: Type.String(),
            }),
          }),
        ),
      ),
    },
    async () => {
      // The instance's one health judgement (app/service-health.ts), in the seeds' words.
      const health = await probeServiceHealth(ctx);
      return {
        backend: ctx.stores.lifecycle.backend,
        store: health.store,
        status: SEED_HEALTH_WORD[health.state],
        replica: replicaStatus(),
      };
    },
  );

  app.get(
    '/api/v1/security/health',
    {
      preHandler: admin,
      schema: op(
        'Security health checks',
        reply200(
          Closed({
            status: StringEnum(['healthy', 'degraded', 'unhealthy'] as const),
            generated_at: IsoTime,
            checks: Closed({
              store: StringEnum(['ok', 'unreachable'] as const),
              replica: StringEnum(['current', 'stale'] as const),
              replica_staleness_ms: Type.Number(),
              fail_mode: Type.String(),
              active_blocks: Nullable(Type.Integer()),
              unacknowledged_critical_alerts: Nullable(Type.Integer()),
              trusted_proxies: Type.Integer(),
            }),
          }),
        ),
      ),
    },
    async () => {
      const nowMs = ctx.now();
      // The instance's one health judgement (app/service-health.ts), made worse by open critical alerts.
      const health = await probeServiceHealth(ctx);
      const store = health.store === 'ok';
      const counts = store ? await alertCounts(ctx) : undefined;
      const activeBlocks = store ? (await activeBlockCounts(ctx, nowMs)).active : null;
      const openCritical = counts?.CRITICAL.unacknowledged ?? null;
      const status =
        health.state === 'unavailable'
          ? 'unhealthy'
          : health.state === 'degraded' || (openCritical ?? 0) > 0
            ? 'degraded'
            : 'healthy';
      return {
        status,
        generated_at: iso(nowMs),
        checks: {
          store: health.store,
          replica: health.replica,
          replica_staleness_ms: health.replicaStalenessMs,
          fail_mode: ctx.config.failMode,
          active_blocks: activeBlocks,
          unacknowledged_critical_alerts: openCritical,
          trusted_proxies: ctx.config.trustedProxies.length,
        },
      };
    },
  );

  // ---- Audit log ----------------------------------------------------------------------------

  app.get(
    '/api/v1/security/audit/summary',
    {
      preHandler: admin,
      schema: op(
        "Audit counts and the chain's state",
        reply200(
          Closed({
            generated_at: IsoTime,
            last_24h: Closed({ since: IsoTime, total: Type.Integer(), by_type: AuditCounts }),
            all_time: Closed({ total: Type.Integer(), by_type: AuditCounts }),
            chain: Type.Union([
              Closed({ ok: Type.Literal(true), entries: Type.Integer(), ...CHAIN_HEADS }),
              Closed({
                ok: Type.Literal(false),
                entries: Type.Integer(),
                first_bad_seq: Type.Integer(),
                problem: Type.String(),
                ...CHAIN_HEADS,
              }),
            ]),
          }),
        ),
      ),
    },
    async () => {
      const { nowMs, since, lastDay, allTime, verification, head, verified } =
        await auditSummary(ctx);
      return {
        generated_at: iso(nowMs),
        last_24h: { since: iso(since), total: lastDay.total, by_type: lastDay.byType },
        all_time: { total: allTime.total, by_type: allTime.byType },
        chain: {
          ...presentVerification(verification),
          head_seq: head.seq,
          head_hash: head.hash,
          verified_seq: verified.seq,
          verified_hash: verified.hash,
        },
      };
    },
  );

  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/api/v1/security/audit',
    {
      preHandler: admin,
      schema: op('The audit log, oldest first, paged by seq', {
        querystring: AuditQuery,
        ...reply200(
          Closed({
            entries: Type.Array(AuditEntry),
            limit: Type.Integer(),
            next_after_seq: Nullable(Type.Integer({ description: 'null on the last page' })),
          }),
        ),
      }),
    },
    async (request) => {
      const {
        after_seq: afterSeq = AUDIT_AFTER_SEQ.default,
        limit = AUDIT_LIMIT.default,
        type,
      } = request.query;
      const entries = await auditPage(ctx, {
        afterSeq,
        limit,
        ...(type === undefined ? {} : { type }),
      });
      return {
        entries: entries.map(presentAuditEntry),
        limit,
        // Pass as after_seq for the next page; null when this page was the last.
        next_after_seq: entries.length === limit ? entries[entries.length - 1]!.seq : null,
      };
    },
  );

  // The whole chain; with seq and hash (a checkpoint's head), also that the chain still holds it.
  app.get<{ Querystring: Static<typeof VerifyQuery> }>(
    '/api/v1/security/audit/verify',
    {
      preHandler: admin,
      schema: op('Verify the whole audit chain', {
        querystring: VerifyQuery,
        ...reply200(ChainVerification),
      }),
    },
    async (request) => {
      const { seq, hash } = request.query;
      if ((seq === undefined) !== (hash === undefined))
        throw new RevokdError('ERR_VALIDATION', 'seq and hash must be given together');
      const expectHead = seq !== undefined && hash !== undefined ? { seq, hash } : undefined;
      return presentVerification(await verifyAuditChain(ctx, expectHead));
    },
  );

  // A signed checkpoint of the verified head; save it and later pass it to `revokd audit verify --checkpoint`.
  app.get(
    '/api/v1/security/audit/checkpoint',
    {
      preHandler: admin,
      schema: op(
        'A signed checkpoint of the verified head (409 while the chain does not verify)',
        reply200(
          Closed({
            seq: Type.Integer(),
            hash: Type.String(),
            signature: Type.String(),
            signed_at: IsoTime,
          }),
        ),
      ),
    },
    async () => {
      const checkpoint = await auditCheckpoint(ctx);
      if (checkpoint === undefined)
        throw new RevokdError(
          'ERR_CONFLICT',
          'the audit log does not verify; no checkpoint is signed until it does (see /api/v1/security/audit/verify)',
        );
      return checkpoint;
    },
  );

  // ---- Revoking a user, with a preview ------------------------------------------------------

  app.post<{
    Params: { user_id: string };
    Querystring: Static<typeof DryRunQuery>;
    Body: Static<typeof RevokeUserBody>;
  }>(
    '/api/v1/security/token/revoke-user/:user_id',
    {
      preHandler: admin,
      config: { body: 'json' },
      schema: op('Revoke everything a user holds, with a reason (dry_run=true previews)', {
        params: UuidParam('user id', 'user_id'),
        querystring: DryRunQuery,
        body: RevokeUserBody,
        ...reply200(
          Closed({
            user_id: Type.String(),
            reason: Type.String(),
            dry_run: Type.Boolean(),
            revoked: Closed({
              sessions: Type.Integer(),
              refresh_tokens: Type.Integer(),
              access_tokens_cutoff: IsoTime,
              api_tokens: Type.Integer(),
            }),
          }),
        ),
      }),
    },
    async (request) => {
      const dryRun = request.query.dry_run === true;
      const reason = request.body.reason;
      if (reason.trim() === '') throw new RevokdError('ERR_VALIDATION', 'reason is required');
      const report = await revokeUserEverything(ctx, request.params.user_id.toLowerCase(), {
        reason: reason.trim(),
        actor: actorOf(request),
        ip: request.clientIp,
        dryRun,
      });
      return presentRevokeUserReport(report);
    },
  );

  // ---- Decoys -------------------------------------------------------------------------------

  app.post<{ Body: Static<typeof CanaryBody> }>(
    '/api/v1/security/canaries',
    {
      preHandler: admin,
      config: { body: 'json', bodyOptional: true },
      schema: op('Plant a canary API token: any use of it alerts and blocks', {
        body: CanaryBody,
        response: {
          201: Closed({
            id: Type.String(),
            name: Type.String(),
            token: Type.String(),
            token_prefix: Type.String(),
            canary: Type.Literal(true),
            created_at: IsoTime,
          }),
          ...ERROR_RESPONSES,
        },
      }),
    },
    async (request, reply) => {
      const body = request.body;
      const { record, token } = await createCanaryToken(
        ctx,
        requireUser(request).id,
        body.name,
        request.clientIp,
      );
      const view = presentApiToken(record);
      return reply.code(201).header('cache-control', 'no-store').send({
        id: view.id,
        name: view.name,
        token,
        token_prefix: view.token_prefix,
        canary: true,
        created_at: view.created_at,
      });
    },
  );

  app.post<{ Body: Static<typeof DecoyBody> }>(
    '/api/v1/security/decoys',
    {
      preHandler: admin,
      config: { body: 'json' },
      schema: op('Plant a decoy account: any login attempt on it blocks the address', {
        body: DecoyBody,
        response: { 201: PublicUserWithDecoy, ...ERROR_RESPONSES },
      }),
    },
    async (request, reply) => {
      const email = request.body.email;
      const user = await createDecoyUser(ctx, email, actorOf(request), request.clientIp);
      return reply.code(201).send({ ...publicUser(user), decoy: true });
    },
  );
}
