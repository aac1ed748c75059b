/** Raising alerts: stored (deduplicated by key), audited, logged, and announced on the event bus. */
import { randomUUID } from 'node:crypto';
import type { AlertRecord, AlertSeverity } from '../../stores/types.js';
import type { AppContext, UsesStores } from '../context.js';

export interface AlertInput {
  readonly severity: AlertSeverity;
  readonly type: string;
  readonly subject?: string | null;
  readonly ip?: string | null;
  readonly details?: Record<string, unknown>;
  /** At most one alert per key (e.g. per replayed token). */
  readonly dedupeKey?: string;
}

export async function raiseAlert(
  ctx: Pick<AppContext, 'now' | 'log' | 'events'> & UsesStores<'containment'>,
  input: AlertInput,
): Promise<AlertRecord> {
  const nowMs = ctx.now();
  const { alert, created } = await ctx.stores.containment.raiseAlert(
    {
      id: randomUUID(),
      severity: input.severity,
      type: input.type,
      subject: input.subject ?? null,
      ip: input.ip ?? null,
      details: input.details ?? {},
      createdAtMs: nowMs,
      dedupeKey: input.dedupeKey ?? null,
    },
    {
      type: 'alert.raised',
      actorType: 'system',
      actorId: null,
      targetType: input.subject === undefined || input.subject === null ? null : 'subject',
      targetId: input.subject ?? null,
      ip: input.ip ?? null,
      details: { severity: input.severity, alert_type: input.type },
    },
  );
  if (created) {
    ctx.log.warn(
      {
        alert: {
          id: alert.id,
          severity: alert.severity,
          type: alert.type,
          subject: alert.subject,
          ip: alert.ip,
        },
      },
      'security alert',
    );
    ctx.events.emit('alert_raised', { severity: alert.severity, type: alert.type });
  }
  return alert;
}

/** Acknowledges an alert (id any case) as `by`; undefined when unknown or already acknowledged. */
export function acknowledgeAlert(
  ctx: Pick<AppContext, 'now'> & UsesStores<'containment'>,
  id: string,
  by: string,
): Promise<AlertRecord | undefined> {
  return ctx.stores.containment.acknowledgeAlert(id.toLowerCase(), by, ctx.now());
}
