/**
 * Signing keys: created on first start, rotated, revoked, published. Asymmetric keys (EdDSA,
 * ES256) have their public half and status in the store and their private half in a 0600 file;
 * HS256 keys come from configuration and are never published.
 */
import { type KeyObject, createHash, createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Config, JwtAlg } from '../core/config.js';
import { RevokdError } from '../core/errors.js';
import type { KeyRing, SigningKey, VerificationKey } from '../core/tokens/key-ring.js';
import type { Actor, SigningKeyRecord, SigningKeyRecords } from '../stores/types.js';
import { readPrivateKey, writePrivateKey } from './key-store-files.js';

export class KeyManager {
  private readonly config: Config;
  private readonly store: SigningKeyRecords;
  private readonly now: () => number;

  constructor(config: Config, store: SigningKeyRecords, now: () => number = Date.now) {
    this.config = config;
    this.store = store;
    this.now = now;
  }

  get symmetric(): boolean {
    return this.config.jwtAlg === 'HS256';
  }

  /** Creates the first signing key if there is no usable one. Safe on every start. */
  async ensureKeys(): Promise<void> {
    if (this.symmetric) return this.registerSymmetricKeys();
    const keys = await this.store.listSigningKeys();
    const active = keys.find((k) => k.status === 'active' && k.alg === this.config.jwtAlg);
    if (active === undefined || readPrivateKey(this.config.dataDir, active.kid) === undefined) {
      await this.rotate({ type: 'system', id: null });
    }
  }

  /** Adds a new active key and retires the previous one (kept for verification until its tokens expire). */
  async rotate(actor: Actor): Promise<SigningKeyRecord> {
    if (this.symmetric) {
      throw new RevokdError('ERR_BAD_REQUEST', 'HS256 keys come from REVOKD_JWT_SECRET: set the new secret there and the old one in REVOKD_JWT_PREVIOUS_SECRET');
    }
    const alg = this.config.jwtAlg;
    const { privateKey, publicKey } = alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const kid = await calculateJwkThumbprint(publicJwk as JWK, 'sha256');
    writePrivateKey(this.config.dataDir, kid, alg, privateKey);
    const nowMs = this.now();
    const record: SigningKeyRecord = {
      kid, alg, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, status: 'active', createdAtMs: nowMs, retiredAtMs: null, revokedAtMs: null, privateKeySealed: null,
    };
    await this.store.insertSigningKey(record, true, {
      type: 'key.rotated', actorType: actor.type, actorId: actor.id, targetType: 'key', targetId: kid, ip: null, details: { alg },
    });
    return record;
  }

  /** Keys as the operator sees them, with whether each is still published. */
  async list(): Promise<Array<SigningKeyRecord & { published: boolean }>> {
    const nowMs = this.now();
    return (await this.store.listSigningKeys()).map((k) => ({ ...k, published: k.alg !== 'HS256' && this.isPublished(k, nowMs) }));
  }

  /** The keys this process signs and verifies with, read afresh from the store. */
  async loadRing(): Promise<KeyRing> {
    if (this.symmetric) return this.symmetricRing(await this.store.listSigningKeys());
    const nowMs = this.now();
    const records = await this.store.listSigningKeys();
    const verification = new Map<string, VerificationKey>();
    let signing: SigningKey | undefined;
    for (const record of records) {
      if (!this.isPublished(record, nowMs)) continue;
      const key: VerificationKey = {
        kid: record.kid, alg: record.alg as JwtAlg, key: createPublicKey({ key: record.publicJwk as never, format: 'jwk' }), publicJwk: record.publicJwk,
      };
      verification.set(record.kid, key);
      if (record.status === 'active' && record.alg === this.config.jwtAlg && signing === undefined) {
        const privateKey = readPrivateKey(this.config.dataDir, record.kid);
        if (privateKey !== undefined) signing = { ...key, privateKey };
      }
    }
    if (signing === undefined) throw new Error('no active signing key: run `revokd keys rotate`');
    return { signing, verification };
  }

  /**
   * HS256 keys live in configuration, but their kids are recorded in the store like any key so
   * that `keys list` shows them and a revocation by kid has a row to mark (and a feed record).
   */
  private async registerSymmetricKeys(): Promise<void> {
    const known = new Set((await this.store.listSigningKeys()).map((k) => k.kid));
    const configured = [this.config.jwtSecret as string, ...(this.config.jwtPreviousSecret === undefined ? [] : [this.config.jwtPreviousSecret])];
    for (const [index, secret] of configured.entries()) {
      const kid = symmetricKid(secret);
      if (known.has(kid)) continue;
      const nowMs = this.now();
      const record: SigningKeyRecord = {
        kid, alg: 'HS256', publicJwk: {}, status: index === 0 ? 'active' : 'retired', createdAtMs: nowMs, retiredAtMs: index === 0 ? null : nowMs, revokedAtMs: null, privateKeySealed: null,
      };
      try {
        await this.store.insertSigningKey(record, false, {
          type: 'key.created', actorType: 'system', actorId: null, targetType: 'key', targetId: kid, ip: null, details: { alg: 'HS256' },
        });
      } catch (err) {
        // Another process starting at the same moment may have registered it first.
        if (!(await this.store.listSigningKeys()).some((k) => k.kid === kid)) throw err;
      }
    }
  }

  /** A retired key stays published while tokens it signed can still be alive; a revoked one never. */
  private isPublished(record: SigningKeyRecord, nowMs: number): boolean {
    if (record.status === 'revoked') return false;
    if (record.status === 'active') return true;
    const coverMs = (this.config.accessTtlSeconds + this.config.clockToleranceSeconds) * 1000;
    return (record.retiredAtMs ?? 0) + coverMs > nowMs;
  }

  /**
   * The configured secrets minus any whose kid has been revoked. A revoked current secret leaves
   * the ring without a signing key: issuing then fails (503) rather than sign with a revoked key,
   * until the operator sets a new REVOKD_JWT_SECRET.
   */
  private symmetricRing(records: readonly SigningKeyRecord[]): KeyRing {
    const revoked = new Set(records.filter((r) => r.status === 'revoked').map((r) => r.kid));
    const make = (secret: string): VerificationKey => ({
      kid: symmetricKid(secret), alg: 'HS256', key: createSecretKey(Buffer.from(secret, 'utf8')), publicJwk: null,
    });
    const verification = new Map<string, VerificationKey>();
    const current = make(this.config.jwtSecret as string);
    if (!revoked.has(current.kid)) verification.set(current.kid, current);
    if (this.config.jwtPreviousSecret !== undefined) {
      const previous = make(this.config.jwtPreviousSecret);
      if (!revoked.has(previous.kid)) verification.set(previous.kid, previous);
    }
    const signing = revoked.has(current.kid) ? undefined : { ...current, privateKey: current.key as KeyObject };
    return { signing, verification };
  }
}

/** Derived from the secret, so every process with the same configuration names it alike. */
function symmetricKid(secret: string): string {
  return `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`;
}
