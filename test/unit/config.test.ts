import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/core/config.js';

test('defaults: port 8080 on 127.0.0.1, SQLite in ./data, EdDSA, fail closed', () => {
  const c = loadConfig({}, '/srv');
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.databaseUrl, 'sqlite:/srv/data/revokd.db');
  assert.equal(c.jwtAlg, 'EdDSA');
  assert.equal(c.failMode, 'closed');
  assert.equal(c.refreshGraceSeconds, 10);
  assert.ok(Object.isFrozen(c));
});

test('every problem is reported at once, naming the variable', () => {
  assert.throws(
    () =>
      loadConfig({
        PORT: 'eighty',
        REVOKD_REFRESH_GRACE_SECONDS: '61',
        REVOKD_FAIL_MODE: 'maybe',
        REVOKD_ADMIN_EMAIL: 'a@b.c',
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 4);
      for (const name of [
        'PORT',
        'REVOKD_REFRESH_GRACE_SECONDS',
        'REVOKD_FAIL_MODE',
        'REVOKD_ADMIN_PASSWORD',
      ]) {
        assert.ok(err.message.includes(name), name);
      }
      return true;
    },
  );
});

test('HS256 refuses a secret shorter than 32 bytes (RFC 7518 §3.2), and a missing one', () => {
  assert.throws(
    () => loadConfig({ REVOKD_JWT_ALG: 'HS256', REVOKD_JWT_SECRET: 'short-secret' }),
    /at least 32 bytes/,
  );
  assert.throws(() => loadConfig({ REVOKD_JWT_ALG: 'HS256' }), /REVOKD_JWT_SECRET is required/);
  assert.throws(
    () =>
      loadConfig({
        REVOKD_JWT_ALG: 'HS256',
        REVOKD_JWT_SECRET: 'x'.repeat(32),
        REVOKD_JWT_PREVIOUS_SECRET: 'short',
      }),
    /PREVIOUS_SECRET/,
  );
  assert.equal(
    loadConfig({ REVOKD_JWT_ALG: 'HS256', REVOKD_JWT_SECRET: 'x'.repeat(32) }).jwtAlg,
    'HS256',
  );
});

test('mail: SMTP URL scheme, sender address and poll interval are checked', () => {
  const c = loadConfig({
    REVOKD_SMTP_URL: 'smtp://127.0.0.1:2525',
    REVOKD_MAIL_FROM: 'Revokd <noreply@example.com>',
  });
  assert.equal(c.smtpUrl, 'smtp://127.0.0.1:2525');
  assert.equal(c.mailFrom, 'Revokd <noreply@example.com>');
  assert.equal(c.mailPollMs, 500);
  assert.equal(
    loadConfig({ REVOKD_MAIL_FROM: 'noreply@example.com' }).mailFrom,
    'noreply@example.com',
  );
  assert.equal(loadConfig({}).smtpUrl, undefined);
  assert.throws(
    () => loadConfig({ REVOKD_SMTP_URL: 'http://mail.example.com' }),
    /REVOKD_SMTP_URL/,
  );
  assert.throws(() => loadConfig({ REVOKD_MAIL_FROM: 'not an address' }), /REVOKD_MAIL_FROM/);
  assert.throws(() => loadConfig({ REVOKD_MAIL_FROM: 'a@b.c\r\nBcc: x@y.z' }), /REVOKD_MAIL_FROM/);
  assert.throws(() => loadConfig({ REVOKD_MAIL_POLL_MS: '5' }), /REVOKD_MAIL_POLL_MS/);
});

test('a PostgreSQL REVOKD_DATABASE_URL requires REVOKD_SECRET, reported with the other problems and saying why', () => {
  const problemsOf = (env: Record<string, string>): readonly string[] => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
  };
  const url = 'postgres://revokd@127.0.0.1:5432/revokd';
  const without = problemsOf({ REVOKD_DATABASE_URL: url, PORT: 'eighty' });
  const secretProblem = without.find((p) => p.startsWith('REVOKD_SECRET is required'));
  assert.ok(secretProblem !== undefined, without.join('; '));
  assert.match(secretProblem, /PostgreSQL/);
  assert.match(secretProblem, /share no data directory/);
  assert.match(secretProblem, /audit chain/);
  assert.match(secretProblem, /signing keys/);
  assert.ok(
    without.some((p) => p.startsWith('PORT')),
    'reported together with the other problems',
  );
  for (const env of [
    { REVOKD_DATABASE_URL: url, REVOKD_SECRET: 's'.repeat(32) },
    { REVOKD_DATABASE_URL: 'postgresql://db.example/revokd', REVOKD_SECRET: 's'.repeat(32) },
  ]) {
    assert.deepEqual(problemsOf(env), [], env.REVOKD_DATABASE_URL);
    assert.equal(loadConfig(env).databaseUrl, env.REVOKD_DATABASE_URL);
  }
  assert.deepEqual(
    problemsOf({ REVOKD_DATABASE_URL: url, REVOKD_SECRET: 'short' }),
    ['REVOKD_SECRET must be at least 32 bytes long'],
    'a short one is refused as on SQLite, not as missing',
  );
  assert.ok(
    problemsOf({ REVOKD_DATABASE_URL: 'postgresql://db.example/revokd' }).some((p) =>
      p.startsWith('REVOKD_SECRET is required'),
    ),
  );
  // SQLite keeps the generated secret: no REVOKD_SECRET needed.
  assert.equal(loadConfig({ REVOKD_DATABASE_URL: 'sqlite:/srv/revokd.db' }).secret, undefined);
});

test('REVOKD_CORS_ORIGINS: off by default; exact origins only (no path, no wildcard, as a browser sends them)', () => {
  assert.deepEqual(loadConfig({}).corsOrigins, []);
  assert.deepEqual(
    loadConfig({ REVOKD_CORS_ORIGINS: 'https://app.example.com, http://127.0.0.1:3000' })
      .corsOrigins,
    ['https://app.example.com', 'http://127.0.0.1:3000'],
  );
  for (const bad of [
    '*',
    'https://*.example.com',
    'https://app.example.com/',
    'https://app.example.com/path',
    'app.example.com',
    'ftp://app.example.com',
    'https://App.Example.com',
    'https://app.example.com:443',
  ]) {
    assert.throws(
      () => loadConfig({ REVOKD_CORS_ORIGINS: bad }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, bad);
        assert.match(err.message, /REVOKD_CORS_ORIGINS/, bad);
        assert.ok(
          err.message.includes(`"${bad}"`),
          `${bad}: the message names the entry: ${err.message}`,
        );
        return true;
      },
    );
  }
});
