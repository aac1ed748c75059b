/**
 * The end of a client-secret rotation's grace period: the replaced secret already stops
 * authenticating at that instant (matchClientSecret); this finishes what a rotation without grace
 * does at once — a client-scope revocation that ends the client's open streams (wherever they are
 * served) and revokes every token issued to it, then forgets the old hash. Run by every instance
 * with the prune loop: the grace is in the database, so a restart or a crash does not lose it.
 */
import type { AppContext } from './context.js';
import { revoke } from './revoke.js';

/** Finishes every grace that has ended; returns how many this call finished. */
export async function finishEndedSecretGraces(ctx: AppContext): Promise<number> {
  let finished = 0;
  for (const client of await ctx.stores.records.listEndedSecretGraces(ctx.now())) {
    const endsAtMs = client.previousSecretExpiresAtMs;
    if (endsAtMs === null || endsAtMs === undefined) continue;
    // Revoke first, forget second: a crash in between leaves the grace to be finished again (a
    // second revocation of the client is harmless); the other order could lose the revocation.
    await revoke(
      ctx,
      { scope: 'client', clientId: client.id },
      {
        initiator: 'system',
        reason: 'compromised',
        note: 'client secret rotated: grace period ended',
        actor: { type: 'system', id: null },
      },
    );
    if (await ctx.stores.records.endSecretGrace(client.id, endsAtMs)) finished += 1;
  }
  return finished;
}
