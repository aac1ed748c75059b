/**
 * Issue 21: the longest a single JtiTable.set() holds the event loop while the table grows from
 * 1 M to 10 M entries (a replica presized for a 1 M snapshot that then takes 9 M more revocations).
 * Each call is timed on its own; the table's growths are where the long ones are. Also the total
 * time and the table's bytes per entry at the end.
 *
 * `node --import tsx bench/jti-growth-pause.ts` (BENCH_JTI_FROM / BENCH_JTI_TO change the sizes;
 * BENCH_JTI_MODULE points at another jti-table.ts to compare, e.g. a copy of an older one).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface JtiGrowthPause {
  readonly from: number;
  readonly to: number;
  /** The longest single set() (ms). */
  readonly worstSetMs: number;
  /** The longest set() that grew or split a shard (ms); undefined: the table counts no growths. */
  readonly worstGrowthMs: number | undefined;
  readonly growths: number | undefined;
  /** set() calls that took over 5 ms. */
  readonly setsOver5Ms: number;
  readonly totalMs: number;
  readonly bytesPerEntry: number;
}

interface TableLike {
  set(jti: string, expiresAtMs: number): void;
  readonly tableBytes: number;
  readonly size: number;
  readonly growths?: number;
}

export async function measureJtiGrowthPause(
  from = 1_000_000,
  to = 10_000_000,
  modulePath = new URL('../src/core/revocation/jti-table.ts', import.meta.url).href,
): Promise<JtiGrowthPause> {
  const { JtiTable } = (await import(modulePath)) as {
    JtiTable: new (expected: number) => TableLike;
  };
  const table = new JtiTable(from);
  const batch = 10_000;
  let worst = 0;
  let worstGrowth = 0;
  let over5 = 0;
  const expiry = Date.now() + 3_600_000;
  const t0 = performance.now();
  for (let done = 0; done < to; done += batch) {
    const bytes = randomBytes(16 * batch);
    for (let i = 0; i < batch; i++) {
      const jti = bytes.subarray(i * 16, i * 16 + 16).toString('base64url');
      const grown = table.growths;
      const s = performance.now();
      table.set(jti, expiry);
      const took = performance.now() - s;
      if (table.growths !== grown && took > worstGrowth) worstGrowth = took;
      if (took > worst) worst = took;
      if (took > 5) over5++;
    }
  }
  return {
    from,
    to,
    worstSetMs: worst,
    worstGrowthMs: table.growths === undefined ? undefined : worstGrowth,
    growths: table.growths,
    setsOver5Ms: over5,
    totalMs: performance.now() - t0,
    bytesPerEntry: table.tableBytes / table.size,
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const module = process.env.BENCH_JTI_MODULE;
  const r = await measureJtiGrowthPause(
    Number(process.env.BENCH_JTI_FROM ?? 1_000_000),
    Number(process.env.BENCH_JTI_TO ?? 10_000_000),
    module === undefined ? undefined : pathToFileURL(module).href,
  );
  process.stdout.write(
    `jti table ${r.from.toLocaleString('en')} → ${r.to.toLocaleString('en')} set() calls: ` +
      `worst set() ${r.worstSetMs.toFixed(1)} ms, ${r.setsOver5Ms} over 5 ms, ` +
      (r.worstGrowthMs === undefined
        ? ''
        : `worst of ${r.growths} growing set() calls ${r.worstGrowthMs.toFixed(1)} ms, `) +
      `total ${(r.totalMs / 1000).toFixed(1)} s, ${r.bytesPerEntry.toFixed(1)} bytes/entry\n`,
  );
}
