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
import type { Actor, RevokdStore, SigningKeyRecord } from '../stores/types.js';
import { readPrivateKey, writePrivateKey } from './key-store-files.js';

export class KeyManager {
  private readonly config: Config;
  private readonly store: RevokdStore;
  private readonly now: () => number;

  constructor(config: Config, store: RevokdStore, now: () => number = Date.now) {
    this.config = config;
    this.store = store;
    this.now = now;
  }

  get symmetric(): boolean {
    return this.config.jwtAlg === 'HS256';
  }

  /** Creates the first signing key if there is no usable one. Safe on every start. */
  async ensureKeys(): Promise<void> {
    if (this.symmetric) return;
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
      kid, alg, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, status: 'active', createdAtMs: nowMs, retiredAtMs: null, revokedAtMs: null,
    };
    await this.store.insertSigningKey(record, true, {
      type: 'key.rotated', actorType: actor.type, actorId: actor.id, targetType: 'key', targetId: kid, ip: null, details: { alg },
    });
    return record;
  }

  /** Keys as the operator sees them, with whether each is still published. */
  async list(): Promise<Array<SigningKeyRecord & { published: boolean }>> {
    const nowMs = this.now();
    return (await this.store.listSigningKeys()).map((k) => ({ ...k, published: this.isPublished(k, nowMs) }));
  }

  /** The keys this process signs and verifies with, read afresh from the store. */
  async loadRing(): Promise<KeyRing> {
    if (this.symmetric) return this.symmetricRing();
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

  /** A retired key stays published while tokens it signed can still be alive; a revoked one never. */
  private isPublished(record: SigningKeyRecord, nowMs: number): boolean {
    if (record.status === 'revoked') return false;
    if (record.status === 'active') return true;
    const coverMs = (this.config.accessTtlSeconds + this.config.clockToleranceSeconds) * 1000;
    return (record.retiredAtMs ?? 0) + coverMs > nowMs;
  }

  private symmetricRing(): KeyRing {
    const make = (secret: string): VerificationKey => ({
      kid: `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`,
      alg: 'HS256', key: createSecretKey(Buffer.from(secret, 'utf8')), publicJwk: null,
    });
    const current = make(this.config.jwtSecret as string);
    const verification = new Map<string, VerificationKey>([[current.kid, current]]);
    if (this.config.jwtPreviousSecret !== undefined) {
      const previous = make(this.config.jwtPreviousSecret);
      verification.set(previous.kid, previous);
    }
    return { signing: { ...current, privateKey: current.key as KeyObject }, verification };
  }
}
