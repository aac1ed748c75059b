/** Policy: revoke API tokens unused for REVOKD_API_TOKEN_UNUSED_DAYS (owners are emailed like any revocation). */
import type { AppContext } from '../context.js';
import { revokeApiToken } from './revoke-api-tokens.js';

const DAY_MS = 86_400_000;

export async function sweepUnusedApiTokens(ctx: AppContext): Promise<number> {
  const days = ctx.config.apiTokenUnusedDays;
  if (days === null) return 0;
  const stale = await ctx.stores.records.listUnusedApiTokens(ctx.now() - days * DAY_MS, 500);
  let revoked = 0;
  for (const token of stale) {
    try {
      await revokeApiToken(ctx, token.id, null, {
        actor: { type: 'system', id: null },
        initiator: 'policy',
        reason: 'unused',
        note: `not used for ${days} days`,
      });
      revoked++;
    } catch (err) {
      ctx.log.warn({ err, token: token.id }, 'unused-token sweep could not revoke a token');
    }
  }
  return revoked;
}
