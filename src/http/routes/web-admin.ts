/**
 * The web UI's security console (admin role): users (search; revoke everything with a mandatory
 * reason after a dry-run preview), alerts (filter, acknowledge), IP blocks (add and lift, each with
 * a reason), and the audit log (newest first, paged, filtered, with the hash chain's state).
 * The same app functions as /api/v1/security do the work.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { acknowledgeAlert } from '../../app/security/alerts.js';
import { blockIp, unblockIp } from '../../app/security/ip-blocks.js';
import { revokeUserEverything } from '../../app/security/revoke-user.js';
import {
  alertCounts,
  auditChainState,
  auditNewestFirst,
  blockIsActive,
  emailLookup,
  findActiveBlock,
  findUserByEmailOrId,
  findUserById,
  listAlerts,
  listBlocks,
  userAuditPage,
  usersWithHoldings,
} from '../../app/security/views.js';
import {
  AUDIT_EVENT_TYPES,
  type AuditEntry,
  type AuditEventType,
} from '../../core/audit/audit-event.js';
import { parseCidr } from '../../core/containment/ip-address.js';
import { RevokdError } from '../../core/errors.js';
import type { Actor, AlertSeverity, IpBlockRecord, UserRecord } from '../../stores/types.js';
import { adminAlertsPage, type AlertState, SEVERITIES } from '../../../web/pages/admin-alerts.js';
import { adminAuditPage, type AuditRow, type ChainState } from '../../../web/pages/admin-audit.js';
import {
  type BlockForm,
  type BlockRow,
  DURATION_CHOICES,
  adminBlocksPage,
  unblockConfirmPage,
  unblockSpec,
} from '../../../web/pages/admin-blocks.js';
import { adminRevokeUserPage } from '../../../web/pages/admin-revoke-user.js';
import { adminUsersPage } from '../../../web/pages/admin-users.js';
import { type WebGuard, formField, isCode, redirect, sendPage } from '../web-guard.js';
import { UUID_PATTERN } from '../../core/ids.js';
import { Type } from '@sinclair/typebox';
import { FormField, formSchema, pageSchema } from '../schemas/web.js';
import { IdParam } from '../schemas/ids.js';

// The console is lenient with its query (a bad filter shows everything): FormField allows anything,
// so `one` and `offsetParam` below read it forgivingly (a bad offset is the first page), which a
// schema cannot say; the API (security.ts), strict, checks its query by schema only.
const Offset = FormField('Entries to skip (paging)');

const USERS_PAGE = 25;
const ALERTS_PAGE = 25;
const AUDIT_PAGE_SIZE = 50;
/** How far back a per-user audit view reaches. */
const AUDIT_USER_WINDOW = 5000;

type Query = Record<string, string | string[] | undefined>;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return typeof v === 'string' ? v : undefined;
}

function offsetParam(q: Query): number {
  const raw = one(q, 'offset');
  return raw !== undefined && /^\d{1,7}$/.test(raw) ? Number(raw) : 0;
}

export function webAdminRoutes(app: FastifyInstance, ctx: AppContext, guard: WebGuard): void {
  const page = { preHandler: [guard.page, guard.admin] };
  const post = { preHandler: [guard.post, guard.admin], config: { body: 'form' as const } };
  const adminActor = (request: FastifyRequest): Actor => ({
    type: 'admin',
    id: request.webSession!.user.id,
  });

  app.get(
    '/admin',
    { ...page, schema: pageSchema('The security console (to /admin/users)') },
    async (_request, reply) => redirect(reply, '/admin/users'),
  );

  // ---- Users --------------------------------------------------------------------------------

  app.get<{ Querystring: Query }>(
    '/admin/users',
    {
      ...page,
      schema: pageSchema('Users', {
        querystring: Type.Object({ q: FormField('Search by email'), offset: Offset }),
      }),
    },
    async (request, reply) => {
      const search = (one(request.query, 'q') ?? '').trim().slice(0, 254);
      const offset = offsetParam(request.query);
      const { rows: found, hasMore } = await usersWithHoldings(ctx, {
        search,
        offset,
        pageSize: USERS_PAGE,
      });
      const rows = found.map(({ user: u, liveSessions, liveApiTokens }) => ({
        id: u.id,
        email: u.email,
        role: u.role,
        createdAtMs: u.createdAtMs,
        disabledAtMs: u.disabledAtMs,
        isDecoy: u.isDecoy === true,
        liveSessions,
        liveApiTokens,
      }));
      return sendPage(
        reply,
        adminUsersPage(guard.viewer(request), {
          users: rows,
          search,
          offset,
          pageSize: USERS_PAGE,
          hasMore,
          flash: guard.takeFlash(request, reply),
        }),
      );
    },
  );

  const findUser = async (id: string): Promise<UserRecord> => {
    const user = await findUserById(ctx, id);
    if (user === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
    return user;
  };

  const preview = async (request: FastifyRequest, user: UserRecord) => {
    // The dry run changes nothing: it is safe on a GET.
    const report = await revokeUserEverything(ctx, user.id, {
      reason: 'preview',
      actor: adminActor(request),
      ip: request.clientIp,
      dryRun: true,
    });
    return {
      userId: user.id,
      email: user.email,
      sessions: report.sessions,
      refreshTokens: report.refreshTokens,
      apiTokens: report.apiTokens,
    };
  };

  app.get<{ Params: { id: string } }>(
    '/admin/users/:id/revoke',
    {
      ...page,
      schema: pageSchema('Preview: revoke everything a user holds', {
        params: IdParam('A user id'),
      }),
    },
    async (request, reply) => {
      const user = await findUser(request.params.id);
      return sendPage(
        reply,
        adminRevokeUserPage(guard.viewer(request), await preview(request, user)),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/users/:id/revoke',
    {
      ...post,
      schema: formSchema(
        'Revoke everything a user holds, with a reason',
        { reason: FormField('1 to 500 characters') },
        { params: IdParam('A user id') },
      ),
    },
    async (request, reply) => {
      const user = await findUser(request.params.id);
      const reason = (formField(request, 'reason') ?? '').trim();
      if (reason === '' || reason.length > 500) {
        return sendPage(
          reply,
          adminRevokeUserPage(guard.viewer(request), await preview(request, user), {
            reason,
            error:
              reason === ''
                ? 'A reason is required: it goes into the audit log and the owner emails.'
                : 'Keep the reason under 500 characters.',
          }),
          400,
        );
      }
      const report = await revokeUserEverything(ctx, user.id, {
        reason,
        actor: adminActor(request),
        ip: request.clientIp,
        dryRun: false,
      });
      guard.setFlash(request, reply, {
        kind: 'success',
        text: `Revoked everything ${user.email} held: ${report.sessions} sessions, ${report.refreshTokens} refresh tokens, ${report.apiTokens} API tokens, and every access token issued before now.`,
      });
      return redirect(reply, `/admin/users?${new URLSearchParams({ q: user.email })}`);
    },
  );

  // ---- Alerts -------------------------------------------------------------------------------

  const alertsHref = (severity: string | undefined, status: string | undefined): string => {
    const p = new URLSearchParams();
    if (severity !== undefined && (SEVERITIES as readonly string[]).includes(severity))
      p.set('severity', severity);
    if (status === 'open' || status === 'acknowledged' || status === 'all') p.set('status', status);
    const q = p.toString();
    return q === '' ? '/admin/alerts' : `/admin/alerts?${q}`;
  };

  app.get<{ Querystring: Query }>(
    '/admin/alerts',
    {
      ...page,
      schema: pageSchema('Alerts', {
        querystring: Type.Object({
          severity: FormField('CRITICAL, HIGH, MEDIUM or LOW'),
          status: FormField('open (default), acknowledged or all'),
          offset: Offset,
        }),
      }),
    },
    async (request, reply) => {
      const q = request.query;
      const rawSeverity = one(q, 'severity');
      const severity = (SEVERITIES as readonly string[]).includes(rawSeverity ?? '')
        ? (rawSeverity as AlertSeverity)
        : undefined;
      const rawState = one(q, 'status');
      const state: AlertState =
        rawState === 'acknowledged' || rawState === 'all' ? rawState : 'open';
      const offset = offsetParam(q);
      const alerts = await listAlerts(ctx, {
        limit: ALERTS_PAGE + 1,
        offset,
        ...(severity === undefined ? {} : { severity }),
        ...(state === 'all' ? {} : { acknowledged: state === 'acknowledged' }),
      });
      const email = emailLookup(ctx);
      const rows = await Promise.all(
        alerts.slice(0, ALERTS_PAGE).map(async (a) => ({
          id: a.id,
          severity: a.severity,
          type: a.type,
          subject: a.subject,
          subjectEmail: await email(a.subject),
          ip: a.ip,
          details: a.details,
          createdAtMs: a.createdAtMs,
          acknowledgedAtMs: a.acknowledgedAtMs,
          acknowledgedByEmail: (await email(a.acknowledgedBy)) ?? a.acknowledgedBy,
        })),
      );
      return sendPage(
        reply,
        adminAlertsPage(guard.viewer(request), {
          alerts: rows,
          severity,
          state,
          counts: await alertCounts(ctx),
          offset,
          pageSize: ALERTS_PAGE,
          hasMore: alerts.length > ALERTS_PAGE,
          flash: guard.takeFlash(request, reply),
        }),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/alerts/:id/acknowledge',
    {
      ...post,
      schema: formSchema(
        'Acknowledge an alert',
        {
          severity: FormField('The list filter to return to'),
          status: FormField('The list filter to return to'),
        },
        { params: IdParam('An alert id') },
      ),
    },
    async (request, reply) => {
      if (!UUID_PATTERN.test(request.params.id))
        throw new RevokdError('ERR_NOT_FOUND', 'no such alert');
      const alert = await acknowledgeAlert(ctx, request.params.id, request.webSession!.user.id);
      guard.setFlash(
        request,
        reply,
        alert === undefined
          ? { kind: 'info', text: 'That alert was already acknowledged.' }
          : { kind: 'success', text: `Alert acknowledged (${alert.severity} ${alert.type}).` },
      );
      return redirect(
        reply,
        alertsHref(formField(request, 'severity'), formField(request, 'status')),
      );
    },
  );

  // ---- IP blocks ----------------------------------------------------------------------------

  const blockRows = async (showAll: boolean): Promise<BlockRow[]> => {
    const { nowMs, blocks } = await listBlocks(ctx, showAll);
    const email = emailLookup(ctx);
    return Promise.all(
      blocks.map(async (b) => toBlockRow(b, nowMs, (await email(b.createdBy)) ?? null)),
    );
  };

  const renderBlocks = async (request: FastifyRequest, showAll: boolean, form?: BlockForm) =>
    adminBlocksPage(guard.viewer(request), {
      blocks: await blockRows(showAll),
      showAll,
      yourIp: request.clientIp,
      form,
      flash: undefined,
    });

  app.get<{ Querystring: Query }>(
    '/admin/blocks',
    {
      ...page,
      schema: pageSchema('IP blocks', {
        querystring: Type.Object({ all: FormField('1: include lifted and expired blocks') }),
      }),
    },
    async (request, reply) => {
      const showAll = one(request.query, 'all') === '1';
      const flash = guard.takeFlash(request, reply);
      return sendPage(
        reply,
        adminBlocksPage(guard.viewer(request), {
          blocks: await blockRows(showAll),
          showAll,
          yourIp: request.clientIp,
          flash,
        }),
      );
    },
  );

  app.post(
    '/admin/blocks',
    {
      ...post,
      schema: formSchema('Block an address or range', {
        target: FormField('An IP address or CIDR range'),
        reason: FormField('Why'),
        duration: FormField('Seconds from the list, or permanent'),
      }),
    },
    async (request, reply) => {
      const form = {
        target: (formField(request, 'target') ?? '').trim(),
        reason: (formField(request, 'reason') ?? '').trim(),
        duration: formField(request, 'duration') ?? '86400',
      };
      const refuse = async (error: string) =>
        sendPage(reply, await renderBlocks(request, false, { ...form, error }), 400);
      const range = parseCidr(form.target);
      if (range === undefined)
        return refuse('Enter an IP address (203.0.113.7) or a CIDR range (198.51.100.0/24).');
      if (form.reason === '')
        return refuse('A reason is required: it is kept with the block and in the audit log.');
      if (!DURATION_CHOICES.some(([v]) => v === form.duration))
        return refuse('Choose a duration from the list.');
      // blockIp refuses your own address and over-broad ranges (the same rules as the API); its message is shown.
      try {
        const { block, report } = await blockIp(ctx, ctx.security.blocks, {
          target: form.target,
          reason: form.reason,
          durationSeconds: form.duration === 'permanent' ? undefined : Number(form.duration),
          source: 'manual',
          actor: adminActor(request),
          ip: request.clientIp,
        });
        guard.setFlash(request, reply, {
          kind: 'success',
          text: `Blocked ${block.cidr}. Revoked from it: ${report.sessions} ${report.sessions === 1 ? 'session' : 'sessions'} and ${report.apiTokens.length} API ${report.apiTokens.length === 1 ? 'token' : 'tokens'}.`,
        });
        return redirect(reply, '/admin/blocks');
      } catch (err) {
        if (isCode(err, 'ERR_VALIDATION')) return refuse(err.message);
        throw err;
      }
    },
  );

  const activeBlock = async (id: string): Promise<IpBlockRecord> => {
    const block = await findActiveBlock(ctx, id);
    if (block === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such active block');
    return block;
  };

  app.get<{ Params: { id: string } }>(
    '/admin/blocks/:id/unblock',
    {
      ...page,
      schema: pageSchema('Confirm: lift a block', { params: IdParam('A block id') }),
    },
    async (request, reply) => {
      const block = await activeBlock(request.params.id);
      return sendPage(
        reply,
        unblockConfirmPage(
          guard.viewer(request),
          unblockSpec(toBlockRow(block, ctx.now(), null), request.webSession!.csrfToken),
        ),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/blocks/:id/unblock',
    {
      ...post,
      schema: formSchema(
        'Lift a block, with a reason',
        { reason: FormField('1 to 500 characters') },
        { params: IdParam('A block id') },
      ),
    },
    async (request, reply) => {
      const block = await activeBlock(request.params.id);
      const reason = (formField(request, 'reason') ?? '').trim();
      if (reason === '' || reason.length > 500) {
        const spec = unblockSpec(
          toBlockRow(block, ctx.now(), null),
          request.webSession!.csrfToken,
          reason,
        );
        return sendPage(
          reply,
          unblockConfirmPage(
            guard.viewer(request),
            spec,
            'A reason (up to 500 characters) is required to lift a block.',
          ),
          400,
        );
      }
      let lifted: IpBlockRecord | undefined;
      try {
        lifted = await unblockIp(
          ctx,
          ctx.security.blocks,
          block.id,
          adminActor(request),
          request.clientIp,
          reason,
        );
      } catch (err) {
        if (!isCode(err, 'ERR_NOT_FOUND')) throw err; // lifted (or expired) since the page was shown
      }
      guard.setFlash(
        request,
        reply,
        lifted === undefined
          ? { kind: 'info', text: `${block.cidr} was already unblocked.` }
          : {
              kind: 'success',
              text: `Unblocked ${block.cidr}. Tokens the block revoked stay revoked.`,
            },
      );
      return redirect(reply, '/admin/blocks');
    },
  );

  // ---- Audit log ----------------------------------------------------------------------------

  app.get<{ Querystring: Query }>(
    '/admin/audit',
    {
      ...page,
      schema: pageSchema('The audit log, newest first', {
        querystring: Type.Object({
          type: FormField('An audit event type'),
          user: FormField('An email or user id'),
          offset: Offset,
        }),
      }),
    },
    async (request, reply) => {
      const q = request.query;
      const rawType = one(q, 'type') ?? '';
      const type = (AUDIT_EVENT_TYPES as readonly string[]).includes(rawType)
        ? (rawType as AuditEventType)
        : undefined;
      const userQuery = (one(q, 'user') ?? '').trim().slice(0, 254);
      const offset = offsetParam(q);

      // Forward from the last verified head (see app/security/audit-trail.ts), not the whole log per view.
      const state = await auditChainState(ctx);
      const chain: ChainState = state.ok
        ? { ok: true, entries: state.entries, headSeq: state.headSeq }
        : {
            ok: false,
            entries: Math.max(0, state.firstBadSeq - 1),
            firstBadSeq: state.firstBadSeq,
            problem: state.problem,
          };

      let entries: AuditEntry[] = [];
      let hasMore = false;
      let userError: string | undefined;
      if (userQuery !== '') {
        const user = await findUserByEmailOrId(ctx, userQuery);
        if (user === undefined) {
          userError = 'No user with that email or id.';
        } else {
          ({ entries, hasMore } = await userAuditPage(ctx, user.id, {
            type,
            offset,
            pageSize: AUDIT_PAGE_SIZE,
            window: AUDIT_USER_WINDOW,
          }));
        }
      } else {
        ({ entries, hasMore } = await auditNewestFirst(ctx, {
          type,
          offset,
          pageSize: AUDIT_PAGE_SIZE,
        }));
      }
      const email = emailLookup(ctx);
      const rows: AuditRow[] = await Promise.all(
        entries.map(async (e) => ({
          seq: e.seq,
          atMs: e.atMs,
          type: e.type,
          actorType: e.actorType,
          actor: (await email(e.actorId)) ?? e.actorId,
          initiator: e.initiator ?? null,
          reason: e.reason ?? null,
          targetType: e.targetType,
          target:
            (e.targetType === 'user' || e.targetType === 'subject'
              ? await email(e.targetId)
              : undefined) ?? e.targetId,
          ip: e.ip,
          details: e.details,
        })),
      );
      return sendPage(
        reply,
        adminAuditPage(guard.viewer(request), {
          chain,
          entries: rows,
          types: AUDIT_EVENT_TYPES,
          type,
          user: userQuery,
          userError,
          offset,
          pageSize: AUDIT_PAGE_SIZE,
          hasMore,
        }),
      );
    },
  );
}

function toBlockRow(b: IpBlockRecord, nowMs: number, createdByEmail: string | null): BlockRow {
  return {
    id: b.id,
    cidr: b.cidr,
    reason: b.reason,
    source: b.source,
    createdAtMs: b.createdAtMs,
    createdByEmail,
    expiresAtMs: b.expiresAtMs,
    liftedAtMs: b.liftedAtMs,
    active: blockIsActive(b, nowMs),
  };
}
