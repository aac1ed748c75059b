/**
 * Aborting a `fetch` from code we own, without trusting the `signal` passed to `fetch()`.
 *
 * Why: Node's fetch (undici) makes the `Request` follow the caller's signal through a WeakRef and
 * drops that link (a FinalizationRegistry removes the listener) once the `Request` object has been
 * garbage-collected — which happens while a long-lived response body is still being read. After a
 * collection, `controller.abort()` reaches nothing: a pending `reader.read()` on an SSE body keeps
 * receiving heartbeats for ever. That is how `verifier.close()` hung after real traffic (enough
 * allocation for a major GC). So every abort here acts on objects this code holds strongly: the
 * body's reader (cancel tears the connection down through the stream itself) and our own promise.
 */

/** Resolves or rejects with `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onOrphaned: (value: T) => void,
): Promise<T> {
  if (signal.aborted) {
    promise.then(onOrphaned, () => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        // Aborted first: nobody will read this response; release its connection.
        if (settled) onOrphaned(value);
        else resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) reject(err);
      },
    );
  });
}

/** Cancels `reader` when `signal` aborts (a pending read then ends); returns the unsubscribe. */
export function cancelOnAbort(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  signal: AbortSignal,
): () => void {
  const cancel = (): void => {
    reader.cancel(abortReason(signal)).catch(() => {});
  };
  if (signal.aborted) {
    cancel();
    return () => {};
  }
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}

/** Releases a response nobody will read (its connection goes back or away). */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
