/** Wraps a store so every call's latency and failure is observed. STUB: passes through. */
import type { RevokdStore } from '../stores/types.js';
import type { Metrics } from './metrics.js';

export function instrumentStore(store: RevokdStore, _metrics: Metrics): RevokdStore {
  return store;
}
