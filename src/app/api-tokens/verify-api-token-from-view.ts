/**
 * API-token verification for introspection, answered from the in-process view
 * (app/introspection-view.ts) when it holds the token, else with one store read (the token joined
 * with its owner's disabled state). Same checks, same order and same events as verifyApiToken:
 * checksum before any lookup, constant-time hash comparison, canary alert on every presentation
 * (canaries are never cached), revoked / expired / owner disabled, then the last-use record.
 *
 * The bearer guard keeps verifyApiToken: it needs the whole owner record (role, password flag),
 * which the view does not hold.
 */
import type { Presentation } from '../../core/events.js';
import type { ApiTokenRecord } from '../../stores/types.js';
import type { AppContext, UsesStores } from '../context.js';
import {
  apiTokenHashOf,
  assertApiTokenLive,
  assertFoundAndNoCanary,
  assertOwnerEnabled,
  countedCheck,
  recordIfRevokedUse,
} from './verify-api-token.js';

export type ViewedApiTokenContext = Pick<
  AppContext,
  'replica' | 'now' | 'apiTokenUsage' | 'events' | 'introspectionView'
> &
  UsesStores<'records'>;

/** The token when it is good; throws the RevokdError verifyApiToken would. */
export async function verifyApiTokenFromView(
  ctx: ViewedApiTokenContext,
  presented: unknown,
  ip: string | null,
  via: Presentation,
): Promise<ApiTokenRecord> {
  return countedCheck(ctx, () => verifyOrThrow(ctx, presented, ip, via));
}

async function verifyOrThrow(
  ctx: ViewedApiTokenContext,
  presented: unknown,
  ip: string | null,
  via: Presentation,
): Promise<ApiTokenRecord> {
  const hash = apiTokenHashOf(presented);
  const view = ctx.introspectionView;
  let token = view.apiToken(hash);
  if (token !== undefined) {
    // Cached only while active with an enabled owner; the view dropped it on any record since.
    assertFoundAndNoCanary(ctx, token, hash, ip, via);
    assertApiTokenLive(ctx, token);
  } else {
    const mark = view.mark();
    const found = await ctx.stores.records.findApiTokenWithOwner(hash);
    token = found?.token;
    assertFoundAndNoCanary(ctx, token, hash, ip, via);
    try {
      assertApiTokenLive(ctx, token);
      assertOwnerEnabled(found?.owner);
    } catch (err) {
      recordIfRevokedUse(ctx, token, ip, err);
      throw err;
    }
    view.rememberApiToken(mark, token);
  }
  ctx.apiTokenUsage.record(token.id, ctx.now(), ip ?? 'unknown');
  return token;
}
