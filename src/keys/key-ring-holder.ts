/**
 * The current key ring of a running process. It is reloaded every few seconds (a `keys rotate`
 * from the CLI reaches a running server) and, at most once a second, when a token names a kid this
 * process has not seen. Revoked keys do not wait for a reload: the revocation feed carries them.
 */
import type { KeyRing, VerificationKey } from '../core/tokens/key-ring.js';
import type { KeyManager } from './key-manager.js';

const RELOAD_EVERY_MS = 5_000;
const MISS_RELOAD_MIN_MS = 1_000;

export class KeyRingHolder {
  private ring: KeyRing;
  private readonly manager: KeyManager;
  private timer: NodeJS.Timeout | undefined;
  private lastMissReloadMs = 0;

  private constructor(manager: KeyManager, ring: KeyRing) {
    this.manager = manager;
    this.ring = ring;
  }

  static async create(manager: KeyManager): Promise<KeyRingHolder> {
    return new KeyRingHolder(manager, await manager.loadRing());
  }

  get current(): KeyRing {
    return this.ring;
  }

  startReloading(onError: (err: unknown) => void): void {
    this.timer = setInterval(() => {
      this.reload().catch(onError);
    }, RELOAD_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  async reload(): Promise<void> {
    this.ring = await this.manager.loadRing();
  }

  /**
   * Resolves a kid: synchronously when known (the hot path pays no extra tick), otherwise by
   * reloading the ring once (rate-limited, so random kids cannot make us hammer the store).
   */
  resolve(kid: string): VerificationKey | undefined | Promise<VerificationKey | undefined> {
    const known = this.ring.verification.get(kid);
    if (known !== undefined) return known;
    const now = Date.now();
    if (now - this.lastMissReloadMs < MISS_RELOAD_MIN_MS) return undefined;
    this.lastMissReloadMs = now;
    return this.reload().then(
      () => this.ring.verification.get(kid),
      () => undefined,
    );
  }
}
