/**
 * Prometheus metrics of one process (SPEC §5.5), with prom-client.
 *
 * Each Metrics has its own Registry (never prom-client's global one): several contexts can live in
 * one process (tests, a library user) without their counters colliding. Everything is named
 * `revokd_…`. Label values are bounded by construction — route patterns (never raw URLs), event
 * kinds, scopes, reasons — so no token, id or address ever becomes a label.
 *
 * The process-level collectors (CPU, memory, handles, GC, event-loop delay) measure the process, not
 * a context, so they are installed once per process on a registry of their own and appended to every
 * exposition. prom-client gives no way to remove them again; they hold no ref'd handle (the
 * event-loop delay monitor's timer is unref'd, the GC observer holds nothing), so they never keep a
 * process alive. A Metrics itself owns no timer: stop() only unsubscribes what attach() subscribed.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus, RevokdEvents } from '../core/events.js';
import { DEGRADED_REASONS, type HealthState, type ServiceHealth } from '../core/health.js';

const HEALTH_STATE_VALUES: Record<HealthState, number> = { ready: 0, degraded: 1, unavailable: 2 };
/** A scrape reads both health gauges within this long: they share one probe. */
const PROBE_REUSE_MS = 250;

export const METRICS_PREFIX = 'revokd_';

const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
const PROPAGATION_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
const CHECK_KINDS = ['access_token', 'api_token', 'refresh_token'] as const;
const CHECK_OUTCOMES = ['valid', 'revoked', 'invalid', 'expired', 'unavailable'] as const;
const STREAM_EVENTS = ['snapshot', 'revocation', 'heartbeat'] as const;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** What Metrics needs of the revocation replica to time propagation (RevocationReplica fits). */
export interface RecordSource {
  onRecord(listener: (record: { readonly createdAtMs: number }) => void): () => void;
}

let processRegistry: Registry | undefined;

/** The once-per-process registry of prom-client's default collectors (event-loop delay included). */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });
    processRegistry = registry;
  }
  return processRegistry;
}

/** A label value from an event: always a short string, so a bad emitter cannot blow up a series. */
function label(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return s.length > 64 ? s.slice(0, 64) : s;
}

export class Metrics {
  /** This instance's metrics (the process collectors live on a shared registry, see above). */
  readonly registry = new Registry();

  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly revocations: Counter<'scope' | 'reason' | 'initiator'>;
  private readonly checks: Counter<'kind' | 'outcome'>;
  private readonly alerts: Counter<'severity'>;
  private readonly replays: Counter<'kind'>;
  private readonly loginFailures: Counter;
  private readonly refreshReuse: Counter;
  private readonly tokensIssued: Counter<'kind'>;
  private readonly deceptionHits: Counter<'kind'>;
  private readonly storeCalls: Histogram<'method' | 'ok'>;
  private readonly propagation: Histogram;
  private readonly countersDegraded: Gauge;
  private readonly countersFallback: Counter;
  private readonly streamEvents: Counter<'event'>;
  private openStreams: (() => number) | undefined;

  private readonly now: () => number;
  private stalenessMs: (() => number) | undefined;
  private healthProbe: (() => Promise<ServiceHealth>) | undefined;
  private unsubscribe: Array<() => void> = [];
  private watchedReplica: RecordSource | undefined;
  private unwatchReplica: (() => void) | undefined;

  constructor(options: { now?: () => number } = {}) {
    const registers = [this.registry];
    this.now = options.now ?? Date.now;
    processMetrics();
    this.httpRequests = new Counter({
      name: 'revokd_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'revokd_http_request_duration_seconds',
      help: 'HTTP request latency (until the response is sent), by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.revocations = new Counter({
      name: 'revokd_revocations_total',
      help: 'Revocations committed by this process, by scope, reason and initiator.',
      labelNames: ['scope', 'reason', 'initiator'],
      registers,
    });
    this.checks = new Counter({
      name: 'revokd_token_checks_total',
      help: 'Credential checks, by kind of credential and outcome.',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.alerts = new Counter({
      name: 'revokd_alerts_total',
      help: 'Security alerts raised, by severity.',
      labelNames: ['severity'],
      registers,
    });
    this.replays = new Counter({
      name: 'revokd_revoked_token_replays_total',
      help: 'Revoked tokens presented again (possible replay of a stolen token), by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.loginFailures = new Counter({
      name: 'revokd_login_failures_total',
      help: 'Failed logins.',
      registers,
    });
    this.refreshReuse = new Counter({
      name: 'revokd_refresh_reuse_total',
      help: 'Consumed refresh tokens presented again outside the grace window (session revoked).',
      registers,
    });
    this.tokensIssued = new Counter({
      name: 'revokd_tokens_issued_total',
      help: 'Token issuances, by kind (login, refresh, client_credentials, api_token).',
      labelNames: ['kind'],
      registers,
    });
    this.deceptionHits = new Counter({
      name: 'revokd_deception_hits_total',
      help: 'Decoys touched (honeypot path, canary API token, decoy account), by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.storeCalls = new Histogram({
      name: 'revokd_store_call_duration_seconds',
      help: 'Latency of store calls, by store method and whether they succeeded.',
      labelNames: ['method', 'ok'],
      buckets: STORE_BUCKETS,
      registers,
    });
    this.propagation = new Histogram({
      name: 'revokd_revocation_propagation_seconds',
      help: "From a revocation's commit (its createdAt) until this process's revocation view applied it.",
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
    this.countersDegraded = new Gauge({
      name: 'revokd_counters_degraded',
      help: '1 while Redis (REVOKD_REDIS_URL) is unreachable or slow and rate limits, lockouts and detector counts are kept per instance; else 0.',
      registers,
    });
    this.countersFallback = new Counter({
      name: 'revokd_counters_fallback_total',
      help: "Counter operations answered from this process's memory because Redis was unreachable or slow.",
      registers,
    });
    this.streamEvents = new Counter({
      name: 'revokd_stream_events_total',
      help: 'Events written to push streams (GET /api/v1/revocations/stream), by event: snapshot parts, revocations, heartbeats.',
      labelNames: ['event'],
      registers,
    });
    // Staleness is read when scraped: no timer.
    const self = this;
    new Gauge({
      name: 'revokd_streams_open',
      help: 'Push streams (GET /api/v1/revocations/stream) open on this instance.',
      registers,
      collect() {
        const read = self.openStreams;
        if (read !== undefined) this.set(read());
      },
    });
    new Gauge({
      name: 'revokd_replica_staleness_seconds',
      help: 'Time since the in-process revocation view last synced with the store.',
      registers,
      collect() {
        const read = self.stalenessMs;
        if (read === undefined) return;
        try {
          this.set(read() / 1000);
        } catch {
          // A failing source leaves the last value.
        }
      },
    });

    // Health is probed when scraped (one store ping per scrape): the same answer /readyz gives.
    new Gauge({
      name: 'revokd_health_state',
      help: "This instance's health: 0 ready, 1 degraded (still decides checks), 2 unavailable (checks answer 503).",
      registers,
      async collect() {
        const health = await self.probeForScrape();
        if (health !== undefined) this.set(HEALTH_STATE_VALUES[health.state]);
      },
    });
    new Gauge({
      name: 'revokd_degraded',
      help: 'Why this instance is degraded: 1 for each reason that applies now (see /readyz reasons).',
      labelNames: ['reason'],
      registers,
      async collect() {
        const health = await self.probeForScrape();
        if (health === undefined) return;
        for (const reason of DEGRADED_REASONS)
          this.set({ reason }, health.reasons.some((r) => r.reason === reason) ? 1 : 0);
      },
    });

    // Series that should exist (at 0) before the first event, so rate() and alert rules see them.
    for (const severity of SEVERITIES) this.alerts.inc({ severity }, 0);
    for (const kind of CHECK_KINDS)
      for (const outcome of CHECK_OUTCOMES) this.checks.inc({ kind, outcome }, 0);
    for (const kind of ['access_token', 'api_token'] as const) this.replays.inc({ kind }, 0);
    for (const event of STREAM_EVENTS) this.streamEvents.inc({ event }, 0);
  }

  /** Reads the number of open push streams when scraped (the stream hub). */
  watchStreams(count: () => number): void {
    this.openStreams = count;
  }

  /** One event written to a push stream. */
  countStreamEvent(event: (typeof STREAM_EVENTS)[number]): void {
    this.streamEvents.inc({ event });
  }

  /** One probe serves both health gauges of a scrape (a failing probe leaves the last values). */
  private probeForScrape(): Promise<ServiceHealth | undefined> {
    const probe = this.healthProbe;
    if (probe === undefined) return Promise.resolve(undefined);
    const nowMs = Date.now();
    if (this.lastProbe === undefined || nowMs - this.lastProbe.atMs > PROBE_REUSE_MS) {
      this.lastProbe = { atMs: nowMs, result: probe().catch(() => undefined) };
    }
    return this.lastProbe.result;
  }

  private lastProbe: { atMs: number; result: Promise<ServiceHealth | undefined> } | undefined;

  /** Subscribes to the process's events (checks, revocations, alerts…) and gauges (replica staleness). */
  attach(
    events: EventBus,
    gauges: { replicaStalenessMs: () => number; health?: () => Promise<ServiceHealth> },
  ): void {
    this.detachEvents();
    this.stalenessMs = gauges.replicaStalenessMs;
    this.healthProbe = gauges.health;
    const on = <K extends keyof RevokdEvents>(
      event: K,
      listener: (payload: RevokdEvents[K]) => void,
    ): void => {
      this.unsubscribe.push(events.on(event, listener));
    };
    on('check', (e) => this.checks.inc({ kind: label(e.kind), outcome: label(e.outcome) }));
    on('revoked', (e) =>
      this.revocations.inc({
        scope: label(e.scope),
        reason: label(e.reason),
        initiator: label(e.initiator),
      }),
    );
    on('alert_raised', (e) => {
      const severity = (SEVERITIES as readonly string[]).includes(e?.severity)
        ? e.severity
        : 'UNKNOWN';
      this.alerts.inc({ severity });
    });
    on('revoked_token_used', (e) => this.replays.inc({ kind: label(e.kind) }));
    on('login_failed', () => this.loginFailures.inc());
    on('refresh_reused', () => this.refreshReuse.inc());
    on('token_issued', (e) => this.tokensIssued.inc({ kind: label(e.kind) }));
    on('deception_hit', (e) => this.deceptionHits.inc({ kind: label(e.kind) }));
  }

  /**
   * Times propagation: every revocation the view applies from now on (committed here or read from
   * the feed) is observed as now − its createdAt. Idempotent for the same source.
   */
  watchReplica(replica: RecordSource, now: () => number = this.now): void {
    if (this.watchedReplica === replica) return;
    this.unwatchReplica?.();
    this.watchedReplica = replica;
    this.unwatchReplica = replica.onRecord((record) => {
      const seconds = Math.max(0, now() - record.createdAtMs) / 1000;
      if (Number.isFinite(seconds)) this.propagation.observe(seconds);
    });
  }

  /** Whether the shared counters are running on their per-instance fallback (src/app/counters). */
  setCountersDegraded(degraded: boolean): void {
    this.countersDegraded.set(degraded ? 1 : 0);
  }

  /** One counter operation answered from memory instead of Redis. */
  countCountersFallback(): void {
    this.countersFallback.inc();
  }

  /** Observes one store call. */
  observeStoreCall(method: string, seconds: number, ok: boolean): void {
    this.storeCalls.observe({ method, ok: ok ? 'true' : 'false' }, seconds);
  }

  /** Observes one answered HTTP request; `route` is the route pattern (or `unmatched`), never the URL. */
  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    const m = HTTP_METHODS.has(method) ? method : 'OTHER';
    this.httpRequests.inc({ method: m, route, status: String(status) });
    this.httpDuration.observe({ method: m, route }, seconds);
  }

  /** The Prometheus text exposition: this instance's metrics, then the process collectors. */
  async render(): Promise<{ contentType: string; body: string }> {
    const own = await this.registry.metrics();
    const proc = await processMetrics().metrics();
    // prom-client writes NaN as "Nan" (e.g. event-loop delay before any sample); the format says "NaN".
    const body = `${own.trimEnd()}\n\n${proc.trimEnd()}\n`.replace(
      /^([^#\n][^\n]*) Nan$/gm,
      '$1 NaN',
    );
    return { contentType: this.registry.contentType, body };
  }

  /** Unsubscribes from events and the replica. Owns no timer; safe to call more than once. */
  stop(): void {
    this.detachEvents();
    this.unwatchReplica?.();
    this.unwatchReplica = undefined;
    this.watchedReplica = undefined;
    this.stalenessMs = undefined;
  }

  private detachEvents(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }
}
