/**
 * The one way revokd makes an asymmetric key pair (src, tests, bench): generated as PKCS#8 DER
 * bytes, then imported into fresh KeyObjects.
 *
 * Why not take the KeyObjects `generateKeyPairSync` returns: they share their native key data —
 * and its non-recursive mutex — with the key-generation job that made them. A sync job is only
 * freed when the garbage collector collects it, and its destructor (`~KeyPairGenConfig`) locks
 * that mutex. Exporting such a key to JWK holds the same mutex while it allocates V8 strings; when
 * that allocation triggers a GC which collects the finished job, the main thread waits on a mutex
 * it already holds, for ever (issue 17, item 11; reproduced on Node 20.20 in a few hundred
 * iterations, see test/unit/keygen-jwk-export-under-gc.test.ts). Asked for DER, the job hands out
 * only bytes: the KeyObjects built from them own key data no job knows about.
 */
import {
  type KeyObject,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
} from 'node:crypto';
import type { JwtAlg } from '../core/tokens/key-ring.js';

/** The algorithms with a key pair (HS256 keys are configured secrets). */
export type AsymmetricAlg = Exclude<JwtAlg, 'HS256'>;

/** A new key pair whose KeyObjects share nothing with a key-generation job: safe to export to JWK. */
export interface NewKeyPair {
  readonly privateKey: KeyObject;
  /** Derived from `privateKey`. */
  readonly publicKey: KeyObject;
}

// Both encodings: an encoding left out would come back as a KeyObject sharing the job's key data.
const PRIVATE_DER = { type: 'pkcs8', format: 'der' } as const;
const PUBLIC_DER = { type: 'spki', format: 'der' } as const;

/** A new Ed25519 (EdDSA) or P-256 (ES256) key pair; see the file comment for why it is built this way. */
export function newKeyPair(alg: AsymmetricAlg): NewKeyPair {
  const pkcs8 =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519', {
          privateKeyEncoding: PRIVATE_DER,
          publicKeyEncoding: PUBLIC_DER,
        }).privateKey
      : generateKeyPairSync('ec', {
          namedCurve: 'P-256',
          privateKeyEncoding: PRIVATE_DER,
          publicKeyEncoding: PUBLIC_DER,
        }).privateKey;
  try {
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    return { privateKey, publicKey: createPublicKey(privateKey) };
  } finally {
    // The private key in clear: leave no copy for the collector to find later.
    pkcs8.fill(0);
  }
}
