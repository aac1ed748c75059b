/**
 * MailTransport over SMTP (nodemailer), from REVOKD_SMTP_URL (`smtp://user:pass@host:port`,
 * `smtps://…`; nodemailer URL options such as `?tls.rejectUnauthorized=false` work too).
 * One connection per message (no pool); every phase has a timeout of a few seconds, so a server
 * that hangs fails the attempt instead of holding the worker.
 */
import nodemailer from 'nodemailer';
import type { MailEnvelope, MailTransport } from './mail-transport.js';

export interface SmtpTimeouts {
  readonly connectionTimeout: number;
  readonly greetingTimeout: number;
  readonly socketTimeout: number;
  readonly dnsTimeout: number;
}

export const SMTP_TIMEOUTS: SmtpTimeouts = {
  /** TCP (and TLS) connection established. */
  connectionTimeout: 5_000,
  /** Server greeting received after connecting. */
  greetingTimeout: 5_000,
  /** Inactivity on an open connection (any command). */
  socketTimeout: 10_000,
  dnsTimeout: 5_000,
};

export function createSmtpTransport(
  smtpUrl: string,
  timeouts: Partial<SmtpTimeouts> = {},
): MailTransport {
  const transporter = nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS, ...timeouts });
  return {
    async send(message: MailEnvelope): Promise<void> {
      const info = await transporter.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
      });
      // Accepted means the server took responsibility for every recipient we asked for.
      if (info.rejected.length > 0)
        throw new Error(`SMTP server rejected the recipient: ${info.response}`);
    },
    close(): void {
      transporter.close();
    },
  };
}
