/** The live window revocations (admin API `GET /api/v1/admin/revocations/windows`, CLI `revoke window --list`). */
import type { AppContext, UsesStores } from './context.js';

export interface PresentedWindow {
  readonly seq: number;
  /** Issued-at bounds, epoch seconds: the entry covers tokens with from <= iat < to. */
  readonly from: number;
  readonly to: number;
  readonly reason: string;
  readonly note: string | null;
  readonly created_at: string;
  /** When the entry goes (every token it covers has expired by then); null for entries made before it had a lifetime. */
  readonly expires_at: string | null;
}

export async function listLiveWindows(
  ctx: Pick<AppContext, 'now'> & UsesStores<'revocations'>,
): Promise<PresentedWindow[]> {
  const records = await ctx.stores.revocations.listWindowRevocations(ctx.now());
  return records.map((r) => ({
    seq: r.seq,
    from: r.windowFrom ?? 0,
    to: r.windowTo ?? 0,
    reason: r.reason,
    note: r.note,
    created_at: new Date(r.createdAtMs).toISOString(),
    expires_at: r.expiresAtMs === null ? null : new Date(r.expiresAtMs).toISOString(),
  }));
}
