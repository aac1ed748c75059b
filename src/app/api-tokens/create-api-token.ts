/** Creating an API token: the secret is returned once and only its hash is stored. */
import { randomUUID } from 'node:crypto';
import { RevokdError } from '../../core/errors.js';
import { displayPrefix, generateApiToken } from '../../core/tokens/api-token.js';
import { sha256Hex } from '../../core/tokens/opaque.js';
import type { ApiTokenRecord, NewApiToken } from '../../stores/types.js';
import { parseScopes } from '../clients.js';
import type { AppContext } from '../context.js';

const DAY_MS = 86_400_000;

export function validateTokenName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    name.trim().length === 0 ||
    name.length > 100 ||
    /[\u0000-\u001f\u007f]/.test(name)
  ) {
    throw new RevokdError('ERR_VALIDATION', 'name must be 1 to 100 printable characters');
  }
  return name.trim();
}

export interface CreateApiTokenInput {
  readonly userId: string;
  readonly name: unknown;
  readonly scopes?: unknown;
  readonly expiresInDays?: unknown;
  readonly isCanary?: boolean;
  readonly ip: string | null;
}

export async function createApiToken(
  ctx: AppContext,
  input: CreateApiTokenInput,
): Promise<{ record: NewApiToken; token: string }> {
  const name = validateTokenName(input.name);
  const scopes = parseScopes(input.scopes);
  let expiresAtMs: number | null = null;
  const nowMs = ctx.now();
  if (input.expiresInDays !== undefined && input.expiresInDays !== null) {
    const days = input.expiresInDays;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 3650) {
      throw new RevokdError(
        'ERR_VALIDATION',
        'expires_in_days must be a whole number from 1 to 3650',
      );
    }
    expiresAtMs = nowMs + days * DAY_MS;
  }
  const token = generateApiToken();
  const record: NewApiToken = {
    id: randomUUID(),
    userId: input.userId,
    name,
    tokenHash: sha256Hex(token),
    tokenPrefix: displayPrefix(token),
    scopes,
    createdAtMs: nowMs,
    expiresAtMs,
    isCanary: input.isCanary === true,
    createdIp: input.ip,
  };
  await ctx.stores.records.createApiToken(
    record,
    { maxLivePerUser: input.isCanary === true ? null : ctx.config.apiTokenMaxPerUser },
    {
      type: 'api_token.created',
      actorType: 'user',
      actorId: input.userId,
      targetType: 'api_token',
      targetId: record.id,
      ip: input.ip,
      details: {
        name,
        prefix: record.tokenPrefix,
        scopes,
        expires_at: expiresAtMs,
        canary: record.isCanary,
      },
    },
  );
  ctx.events.emit('token_issued', { subject: input.userId, kind: 'api_token', ip: input.ip });
  return { record, token };
}

/** The public view of a token (never the hash). */
export function presentApiToken(t: ApiTokenRecord | NewApiToken) {
  const full = t as Partial<ApiTokenRecord>;
  const iso = (ms: number | null | undefined) =>
    ms === null || ms === undefined ? null : new Date(ms).toISOString();
  return {
    id: t.id,
    name: t.name,
    token_prefix: t.tokenPrefix,
    scopes: t.scopes,
    created_at: iso(t.createdAtMs),
    expires_at: iso(t.expiresAtMs),
    last_used_at: iso(full.lastUsedAtMs),
    last_used_ip: full.lastUsedIp ?? null,
    is_active: full.isActive ?? true,
    revoked_at: iso(full.revokedAtMs),
    revoke_reason: full.revokeReason ?? null,
    // Who revoked it: the actor's type (user, admin, system, cli; null if revoked before it was kept) and id (null for system/cli).
    revoked_by:
      full.revokedAtMs === null || full.revokedAtMs === undefined
        ? null
        : { type: full.revokedByType ?? null, id: full.revokedBy ?? null },
  };
}
