// A resource server for bench/verifier-propagation.ts: the built @revokd/verifier, run with plain
// node (no tsx), as an installed copy would run. Parent → child over IPC: {type:'arm', id, token}
// (verify it once — it must pass, so it is cached — then report the first moment verify() refuses
// it), {type:'close'}. Child → parent: {type:'ready'}, {type:'armed', id},
// {type:'rejected', id, appliedAt, at, createdAtMs} where `appliedAt` is when the replica told us it
// applied the token's revocation, `at` when verify() then refused the token (both
// performance.timeOrigin + performance.now(): ms on the machine's clock, sub-ms), and `createdAtMs`
// the service's own commit stamp from the record (Date.now() on the server, whole ms).
import { performance } from 'node:perf_hooks';
import { createVerifier } from '../packages/verifier/dist/index.js';

const options = JSON.parse(process.env.BENCH_VERIFIER_OPTIONS);
const verifier = await createVerifier(options);
/** id → { token, jti } of the tokens we wait to see refused. */
const armed = new Map();
const now = () => performance.timeOrigin + performance.now();

// Each applied revocation: is one of the armed tokens refused now? (verify is the check a request
// would make; the listener only tells us when to ask.) A revocation of another scope that covers an
// armed token is caught too: every armed token is re-checked, not only the one the record names.
verifier.onRevocation((revocation) => {
  const appliedAt = now();
  for (const [id, entry] of armed) check(id, entry, revocation, appliedAt);
});

function check(id, entry, revocation, appliedAt) {
  verifier.verify(entry.token).then(
    () => undefined,
    (err) => {
      if (!armed.has(id)) return;
      // Stale (503): after a restart the catch-up's events arrive before the proof that makes the
      // view current again. Ask again shortly, or the refusal is never reported and the bench hangs.
      if (err.code === 'ERR_STORE_UNAVAILABLE') {
        setTimeout(() => check(id, entry, revocation, appliedAt), 1);
        return;
      }
      if (err.code !== 'ERR_TOKEN_REVOKED') return;
      armed.delete(id);
      const named = revocation.scope === 'token' && revocation.target === entry.jti;
      process.send({
        type: 'rejected',
        id,
        appliedAt,
        at: now(),
        createdAtMs: named ? revocation.createdAtMs : null,
      });
    },
  );
}

process.on('message', async (message) => {
  if (message.type === 'arm') {
    const claims = await verifier.verify(message.token);
    armed.set(message.id, { token: message.token, jti: claims.jti });
    process.send({ type: 'armed', id: message.id });
  } else if (message.type === 'close') {
    await verifier.close();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
