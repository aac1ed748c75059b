/** What the outbox worker needs from a mail sender: one plain-text message, resolved once accepted. */
export interface MailEnvelope {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface MailTransport {
  /** Resolves when the server accepted the message; rejects (with a reason safe to log) otherwise. */
  send(message: MailEnvelope): Promise<void>;
  /** Releases connections; further sends are not expected. */
  close(): void;
}

/** The sender used when REVOKD_MAIL_FROM is unset. */
export const DEFAULT_MAIL_FROM = 'revokd@localhost';
