/**
 * Where the service secret comes from — the one place the server and the CLI both ask, so
 * `revokd audit verify` on a data directory finds the key the server chained it under.
 *
 * `REVOKD_SECRET` when set; otherwise a secret generated on first start into
 * `<dataDir>/audit-secret` (32 random bytes, hex), created with mode 0600 whatever the umask and
 * published atomically: written in full to a private temporary file, then hard-linked into place, so
 * two processes starting at once never see a half-written secret (the loser reads the winner's).
 * Never logged.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.js';
import { type AuditKeys, deriveAuditKeys } from '../../core/audit/audit-keys.js';

export const SECRET_FILE = 'audit-secret';

export function serviceSecretPath(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, SECRET_FILE);
}

export function resolveServiceSecret(config: Pick<Config, 'dataDir' | 'secret'>): Buffer {
  if (config.secret !== undefined) return Buffer.from(config.secret, 'utf8');
  const file = serviceSecretPath(config);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) createSecretFile(file);
  const secret = fs.readFileSync(file, 'utf8').trim();
  // A file cut short (disk full at first start) must not become a weak key.
  if (secret.length < 32) throw new Error(`${file} is shorter than 32 characters; restore it from backup or remove it only if the audit log is empty`);
  return Buffer.from(secret, 'utf8');
}

export function resolveAuditKeys(config: Pick<Config, 'dataDir' | 'secret'>): AuditKeys {
  return deriveAuditKeys(resolveServiceSecret(config));
}

function createSecretFile(file: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, randomBytes(32).toString('hex'));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.unlinkSync(tmp);
  }
}
