/**
 * Timing helpers for the benchmark: fixed op counts, interleaved rounds, medians, and a record of
 * the garbage-collection pauses that fell inside each scenario's timed windows.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { constants } from 'node:perf_hooks';

export interface Scenario {
  /** Stable key used in the JSON output. */
  readonly key: string;
  readonly label: string;
  /** Ops per timed round (rounded to a multiple of the slice count). */
  readonly ops: number;
  readonly kind: 'throughput' | 'latency';
  /** Runs `ops` operations back to back (each awaited before the next starts). */
  readonly run: (ops: number) => Promise<void> | void;
}

export interface ScenarioResult {
  readonly key: string;
  readonly label: string;
  readonly opsPerRound: number;
  /** ops/s of each timed round, in round order. */
  readonly opsPerSec: number[];
  /** ns/op of each timed round, in round order. */
  readonly nsPerOp: number[];
  readonly medianOpsPerSec: number;
  readonly medianNsPerOp: number;
  readonly minOpsPerSec: number;
  readonly maxOpsPerSec: number;
  /**
   * Process CPU time (user + system, all threads — the libuv pool that runs WebCrypto included)
   * per op, median of rounds. Work done by other processes (the Redis server) is not in it.
   */
  readonly medianCpuNsPerOp: number;
  /** GC pauses observed while this scenario's rounds were being timed. */
  readonly gc: { readonly pauseMs: number; readonly majorCount: number; readonly timedMs: number };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Window {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/** Collects GC entries and attributes them to the timed window they started in. */
class GcRecorder {
  private readonly entries: Array<{ start: number; duration: number; major: boolean }> = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as unknown as { detail?: { kind?: number } }).detail;
      this.entries.push({
        start: entry.startTime,
        duration: entry.duration,
        major: detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR,
      });
    }
  });

  start(): void {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Lets queued observer callbacks run, then stops observing. */
  async stop(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.observer.disconnect();
  }

  summarize(
    windows: readonly Window[],
    key: string,
  ): { pauseMs: number; majorCount: number; timedMs: number } {
    let pauseMs = 0;
    let majorCount = 0;
    let timedMs = 0;
    for (const w of windows) {
      if (w.key !== key) continue;
      timedMs += w.end - w.start;
      for (const e of this.entries) {
        if (e.start >= w.start && e.start < w.end) {
          pauseMs += e.duration;
          if (e.major) majorCount++;
        }
      }
    }
    return { pauseMs, majorCount, timedMs };
  }
}

/**
 * Warms every scenario up, then runs `rounds` rounds. A round is `ops` operations of every
 * scenario, cut into `slices` slices that take turns, so that noise lasting more than a few
 * milliseconds — CPU frequency, another process on the machine — lands on every scenario of the
 * round alike instead of on whichever happened to run during it. The order of the scenarios is
 * shuffled for every slice (seeded, so runs are comparable): a fixed order would always put the
 * same scenario after the same neighbour and charge it, say, for the garbage its neighbour left in
 * the young generation. A scenario's time for the round is the sum of its slices.
 */
export async function runInterleaved(
  scenarios: readonly Scenario[],
  options: {
    rounds: number;
    slices: number;
    warmupFraction: number;
    /** Called once, after the warm-up and before the first timed round. */
    onWarm?: () => void;
    onRound?: (round: number) => void;
  },
): Promise<ScenarioResult[]> {
  for (const s of scenarios) {
    await s.run(Math.max(1, Math.round(s.ops * options.warmupFraction)));
  }
  options.onWarm?.();
  const perRound = new Map<string, number[]>(scenarios.map((s) => [s.key, []]));
  const cpuPerRound = new Map<string, number[]>(scenarios.map((s) => [s.key, []]));
  const sliceOps = new Map<string, number>(
    scenarios.map((s) => [s.key, Math.max(1, Math.round(s.ops / options.slices))]),
  );
  const windows: Window[] = [];
  const gc = new GcRecorder();
  gc.start();
  const random = mulberry32(0x5eed);
  const order = scenarios.map((_, i) => i);
  for (let round = 0; round < options.rounds; round++) {
    const roundNs = new Map<string, number>(scenarios.map((s) => [s.key, 0]));
    const roundCpuUs = new Map<string, number>(scenarios.map((s) => [s.key, 0]));
    for (let slice = 0; slice < options.slices; slice++) {
      shuffle(order, random);
      for (const index of order) {
        const s = scenarios[index]!;
        const ops = sliceOps.get(s.key)!;
        const startMs = performance.now();
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        await s.run(ops);
        const elapsedNs = Number(process.hrtime.bigint() - t0);
        const cpu = process.cpuUsage(cpu0);
        roundCpuUs.set(s.key, roundCpuUs.get(s.key)! + cpu.user + cpu.system);
        windows.push({ key: s.key, start: startMs, end: performance.now() });
        roundNs.set(s.key, roundNs.get(s.key)! + elapsedNs);
      }
    }
    for (const s of scenarios) {
      perRound.get(s.key)!.push(roundNs.get(s.key)!);
      cpuPerRound.get(s.key)!.push(roundCpuUs.get(s.key)!);
    }
    options.onRound?.(round);
  }
  await gc.stop();
  return scenarios.map((s) => {
    const elapsed = perRound.get(s.key)!;
    const opsPerRound = sliceOps.get(s.key)! * options.slices;
    const opsPerSec = elapsed.map((ns) => (opsPerRound * 1e9) / ns);
    const nsPerOp = elapsed.map((ns) => ns / opsPerRound);
    return {
      key: s.key,
      label: s.label,
      opsPerRound,
      opsPerSec,
      nsPerOp,
      medianOpsPerSec: median(opsPerSec),
      medianNsPerOp: median(nsPerOp),
      minOpsPerSec: Math.min(...opsPerSec),
      maxOpsPerSec: Math.max(...opsPerSec),
      medianCpuNsPerOp: median(cpuPerRound.get(s.key)!.map((us) => (us * 1000) / opsPerRound)),
      gc: gc.summarize(windows, s.key),
    };
  });
}

/** A small seeded PRNG (mulberry32): the slice orders are the same from run to run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(values: number[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
}

export function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    throw new Error(
      'global.gc is not exposed: run through `npm run bench` (node --expose-gc --import tsx bench/run.ts)',
    );
  }
  // Several passes: weak callbacks and finalizers queued by one pass are collected by the next.
  for (let i = 0; i < 4; i++) gc();
}
