/**
 * The store contract's conformance suites (src/stores/types.ts), one per port. Every backend runs
 * exactly these (SQLite: test/stores/sqlite-store.test.ts; PostgreSQL: test/stores/postgres-store.test.ts). Each suite opens its own store from the
 * backend (and empties it with the backend's reset hook, when it has one).
 */
import { describe } from 'node:test';
import { describeAuditLogConformance } from './audit-log.js';
import type { StoreBackend } from './backend.js';
import { describeClientSecretsConformance } from './client-secrets.js';
import { describeConcurrencyConformance } from './concurrency.js';
import { describeContainmentConformance } from './containment.js';
import { describeCountersConformance } from './counters.js';
import { describeFeedChainConformance } from './feed-chain.js';
import { describeGroupCommitConformance } from './group-commit.js';
import { describeLifecycleConformance } from './lifecycle.js';
import { describeOutboxConformance } from './outbox.js';
import { describeRecordsConformance } from './records.js';
import { describeRemediesConformance } from './remedies.js';
import { describeRevocationLogConformance } from './revocation-log.js';

export type { StoreBackend } from './backend.js';

export function describeStoreConformance(backend: StoreBackend): void {
  describe(`store conformance: ${backend.name}`, () => {
    describeLifecycleConformance(backend);
    describeRecordsConformance(backend);
    describeClientSecretsConformance(backend);
    describeRemediesConformance(backend);
    describeRevocationLogConformance(backend);
    describeFeedChainConformance(backend);
    describeGroupCommitConformance(backend);
    describeAuditLogConformance(backend);
    describeCountersConformance(backend);
    describeOutboxConformance(backend);
    describeContainmentConformance(backend);
    describeConcurrencyConformance(backend);
  });
}
