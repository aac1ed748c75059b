/**
 * A real SMTP server for tests (smtp-server on 127.0.0.1, no TLS, no auth) that keeps every message
 * it accepts: envelope, headers, and the text body decoded from quoted-printable or base64.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly envelopeFrom: string | null;
  readonly envelopeTo: readonly string[];
  /** Header names lower-cased, folded lines joined. */
  readonly headers: Readonly<Record<string, string>>;
  readonly subject: string;
  readonly text: string;
  readonly raw: string;
}

function decodeBody(body: string, transferEncoding: string | undefined): string {
  switch ((transferEncoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable': {
      const joined = body.replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < joined.length; i++) {
        const hex = joined[i] === '=' ? /^[0-9A-F]{2}$/i.exec(joined.slice(i + 1, i + 3)) : null;
        if (hex !== null) {
          bytes.push(parseInt(hex[0], 16));
          i += 2;
        } else {
          bytes.push(...Buffer.from(joined[i] as string, 'utf8'));
        }
      }
      return Buffer.from(bytes).toString('utf8');
    }
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/** Decodes RFC 2047 encoded words (=?utf-8?Q?…?= / =?utf-8?B?…?=) in a header value. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(
      /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
      (_m, _charset: string, enc: string, text: string) =>
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64').toString('utf8')
          : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'),
    );
}

export function parseMail(
  raw: string,
  envelopeFrom: string | null,
  envelopeTo: readonly string[],
): ReceivedMail {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = decodeHeader(
        line.slice(colon + 1).trim(),
      );
  }
  return {
    envelopeFrom,
    envelopeTo,
    headers,
    subject: headers.subject ?? '',
    text: decodeBody(body, headers['content-transfer-encoding']).replace(/\r\n/g, '\n'),
    raw,
  };
}

export class SmtpSink {
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
    readonly received: ReceivedMail[],
  ) {}

  /** Listens on 127.0.0.1:`port` (0: any free port). Messages go to `into` when given (kept across sinks). */
  static async start(port = 0, into?: ReceivedMail[]): Promise<SmtpSink> {
    const received = into ?? [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', callback);
        stream.on('end', () => {
          const from =
            session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address;
          received.push(
            parseMail(
              Buffer.concat(chunks).toString('utf8'),
              from,
              session.envelope.rcptTo.map((r) => r.address),
            ),
          );
          callback();
        });
      },
    });
    const bound = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      const net = server.listen(port, '127.0.0.1', () =>
        resolve((net.address() as AddressInfo).port),
      );
    });
    return new SmtpSink(server, bound, received);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
