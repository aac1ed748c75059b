/**
 * Signing keys: created on first start, rotated, revoked, published. Asymmetric keys (EdDSA,
 * ES256) live in the store — public half, status and the private half sealed under the service
 * secret (keys/sealed-private-key.ts) — so every instance sharing the database signs with the one
 * active key, whoever created it. HS256 keys come from configuration and are never published.
 * Keys made before sealing have their private half in a legacy file (keys/key-store-files.ts),
 * moved into the store on the first start that finds it.
 */
import { type KeyObject, createHash, createPublicKey, createSecretKey } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Config, JwtAlg } from '../core/config.js';
import { RevokdError } from '../core/errors.js';
import type { KeyRing, SigningKey, VerificationKey } from '../core/tokens/key-ring.js';
import type { Actor, SigningKeyRecord, SigningKeyRecords } from '../stores/types.js';
import { readLegacyPrivateKey } from './key-store-files.js';
import { type AsymmetricAlg, newKeyPair } from './new-key-pair.js';
import type { PrivateKeySealer } from './sealed-private-key.js';

/** A key as the operator sees it: everything but the sealed private half. */
export type SigningKeyView = Omit<SigningKeyRecord, 'privateKeySealed'>;

/** What a start did to the signing keys (the caller logs it). */
export interface EnsureKeysReport {
  /** Legacy keys whose private half this start moved from its file into the store. */
  readonly sealedFromFiles: readonly string[];
  /** The key this start created because there was no usable one. */
  readonly created: string | undefined;
}

export class KeyManager {
  private readonly config: Config;
  private readonly store: SigningKeyRecords;
  private readonly sealer: PrivateKeySealer;
  private readonly now: () => number;

  constructor(
    config: Config,
    store: SigningKeyRecords,
    sealer: PrivateKeySealer,
    now: () => number = Date.now,
  ) {
    this.config = config;
    this.store = store;
    this.sealer = sealer;
    this.now = now;
  }

  get symmetric(): boolean {
    return this.config.jwtAlg === 'HS256';
  }

  /**
   * Makes sure there is an active key this process can sign with: moves a legacy file key into the
   * store, and creates the first key if there is no usable one. Safe on every start, and when N
   * instances start at once on one database: the move is a conditional write (the first one's
   * stays); two starts may each create a key, and then the later insert retires the other (it
   * stays published, so tokens it signed still verify). Each instance then loads its ring afresh
   * from the store and signs with whichever key is active there — every private half is in the
   * store, so any instance can sign with any key — at the latest from its next reload (5 s).
   *
   * A stored private half that does not open (another REVOKD_SECRET) fails the start: creating a
   * key then would leave the other instances with an active key they cannot open.
   */
  async ensureKeys(): Promise<EnsureKeysReport> {
    if (this.symmetric) {
      await this.registerSymmetricKeys();
      return { sealedFromFiles: [], created: undefined };
    }
    const sealedFromFiles = await this.sealLegacyKeys(await this.store.listSigningKeys());
    const active = this.activeRecord(await this.store.listSigningKeys());
    if (active !== undefined && this.privateKeyOf(active) !== undefined)
      return { sealedFromFiles, created: undefined };
    return { sealedFromFiles, created: (await this.rotate({ type: 'system', id: null })).kid };
  }

  /** Adds a new active key and retires the previous one (kept for verification until its tokens expire). */
  async rotate(actor: Actor): Promise<SigningKeyView> {
    if (this.symmetric) {
      throw new RevokdError(
        'ERR_BAD_REQUEST',
        'HS256 keys come from REVOKD_JWT_SECRET: set the new secret there and the old one in REVOKD_JWT_PREVIOUS_SECRET',
      );
    }
    const alg = this.config.jwtAlg as AsymmetricAlg; // HS256 refused just above
    // Never generateKeyPairSync's own KeyObjects: exported to JWK below, they can deadlock (new-key-pair.ts).
    const { privateKey, publicKey } = newKeyPair(alg);
    const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const view: SigningKeyView = {
      kid,
      alg,
      publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
      status: 'active',
      createdAtMs: this.now(),
      retiredAtMs: null,
      revokedAtMs: null,
    };
    await this.store.insertSigningKey(
      { ...view, privateKeySealed: this.sealer.seal(kid, privateKey) },
      true,
      {
        type: 'key.rotated',
        actorType: actor.type,
        actorId: actor.id,
        targetType: 'key',
        targetId: kid,
        ip: null,
        details: { alg },
      },
    );
    return view;
  }

  /** Keys as the operator sees them, with whether each is still published. */
  async list(): Promise<Array<SigningKeyView & { published: boolean }>> {
    const nowMs = this.now();
    return (await this.store.listSigningKeys()).map(({ privateKeySealed: _sealed, ...k }) => ({
      ...k,
      published: k.alg !== 'HS256' && this.isPublished(k, nowMs),
    }));
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
        kid: record.kid,
        alg: record.alg as JwtAlg,
        key: createPublicKey({ key: record.publicJwk as never, format: 'jwk' }),
        publicJwk: record.publicJwk,
      };
      verification.set(record.kid, key);
      if (record === this.activeRecord(records) && signing === undefined) {
        const privateKey = this.privateKeyOf(record);
        if (privateKey !== undefined) signing = { ...key, privateKey };
      }
    }
    if (signing === undefined) throw new Error('no active signing key: run `revokd keys rotate`');
    return { signing, verification };
  }

  /** The active key of the configured algorithm: the one this process signs with. */
  private activeRecord(records: readonly SigningKeyRecord[]): SigningKeyRecord | undefined {
    return records.find((k) => k.status === 'active' && k.alg === this.config.jwtAlg);
  }

  /**
   * The private half: opened from the store, or read from its legacy file (a key made before
   * sealing, or by an older version still running on the same database); undefined when neither
   * has it. Throws when the stored half does not open (see PrivateKeySealer.open).
   */
  private privateKeyOf(record: SigningKeyRecord): KeyObject | undefined {
    if (record.privateKeySealed !== null)
      return this.sealer.open(record.kid, record.privateKeySealed);
    return readLegacyPrivateKey(this.config.dataDir, record.kid);
  }

  /**
   * Moves the private half of the active legacy key from its file into the store, sealed, so every
   * instance on the database can sign with it. Only the key that can still sign: a retired key's
   * private half is never needed again, so it is not copied anywhere.
   */
  private async sealLegacyKeys(records: readonly SigningKeyRecord[]): Promise<string[]> {
    const sealed: string[] = [];
    const active = this.activeRecord(records);
    if (active === undefined || active.privateKeySealed !== null) return sealed;
    const privateKey = readLegacyPrivateKey(this.config.dataDir, active.kid);
    if (privateKey === undefined) return sealed;
    // A file holding some other key would sign tokens that the published key cannot verify.
    const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    if ((await calculateJwkThumbprint(publicJwk, 'sha256')) !== active.kid) {
      throw new RevokdError(
        'ERR_INTERNAL',
        `the legacy key file of signing key ${active.kid} holds a different key; restore it from backup or run \`revokd keys rotate\``,
      );
    }
    if (
      await this.store.storeSealedPrivateKey(active.kid, this.sealer.seal(active.kid, privateKey))
    )
      sealed.push(active.kid);
    return sealed;
  }

  /**
   * HS256 keys live in configuration, but their kids are recorded in the store like any key so
   * that `keys list` shows them and a revocation by kid has a row to mark (and a feed record).
   */
  private async registerSymmetricKeys(): Promise<void> {
    const known = new Set((await this.store.listSigningKeys()).map((k) => k.kid));
    const configured = [
      this.config.jwtSecret as string,
      ...(this.config.jwtPreviousSecret === undefined ? [] : [this.config.jwtPreviousSecret]),
    ];
    for (const [index, secret] of configured.entries()) {
      const kid = symmetricKid(secret);
      if (known.has(kid)) continue;
      const nowMs = this.now();
      const record: SigningKeyRecord = {
        kid,
        alg: 'HS256',
        publicJwk: {},
        status: index === 0 ? 'active' : 'retired',
        createdAtMs: nowMs,
        retiredAtMs: index === 0 ? null : nowMs,
        revokedAtMs: null,
        privateKeySealed: null,
      };
      try {
        await this.store.insertSigningKey(record, false, {
          type: 'key.created',
          actorType: 'system',
          actorId: null,
          targetType: 'key',
          targetId: kid,
          ip: null,
          details: { alg: 'HS256' },
        });
      } catch (err) {
        // Another process starting at the same moment may have registered it first.
        if (!(await this.store.listSigningKeys()).some((k) => k.kid === kid)) throw err;
      }
    }
  }

  /** A retired key stays published while tokens it signed can still be alive; a revoked one never. */
  private isPublished(record: SigningKeyView, nowMs: number): boolean {
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
      kid: symmetricKid(secret),
      alg: 'HS256',
      key: createSecretKey(Buffer.from(secret, 'utf8')),
      publicJwk: null,
    });
    const verification = new Map<string, VerificationKey>();
    const current = make(this.config.jwtSecret as string);
    if (!revoked.has(current.kid)) verification.set(current.kid, current);
    if (this.config.jwtPreviousSecret !== undefined) {
      const previous = make(this.config.jwtPreviousSecret);
      if (!revoked.has(previous.kid)) verification.set(previous.kid, previous);
    }
    const signing = revoked.has(current.kid) ? undefined : { ...current, privateKey: current.key };
    return { signing, verification };
  }
}

/** Derived from the secret, so every process with the same configuration names it alike. */
function symmetricKid(secret: string): string {
  return `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 16)}`;
}
