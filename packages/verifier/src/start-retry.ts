/**
 * Retrying a start-up step until it succeeds or start-up is abandoned: a resource server started
 * together with revokd (compose, Kubernetes) must wait for it, not crash-loop because the issuer
 * was not listening yet.
 */

/** Calls `attempt` until it resolves; between failures waits with capped exponential backoff. */
export async function retryUntilAborted(
  attempt: () => Promise<void>,
  signal: AbortSignal,
  onFailure: (err: unknown) => void,
  initialMs = 100,
  maxMs = 2_000,
): Promise<void> {
  for (let failures = 0; ; failures++) {
    if (signal.aborted) throw signal.reason;
    try {
      await attempt();
      return;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      onFailure(err);
    }
    await sleep(Math.min(maxMs, initialMs * 2 ** Math.min(failures, 16)), signal);
  }
}

/** A delay that ends (rejecting) as soon as `signal` aborts, leaving no timer behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
