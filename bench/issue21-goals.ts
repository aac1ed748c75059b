/**
 * Issue 21's table of figures, side by side at the end of `npm run bench`: each figure as the issue
 * states it now, its goal, this run's value and MET / NOT MET — or "not measured" when no part of
 * this run measures it (a part skipped with its BENCH_*=0 switch, or not written yet).
 *
 * One entry per figure, each reading its value from the result its part put in the run's
 * bench/results/latest.json (the `BenchRun` fields, named as run.ts names them). A part that is
 * added later plugs in by adding its field to `BenchRun` and filling its entry's `measure`.
 */
import type { HotPathSize } from './hot-path.js';
import type { HttpThroughputResults } from './http-throughput.js';
import type { StartAtScaleResult } from './start-at-scale.js';
import { ms, printTable } from './table.js';
import type { VerifierPropagationResult } from './verifier-propagation.js';

/** What the parts of one run produced (run.ts's `json`); absent: the part did not run. */
export interface BenchRun {
  readonly hotPath?: { readonly sizes: readonly HotPathSize[] };
  readonly httpThroughput?: HttpThroughputResults;
  readonly verifierPropagation?: readonly VerifierPropagationResult[];
  readonly startAtScale?: StartAtScaleResult;
}

export interface Measured {
  readonly value: string;
  readonly met: boolean;
}

export interface Goal {
  readonly figure: string;
  /** The figure as the issue states it (before the work on it). */
  readonly now: string;
  readonly goal: string;
  /** This run's value; undefined when nothing in the run measured it. */
  readonly measure: (run: BenchRun) => Measured | undefined;
}

export interface GoalRow {
  readonly figure: string;
  readonly now: string;
  readonly goal: string;
  readonly measured: string;
  readonly status: 'MET' | 'NOT MET' | 'not measured';
}

/** A start of the server on `revoked` live revocations in `backend`, against its goal. */
function startAt(run: BenchRun, backend: string, revoked: number): Measured | undefined {
  const start = run.startAtScale?.starts.find(
    (s) => s.backend === backend && s.revoked === revoked,
  );
  if (start === undefined) return undefined;
  const rss = `${start.steadyRssMiB.toFixed(0)} MiB steady, ${start.peakRssMiB.toFixed(0)} MiB peak`;
  return { value: `${(start.startMs / 1000).toFixed(1)} s, ${rss}`, met: start.met };
}

function verifierFirstSnapshot(run: BenchRun): Measured | undefined {
  const v = run.startAtScale?.verifier;
  if (v === undefined) return undefined;
  const rss = `${v.steadyRssMiB.toFixed(0)} MiB steady, ${v.peakRssMiB.toFixed(0)} MiB peak`;
  const server =
    v.serverPeakRssMiB === undefined || v.serverSteadyRssMiB === undefined
      ? ''
      : `; server ${v.serverSteadyRssMiB.toFixed(0)} → peak ${v.serverPeakRssMiB.toFixed(0)} MiB`;
  return { value: `${(v.firstSnapshotMs / 1000).toFixed(1)} s, ${rss}${server}`, met: v.met };
}

function hotPathAt(run: BenchRun, revoked: number): HotPathSize | undefined {
  return run.hotPath?.sizes.find((s) => s.revoked === revoked);
}

/** First-seen ÷ bare jose, both medians of the same rounds. */
function firstSeenOverBare(run: BenchRun, revoked: number): Measured | undefined {
  const size = hotPathAt(run, revoked);
  const bare = size?.scenarios.find((s) => s.key === 'bare');
  const first = size?.scenarios.find((s) => s.key === 'firstSeen');
  if (bare === undefined || first === undefined) return undefined;
  const ratio = first.medianOpsPerSec / bare.medianOpsPerSec;
  return { value: ratio.toFixed(3), met: ratio >= 1 };
}

function repeatOpsPerSec(run: BenchRun): Measured | undefined {
  const size = hotPathAt(run, 1_000_000) ?? run.hotPath?.sizes[0];
  const repeat = size?.scenarios.find((s) => s.key === 'repeat');
  if (size === undefined || repeat === undefined) return undefined;
  const at = size.revoked === 1_000_000 ? '' : ` (at ${size.revoked.toLocaleString('en-US')})`;
  const perSec = repeat.medianOpsPerSec;
  const rate =
    perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)} M/s` : `${(perSec / 1e3).toFixed(0)} k/s`;
  const value = `${rate}${at}`;
  return { value, met: perSec >= 2e6 };
}

function httpRatio(
  run: BenchRun,
  endpoint: 'introspect' | 'revoke',
  backend: string,
  goal: number,
): Measured | undefined {
  const ratio = run.httpThroughput?.ratios[endpoint][backend];
  return ratio === undefined ? undefined : { value: `${ratio.toFixed(2)}×`, met: ratio >= goal };
}

function reconnectWorst(run: BenchRun): Measured | undefined {
  const trials = run.verifierPropagation?.flatMap((r) => r.afterRestartMs) ?? [];
  if (trials.length === 0) return undefined;
  const worst = Math.max(...trials);
  return { value: `${ms(worst)} (${trials.length} trials)`, met: worst <= 500 };
}

function lastOfFourP99(run: BenchRun): Measured | undefined {
  const four = run.verifierPropagation?.find((r) => r.verifiers === 4);
  if (four === undefined) return undefined;
  return { value: ms(four.last.p99Ms), met: four.last.p99Ms <= 3 };
}

export const ISSUE_21_GOALS: readonly Goal[] = [
  // From the start-at-scale part (bench/start-at-scale.ts, BENCH_START_CASES chooses the cases).
  {
    figure: 'server start, 1 M live revocations (SQLite)',
    now: '8.7 s, 794 MiB RSS',
    goal: '≤ 2 s, ≤ 150 MiB RSS',
    measure: (run) => startAt(run, 'sqlite', 1_000_000),
  },
  {
    figure: 'server start, 1 M live revocations (PostgreSQL)',
    now: 'not measured',
    goal: '≤ 2 s, ≤ 150 MiB RSS',
    measure: (run) => startAt(run, 'postgres', 1_000_000),
  },
  {
    figure: 'server start, 10 M live revocations (SQLite)',
    now: 'not within 5 min',
    goal: '≤ 20 s, peak RSS ≤ 2× steady',
    measure: (run) => startAt(run, 'sqlite', 10_000_000),
  },
  {
    figure: "a verifier's first snapshot at 1 M (stream)",
    now: 'not measured',
    goal: '≤ 3 s, peak RSS ≤ 2× steady',
    measure: verifierFirstSnapshot,
  },
  {
    figure: '/oauth/introspect (API token) ÷ node-oidc-provider, SQLite',
    now: '1.36×',
    goal: '≥ 4×',
    measure: (run) => httpRatio(run, 'introspect', 'sqlite', 4),
  },
  {
    figure: '/oauth/introspect (API token) ÷ node-oidc-provider, PostgreSQL',
    now: '0.46×',
    goal: '≥ 4×',
    measure: (run) => httpRatio(run, 'introspect', 'postgres', 4),
  },
  {
    figure: '/oauth/revoke ÷ node-oidc-provider, SQLite',
    now: '0.18×',
    goal: '≥ 1×',
    measure: (run) => httpRatio(run, 'revoke', 'sqlite', 1),
  },
  {
    figure: '/oauth/revoke ÷ node-oidc-provider, PostgreSQL',
    now: '0.08×',
    goal: '≥ 1×',
    measure: (run) => httpRatio(run, 'revoke', 'postgres', 1),
  },
  {
    figure: 'first-seen token ÷ bare jose jwtVerify, 1 M revoked',
    now: '0.911',
    goal: '≥ 1.0',
    measure: (run) => firstSeenOverBare(run, 1_000_000),
  },
  {
    figure: 'first-seen token ÷ bare jose jwtVerify, 10 M revoked',
    now: '0.925',
    goal: '≥ 1.0',
    measure: (run) => firstSeenOverBare(run, 10_000_000),
  },
  {
    figure: 'repeat token',
    now: '820 k/s (1.22 µs)',
    goal: '≥ 2 M/s (≤ 0.5 µs)',
    measure: repeatOpsPerSec,
  },
  {
    figure: 'verifiers reconnecting after SIGKILL + restart, worst',
    now: '2.4 s',
    goal: '≤ 0.5 s',
    measure: reconnectWorst,
  },
  {
    figure: 'revoke → refused by the last of 4 verifiers, p99',
    now: '8.5 ms',
    goal: '≤ 3 ms',
    measure: lastOfFourP99,
  },
];

export function issue21Goals(run: BenchRun, goals: readonly Goal[] = ISSUE_21_GOALS): GoalRow[] {
  return goals.map((g) => {
    const m = g.measure(run);
    return {
      figure: g.figure,
      now: g.now,
      goal: g.goal,
      measured: m?.value ?? '—',
      status: m === undefined ? 'not measured' : m.met ? 'MET' : 'NOT MET',
    };
  });
}

export function printIssue21Goals(rows: readonly GoalRow[], log: (line?: string) => void): void {
  log("Issue 21 goals — the issue's figures, this run's value beside each");
  const body = rows.map((r) => [r.figure, r.now, r.goal, r.measured, r.status]);
  printTable(['figure', 'now (issue)', 'goal', 'this run', 'goal met?'], body, log, 3);
}
