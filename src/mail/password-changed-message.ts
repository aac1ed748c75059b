/** The owner notification for a password change or an admin reset (plain text; never the password). */
import type { OutboxMessage, UserRecord } from '../stores/types.js';

/** Queued in the same commit as the new hash, before the sessions are revoked: it names no counts. */
export interface PasswordEvent {
  readonly kind: 'changed' | 'reset';
  readonly atMs: number;
  readonly ip?: string | undefined;
}

export function passwordChangedMessage(owner: UserRecord, event: PasswordEvent): OutboxMessage {
  const when = new Date(event.atMs).toISOString();
  const lines =
    event.kind === 'changed'
      ? [
          `The password of your account ${owner.email} was changed at ${when}${event.ip === undefined ? '' : ` from the address ${event.ip}`}.`,
          '',
          'Every other session of your account was signed out; the device that made the change stays signed in.',
          'API tokens are not affected.',
          '',
          'If you did not do this, someone else knows your password: contact your administrator now.',
        ]
      : [
          `An administrator set a new password for your account ${owner.email} at ${when}.`,
          '',
          'Every session of your account was signed out. Sign in with the password your administrator gives you, then change it on the Account page.',
          'API tokens are not affected.',
          '',
          'If you did not ask for this, contact your administrator.',
        ];
  return {
    kind: event.kind === 'changed' ? 'user.password_changed' : 'user.password_reset',
    recipient: owner.email,
    subject:
      event.kind === 'changed'
        ? 'Your revokd password was changed'
        : 'Your revokd password was reset by an administrator',
    body: lines.join('\n'),
  };
}
