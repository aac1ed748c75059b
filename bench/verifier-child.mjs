// A resource server for bench/verifier-propagation.ts: the built @revokd/verifier, run with plain
// node (no tsx), as an installed copy would run. Parent → child over IPC: {type:'arm', id, token}
// (verify it once — it must pass — then report the first moment verify() refuses it),
// {type:'close'}. Child → parent: {type:'ready'}, {type:'armed', id}, {type:'rejected', id, at}
// where `at` is performance.timeOrigin + performance.now() (ms, the machine's clock, sub-ms).
import { performance } from 'node:perf_hooks';
import { createVerifier } from '../packages/verifier/dist/packages/verifier/src/index.js';

const options = JSON.parse(process.env.BENCH_VERIFIER_OPTIONS);
const verifier = await createVerifier(options);
const armed = new Map();
const now = () => performance.timeOrigin + performance.now();

// Each applied revocation: is one of the armed tokens refused now? (verify is the check a request
// would make; the listener only tells us when to ask.)
verifier.onRevocation(() => {
  for (const [id, token] of armed) {
    verifier.verify(token).then(() => undefined, (err) => {
      if (err.code !== 'ERR_TOKEN_REVOKED' || !armed.has(id)) return;
      armed.delete(id);
      process.send({ type: 'rejected', id, at: now() });
    });
  }
});

process.on('message', async (message) => {
  if (message.type === 'arm') {
    await verifier.verify(message.token);
    armed.set(message.id, message.token);
    process.send({ type: 'armed', id: message.id });
  } else if (message.type === 'close') {
    await verifier.close();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
