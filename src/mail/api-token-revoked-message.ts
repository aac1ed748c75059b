/** The owner notification for a revoked API token (plain text; no secret, only the display prefix). */
import type { ApiTokenRecord, OutboxMessage, UserRecord } from '../stores/types.js';

const REASON_TEXT: Record<string, string> = {
  user_request: 'you (or someone signed in as you) revoked it',
  logout_all: 'all of your API tokens were revoked at once',
  revoke_all_api_tokens: 'all of your API tokens were revoked at once',
  admin: 'an administrator revoked it',
  compromised: 'it was reported as compromised',
  unused: 'it had not been used for longer than the allowed period',
  user_disabled: 'your account was disabled',
  policy: 'a security policy revoked it',
  ip_block: 'the address it was created or last used from was blocked by a security block',
};

/** Strips control characters so nothing a user typed can break a mail header. */
function plain(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 100);
}

export function apiTokenRevokedMessage(
  token: ApiTokenRecord,
  owner: UserRecord,
  note?: string,
): OutboxMessage {
  const name = plain(token.name);
  const when = new Date(token.revokedAtMs ?? Date.now()).toISOString();
  const why =
    REASON_TEXT[token.revokeReason ?? ''] ?? `reason: ${token.revokeReason ?? 'unspecified'}`;
  const lines = [
    `Your API token "${name}" (${token.tokenPrefix}…) was revoked at ${when}.`,
    '',
    `Why: ${why} (reason code: ${token.revokeReason ?? 'unspecified'}).`,
    ...(note === undefined || note === '' ? [] : [`Note: ${plain(note)}`]),
    '',
    'Anything still using this token will now be refused. Revocation is permanent: create a new token if you still need access.',
    'If you did not expect this, review your sessions and tokens and contact your administrator.',
  ];
  return {
    kind: 'api_token.revoked',
    recipient: owner.email,
    subject: `Action needed: API token "${name}" was revoked`,
    body: lines.join('\n'),
  };
}
