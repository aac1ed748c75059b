/** Token-shaped answers: login/refresh/token-endpoint responses, introspection, API-token views. */
import { Type } from '@sinclair/typebox';
import { Closed, Nullable, IsoTime, NullableIsoTime } from './shapes.js';

/** src/app/token-response.ts: a login, a refresh, or an /oauth/token answer. */
export const TokenResponse = Closed({
  access_token: Type.String({ description: 'A signed JWT' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds the access token lives' }),
  refresh_token: Type.Optional(
    Type.String({ description: 'Rotating refresh token (rt_…); shown once' }),
  ),
  refresh_expires_in: Type.Optional(Type.Integer()),
  session_id: Type.String(),
  scope: Type.Optional(Type.String()),
});

/** RFC 7662 §2.2: inactive is exactly {"active": false}; active answers carry the token's claims. */
export const Introspection = Type.Union([
  Closed({ active: Type.Literal(false) }),
  Closed({
    active: Type.Literal(true),
    token_type: Type.Union([
      Type.Literal('access_token'),
      Type.Literal('refresh_token'),
      Type.Literal('api_token'),
    ]),
    iss: Type.String(),
    sub: Type.String(),
    aud: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    client_id: Type.Optional(Type.String()),
    scope: Type.Optional(Type.String()),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    nbf: Type.Optional(Type.Integer()),
    jti: Type.Optional(Type.String()),
    sid: Type.Optional(Type.String()),
    token_id: Type.Optional(Type.String()),
  }),
]);

const apiTokenFields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  token_prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  created_at: IsoTime,
  expires_at: NullableIsoTime,
  last_used_at: NullableIsoTime,
  last_used_ip: Nullable(Type.String()),
  is_active: Type.Boolean(),
  revoked_at: NullableIsoTime,
  revoke_reason: Nullable(Type.String()),
  revoked_by: Nullable(
    Closed(
      {
        type: Nullable(
          Type.String({
            description: 'user, admin, system or cli; null if revoked before it was kept',
          }),
        ),
        id: Nullable(Type.String()),
      },
      { description: 'Who revoked it; null while active' },
    ),
  ),
};

/** presentApiToken (src/app/api-tokens/create-api-token.ts): a token without its secret. */
export const ApiTokenView = Closed(apiTokenFields);

/** The admin's view also says whether a token is a canary. */
export const AdminApiTokenView = Closed({ ...apiTokenFields, canary: Type.Boolean() });

/** A token just created: the secret (`token`) is in this answer only. */
export const CreatedApiToken = Closed({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  token: Type.String({ description: 'The secret, shown once' }),
  token_prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  created_at: IsoTime,
  expires_at: NullableIsoTime,
});

/** The answer to revoking one API token. */
export const RevokedApiToken = Closed({
  message: Type.String(),
  token_id: Type.String({ format: 'uuid' }),
  revoked_at: IsoTime,
});
