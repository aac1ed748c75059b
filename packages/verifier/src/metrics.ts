/**
 * Prometheus metrics of one verifier, registered in a `prom-client` registry the application passes
 * in (`metrics: { registry }`). prom-client is an optional peer: it is imported only then, so a
 * verifier without metrics loads nothing but jose.
 */
import type { RevocationRecord } from '#core/revocation/types.js';

/** The part of a prom-client `Registry` the verifier relies on (any prom-client ≥ 15 has it). */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  registerMetric(metric: never): void;
}

export type CheckOutcomeLabel =
  'valid' | 'revoked' | 'expired' | 'invalid' | 'unavailable' | 'fail_open';

export interface VerifierMetrics {
  /** One verify() answered, by outcome. */
  check(outcome: CheckOutcomeLabel): void;
  /** A revocation arrived: its commit-to-here latency is observed. */
  propagated(record: RevocationRecord, nowMs: number): void;
}

/** Creates the metrics in `registry`; `staleness` is read at every scrape. */
export async function createVerifierMetrics(
  registry: MetricsRegistry,
  stalenessMs: () => number,
): Promise<VerifierMetrics> {
  let prom: typeof import('prom-client');
  try {
    prom = await import('prom-client');
  } catch {
    throw new TypeError(
      'createVerifier: options.metrics needs the prom-client package installed (an optional peer dependency)',
    );
  }
  const registers = [registry as unknown as import('prom-client').Registry];
  const checks = new prom.Counter({
    name: 'revokd_verifier_checks_total',
    help: 'Tokens verified by this verifier, by outcome (fail_open: accepted while the replica was stale).',
    labelNames: ['outcome'],
    registers,
  });
  const propagation = new prom.Histogram({
    name: 'revokd_verifier_propagation_seconds',
    help: "Time from a revocation's commit at the service to its arrival in this verifier (clock skew included).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  new prom.Gauge({
    name: 'revokd_verifier_replica_staleness_seconds',
    help: "Time since the push stream last showed this verifier's revocation view to be current.",
    registers,
    collect() {
      this.set(stalenessMs() / 1000);
    },
  });
  return {
    check: (outcome) => checks.inc({ outcome }),
    propagated: (record, nowMs) =>
      propagation.observe(Math.max(0, nowMs - record.createdAtMs) / 1000),
  };
}

/** Used when no registry is given. */
export const NO_METRICS: VerifierMetrics = { check: () => {}, propagated: () => {} };
