/**
 * OAuth clients: confidential ones have a hashed secret (SHA-256 — secrets are 256-bit random, so
 * a slow hash adds nothing) compared in constant time; the built-in public client `revokd` is the
 * first-party web/app client that logs users in.
 */
import { RevokdError, isRevokdError } from '../core/errors.js';
import { matchClientSecret } from '../core/client-secret-match.js';
import { newOpaqueToken, sha256Hex } from '../core/tokens/opaque.js';
import { randomBytes } from 'node:crypto';
import type { Actor, ClientRecord } from '../stores/types.js';
import type { AppContext, UsesStores } from './context.js';
import type { IntrospectionView } from './introspection-view.js';
import { UNPRINTABLE } from './users.js';

export const FIRST_PARTY_CLIENT_ID = 'revokd';
export const CLIENT_GRANTS = ['refresh_token', 'client_credentials'] as const;
/** The client scope /oauth/introspect requires (see mayIntrospect). */
export const INTROSPECT_SCOPE = 'introspect';
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/; // RFC 6749 §3.3 scope-token

export function parseScopes(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  const list = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(' ')
      : undefined;
  if (
    list === undefined ||
    list.length > 50 ||
    !list.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))
  ) {
    throw new RevokdError('ERR_INVALID_SCOPE', 'scope must be space-separated scope tokens');
  }
  return [...new Set(list as string[])];
}

export async function createClient(
  ctx: Pick<AppContext, 'now'> & UsesStores<'records'>,
  input: { name: string; scopes?: string[]; grants?: string[]; public?: boolean; id?: string },
  actor: Actor,
): Promise<{ client: ClientRecord; secret: string | null }> {
  if (
    typeof input.name !== 'string' ||
    input.name.trim() === '' ||
    input.name.length > 100 ||
    UNPRINTABLE.test(input.name)
  ) {
    throw new RevokdError('ERR_VALIDATION', 'client name must be 1 to 100 characters');
  }
  const grants = input.grants ?? ['client_credentials', 'refresh_token'];
  for (const g of grants) {
    if (!(CLIENT_GRANTS as readonly string[]).includes(g))
      throw new RevokdError('ERR_VALIDATION', `unknown grant: ${g}`);
  }
  const secret = input.public === true ? null : newOpaqueToken('cs_');
  const client: ClientRecord = {
    id: input.id ?? `cl_${randomBytes(12).toString('base64url')}`,
    name: input.name.trim(),
    secretHash: secret === null ? null : sha256Hex(secret),
    grants,
    scopes: input.scopes ?? [],
    createdAtMs: ctx.now(),
    disabledAtMs: null,
  };
  await ctx.stores.records.createClient(client, {
    type: 'client.created',
    actorType: actor.type,
    actorId: actor.id,
    targetType: 'client',
    targetId: client.id,
    ip: null,
    details: { name: client.name, grants, scopes: client.scopes, public: secret === null },
  });
  return { client, secret };
}

/** The first-party public client exists on every install. */
export async function ensureFirstPartyClient(
  ctx: Pick<AppContext, 'now'> & UsesStores<'records'>,
): Promise<void> {
  if ((await ctx.stores.records.findClient(FIRST_PARTY_CLIENT_ID)) !== undefined) return;
  try {
    await createClient(
      ctx,
      {
        id: FIRST_PARTY_CLIENT_ID,
        name: 'revokd first-party',
        public: true,
        grants: ['refresh_token'],
      },
      { type: 'system', id: null },
    );
  } catch (err) {
    // Instances starting at the same moment on one fresh database: another one made it first.
    if (!(
      isRevokdError(err) &&
      err.code === 'ERR_CONFLICT' &&
      (await ctx.stores.records.findClient(FIRST_PARTY_CLIENT_ID)) !== undefined
    ))
      throw err;
  }
}

export interface ClientCredentials {
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  /** client_secret_basic was used (RFC 6749 §2.3.1). */
  readonly viaBasic: boolean;
}

/**
 * An authenticated client, and which of its secrets authenticated it: what a token or a stream
 * obtained with it must be re-checked against when it is committed (a rotation or a disable can
 * land between the check and the write).
 */
export interface AuthenticatedClient extends ClientRecord {
  /** SHA-256 of the secret presented (null for a public client). */
  readonly presentedSecretHash: string | null;
  /** When the presented secret stops working: a rotation's grace end; null for the current secret. */
  readonly secretEndsAtMs: number | null;
}

/**
 * Authenticates a client. Confidential clients must present their secret (or, during a rotation's
 * grace period, the replaced one); a public client is identified by client_id alone. Any failure
 * is 401 invalid_client (RFC 6749 §5.2).
 *
 * With `view` (introspection only: what it authorizes is a read, and nothing it obtains needs a
 * re-check at a commit), a client the view holds is authenticated from memory; a secret the entry
 * does not match (one rotated in, not yet seen here) is checked against the store, as is any
 * client the view does not hold — one read, remembered when it succeeds.
 */
export async function authenticateClient(
  ctx: Pick<AppContext, 'now'> & UsesStores<'records'>,
  creds: ClientCredentials,
  view?: IntrospectionView,
): Promise<AuthenticatedClient> {
  const fail = (): RevokdError =>
    new RevokdError('ERR_INVALID_CLIENT', 'client authentication failed');
  if (creds.clientId === undefined || creds.clientId.length === 0 || creds.clientId.length > 128)
    throw fail();
  // Hashed before any lookup, so the timing does not tell which ids exist.
  const presented = sha256Hex(creds.clientSecret ?? '');
  const cached = view?.client(creds.clientId);
  const fromView =
    cached === undefined ? undefined : authenticatedAs(ctx, cached, creds, presented);
  if (fromView !== undefined) return fromView;
  const mark = view?.mark();
  const readAtMs = ctx.now();
  const client = await ctx.stores.records.findClient(creds.clientId);
  if (client === undefined) throw fail();
  const authenticated = authenticatedAs(ctx, client, creds, presented);
  if (authenticated === undefined) throw fail();
  if (mark !== undefined) view?.rememberClient(mark, client, readAtMs);
  return authenticated;
}

/** The client authenticated by these credentials, or undefined (disabled, wrong or stale secret). */
function authenticatedAs(
  ctx: Pick<AppContext, 'now'>,
  client: ClientRecord,
  creds: ClientCredentials,
  presented: string,
): AuthenticatedClient | undefined {
  if (client.disabledAtMs !== null) return undefined;
  if (client.secretHash === null) {
    if (creds.clientSecret !== undefined && creds.clientSecret !== '') return undefined;
    return { ...client, presentedSecretHash: null, secretEndsAtMs: null };
  }
  const match =
    creds.clientSecret === undefined ? undefined : matchClientSecret(client, presented, ctx.now());
  if (match === undefined) return undefined;
  return {
    ...client,
    presentedSecretHash: presented,
    secretEndsAtMs: match.kind === 'previous' ? match.endsAtMs : null,
  };
}

/**
 * Whether the client may introspect (RFC 7662): it holds the scope `introspect`, or it was created
 * without any scope — what every client could do before the scope existed, kept for them.
 */
export function mayIntrospect(client: Pick<ClientRecord, 'scopes'>): boolean {
  return client.scopes.length === 0 || client.scopes.includes(INTROSPECT_SCOPE);
}
