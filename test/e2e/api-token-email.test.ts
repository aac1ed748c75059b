/**
 * Owner emails for API-token revocations (SPEC §5.3): queued in the revoking commit, sent by the
 * outbox worker through a real SMTP server (smtp-server on 127.0.0.1), retried while the mail
 * server is down, kept across a SIGKILL, and kept (not sent) when no mail server is configured.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, freePort } from '../support/server-process.js';
import { type ReceivedMail, SmtpSink } from '../support/smtp-sink.js';
import { until } from '../support/until.js';

const PASSWORD = 'user-password-1';
const MAIL_FROM = 'revokd-test@example.org';
const FAST_MAIL = {
  REVOKD_MAIL_POLL_MS: '50',
  REVOKD_MAIL_FROM: MAIL_FROM,
  REVOKD_LOG_LEVEL: 'info',
};
const SEND_FAILED_LOG = 'mail outbox: send failed';

const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

async function newUser(
  server: ServerProcess,
  tag: string,
): Promise<{ email: string; bearer: string }> {
  const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const email = `${tag}-${Date.now()}@example.com`;
  await createUserViaAdmin(server.url, admin.access_token, email, PASSWORD);
  return { email, bearer: (await login(server.url, email, PASSWORD)).access_token };
}

async function createToken(
  server: ServerProcess,
  bearer: string,
  name: string,
): Promise<{ id: string; name: string; token: string; token_prefix: string }> {
  const res = await request(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    bearer,
    json: { name },
  });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function revoke(server: ServerProcess, bearer: string, id: string): Promise<void> {
  const res = await request(`${server.url}/api/v1/tokens/${id}`, { method: 'DELETE', bearer });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.message, 'Token revoked successfully');
}

async function readyz(server: ServerProcess): Promise<{ status: number; body: any }> {
  const res = await request(`${server.url}/readyz`);
  return { status: res.status, body: res.body };
}

/** Waits until the outbox has nothing left to send, so every message that will arrive has arrived. */
async function outboxDrained(server: ServerProcess): Promise<void> {
  await until('an empty outbox', async () =>
    (await readyz(server)).body?.checks?.mail_pending === 0 ? true : undefined,
  );
}

function mailsFor(received: readonly ReceivedMail[], email: string): ReceivedMail[] {
  return received.filter((m) => m.envelopeTo.includes(email));
}

function assertNotification(
  mail: ReceivedMail,
  owner: string,
  token: { name: string; token: string; token_prefix: string },
  reasonCode: string,
): void {
  assert.deepEqual(mail.envelopeTo, [owner]);
  assert.equal(mail.envelopeFrom, MAIL_FROM);
  assert.match(mail.headers.to ?? '', new RegExp(owner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(mail.headers.from ?? '', /revokd-test@example\.org/);
  assert.ok(mail.subject.includes(`"${token.name}"`), `subject names the token: ${mail.subject}`);
  assert.ok(
    mail.text.includes(`"${token.name}" (${token.token_prefix}`),
    `body names the token:\n${mail.text}`,
  );
  assert.ok(
    mail.text.includes(`reason code: ${reasonCode}`),
    `body gives the reason:\n${mail.text}`,
  );
  assert.ok(!mail.raw.includes(token.token), 'the secret is never mailed');
}

describe('API-token revocation emails through a real SMTP server', () => {
  let sink: SmtpSink;
  let server: ServerProcess;
  /** Shared by every sink on this port, so a restarted SMTP server adds to the same list. */
  const received: ReceivedMail[] = [];

  before(async () => {
    sink = await SmtpSink.start(0, received);
    server = await ServerProcess.start({
      env: { ...FAST_MAIL, REVOKD_SMTP_URL: `smtp://127.0.0.1:${sink.port}` },
    });
  });
  after(async () => {
    await server?.stop();
    await sink?.close();
  });

  test('one message per revocation, to the owner, naming the token and the reason (single revoke; revoke-all of two)', async () => {
    const ready = await readyz(server);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.mail, 'configured');

    const owner = await newUser(server, 'mail-owner');
    const single = await createToken(server, owner.bearer, 'ci deploy key');
    await revoke(server, owner.bearer, single.id);
    const [first] = await until('the single-revoke email', () => {
      const mails = mailsFor(received, owner.email);
      return mails.length >= 1 ? mails : undefined;
    });
    assertNotification(first as ReceivedMail, owner.email, single, 'user_request');

    const a = await createToken(server, owner.bearer, 'laptop cli');
    const b = await createToken(server, owner.bearer, 'backup job');
    const all = await request(`${server.url}/api/v1/tokens/revoke-all`, {
      method: 'POST',
      bearer: owner.bearer,
    });
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.revoked_count, 2);
    await until('the two revoke-all emails', () =>
      mailsFor(received, owner.email).length >= 3 ? true : undefined,
    );
    await outboxDrained(server);

    const mails = mailsFor(received, owner.email);
    assert.equal(mails.length, 3, 'exactly one message per revoked token');
    const bulk = mails.slice(1);
    for (const token of [a, b]) {
      const forToken = bulk.filter((m) => m.subject.includes(`"${token.name}"`));
      assert.equal(forToken.length, 1, `one message for ${token.name}`);
      assertNotification(forToken[0] as ReceivedMail, owner.email, token, 'revoke_all_api_tokens');
    }
    // Nobody else was mailed.
    assert.equal(received.filter((m) => !m.envelopeTo.includes(owner.email)).length, 0);
  });

  test('SMTP server down: the revoke still answers 200; the message arrives once the server is back', async () => {
    const owner = await newUser(server, 'mail-outage');
    const token = await createToken(server, owner.bearer, 'outage token');
    await sink.close();

    const failuresBefore = occurrences(server.output, SEND_FAILED_LOG);
    await revoke(server, owner.bearer, token.id);
    // The worker tried and failed at least once while the mail server was down.
    await until('a failed send attempt', () =>
      occurrences(server.output, SEND_FAILED_LOG) > failuresBefore ? true : undefined,
    );
    assert.equal(mailsFor(received, owner.email).length, 0);
    assert.ok((await readyz(server)).body.checks.mail_pending >= 1);

    sink = await SmtpSink.start(sink.port, received);
    await until(
      'the delayed email',
      () => (mailsFor(received, owner.email).length >= 1 ? true : undefined),
      30_000,
    );
    await outboxDrained(server);
    const mails = mailsFor(received, owner.email);
    assert.equal(mails.length, 1);
    assertNotification(mails[0] as ReceivedMail, owner.email, token, 'user_request');
    // Failures were logged, but never the message itself or its recipient.
    assert.ok(
      !server.output.includes('Your API token') && !server.output.includes(owner.email),
      'no mail body or address in the logs',
    );
  });
});

test('SIGKILL between queueing and sending: the message arrives after restart, exactly once', async () => {
  const smtpPort = await freePort(); // nothing listens here until after the crash
  const received: ReceivedMail[] = [];
  const server = await ServerProcess.start({
    env: { ...FAST_MAIL, REVOKD_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` },
  });
  let sink: SmtpSink | undefined;
  try {
    const owner = await newUser(server, 'mail-crash');
    const token = await createToken(server, owner.bearer, 'crash token');
    await revoke(server, owner.bearer, token.id);
    // Queued, tried, not sent (connection refused): the message lives only in the outbox now.
    await until('a failed send attempt', () =>
      server.output.includes(SEND_FAILED_LOG) ? true : undefined,
    );

    await server.kill();
    sink = await SmtpSink.start(smtpPort, received);
    await server.spawn();

    await until('the email after restart', () => (received.length >= 1 ? true : undefined), 30_000);
    await outboxDrained(server);
    assert.equal(received.length, 1, 'sent exactly once');
    assertNotification(received[0] as ReceivedMail, owner.email, token, 'user_request');
  } finally {
    await server.stop();
    await sink?.close();
  }
});

test('without REVOKD_SMTP_URL the outbox keeps the message and /readyz says mail is not configured (still ready)', async () => {
  const server = await ServerProcess.start({ env: { REVOKD_MAIL_POLL_MS: '50' } });
  try {
    const before = await readyz(server);
    assert.equal(before.status, 200);
    assert.equal(before.body.checks.mail, 'not_configured');
    assert.equal(before.body.checks.mail_pending, 0);

    const owner = await newUser(server, 'mail-none');
    const token = await createToken(server, owner.bearer, 'unmailed token');
    await revoke(server, owner.bearer, token.id);

    const after = await readyz(server);
    assert.equal(after.status, 200, 'mail is optional: readiness does not depend on it');
    assert.equal(after.body.status, 'ready');
    assert.equal(after.body.checks.mail, 'not_configured');
    assert.equal(after.body.checks.store, 'ok');
    assert.ok(after.body.checks.mail_pending >= 1, `pending: ${after.body.checks.mail_pending}`);
  } finally {
    await server.stop();
  }
});
