/**
 * Where the service secret comes from — the one place the server and the CLI both ask, so
 * `revokd audit verify` on a data directory finds the key the server chained it under, and every
 * process on one database opens the signing keys the others sealed.
 *
 * `REVOKD_SECRET` when set. Otherwise, on a backend not shared across hosts (SQLite: capability
 * `sharedAcrossHosts` false), a secret generated on first start into
 * `<dataDir>/audit-secret` (32 random bytes, hex), created with mode 0600 whatever the umask and
 * published atomically: written in full to a private temporary file, then hard-linked into place, so
 * two processes starting at once never see a half-written secret (the loser reads the winner's).
 * On a database shared across hosts (PostgreSQL) there is no shared data directory to generate it
 * in (configuration requires REVOKD_SECRET there), so no file is ever written. Never logged.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Config, SECRET_REQUIRED_WITH_POSTGRES } from '../../core/config.js';
import { type AuditKeys, deriveAuditKeys } from '../../core/audit/audit-keys.js';
import { parseStoreUrl } from '../../core/database-url.js';
import { PrivateKeySealer } from '../../keys/sealed-private-key.js';

export const SECRET_FILE = 'audit-secret';

type SecretConfig = Pick<Config, 'dataDir' | 'secret' | 'databaseUrl'>;

/** Everything a process derives from the service secret, resolved once per start. */
export interface ServiceKeys {
  readonly audit: AuditKeys;
  /** Seals and opens the private halves of signing keys in the store. */
  readonly signingKeySealer: PrivateKeySealer;
}

export function serviceSecretPath(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, SECRET_FILE);
}

export function resolveServiceSecret(config: SecretConfig): Buffer {
  if (config.secret !== undefined) return Buffer.from(config.secret, 'utf8');
  // Configuration already refuses this; a caller that built its own config must not get a file
  // secret that the other instances of the cluster cannot have.
  const location = parseStoreUrl(config.databaseUrl);
  if ('capabilities' in location && location.capabilities.sharedAcrossHosts)
    throw new Error(SECRET_REQUIRED_WITH_POSTGRES);
  const file = serviceSecretPath(config);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) createSecretFile(file);
  const secret = fs.readFileSync(file, 'utf8').trim();
  // A file cut short (disk full at first start) must not become a weak key.
  if (secret.length < 32)
    throw new Error(
      `${file} is shorter than 32 characters; restore it from backup or remove it only if the audit log is empty`,
    );
  return Buffer.from(secret, 'utf8');
}

export function resolveAuditKeys(config: SecretConfig): AuditKeys {
  return deriveAuditKeys(resolveServiceSecret(config));
}

/** The audit keys and the signing-key sealer from one reading of the secret. */
export function resolveServiceKeys(config: SecretConfig): ServiceKeys {
  const secret = resolveServiceSecret(config);
  return { audit: deriveAuditKeys(secret), signingKeySealer: new PrivateKeySealer(secret) };
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
