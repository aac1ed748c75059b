/**
 * Wraps a store so every call's latency and failure is observed (`revokd_store_call_duration_seconds`
 * {method, ok}). The wrapper changes nothing else: same results, the same error objects rethrown,
 * non-function properties (`backend`, `db`, …) passed through, and methods run with the store itself
 * as `this` (so private fields and internal calls work; internal calls are not counted twice).
 */
import type { RevokdStore } from '../stores/types.js';
import type { Metrics } from './metrics.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export function instrumentStore<S extends RevokdStore>(store: S, metrics: Metrics): S {
  // One wrapper per method name (and underlying function), so `store.ping === store.ping` holds.
  const wrappers = new Map<string, { original: AnyFunction; wrapper: AnyFunction }>();

  const observe = (method: string, startMs: number, ok: boolean): void => {
    try {
      metrics.observeStoreCall(method, (performance.now() - startMs) / 1000, ok);
    } catch {
      // Measuring must never change what the store call does.
    }
  };

  const wrap = (method: string, original: AnyFunction): AnyFunction => {
    return function instrumented(this: unknown, ...args: unknown[]): unknown {
      const self = this === proxy ? store : this;
      const start = performance.now();
      let result: unknown;
      try {
        result = Reflect.apply(original, self, args);
      } catch (err) {
        observe(method, start, false);
        throw err;
      }
      // Only promise-returning calls are store I/O; a plain value passes through untimed.
      if (!isThenable(result)) return result;
      return result.then(
        (value) => {
          observe(method, start, true);
          return value;
        },
        (err: unknown) => {
          observe(method, start, false);
          throw err;
        },
      );
    };
  };

  const proxy: S = new Proxy(store, {
    get(target, prop) {
      // The target as receiver: getters see the real object (private fields work).
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor')
        return value;
      const cached = wrappers.get(prop);
      if (cached !== undefined && cached.original === value) return cached.wrapper;
      const wrapper = wrap(prop, value as AnyFunction);
      wrappers.set(prop, { original: value as AnyFunction, wrapper });
      return wrapper;
    },
  });
  return proxy;
}
