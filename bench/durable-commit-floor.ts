/**
 * What one durable SQLite commit costs on this disk: a one-row insert transaction in WAL mode with
 * synchronous=FULL, one at a time — the commit and its fdatasync of the -wal file in one call, the
 * same work revokd does with the sync run on the thread pool (src/stores/sqlite/wal-sync.ts). A revocation is acknowledged only after such a commit, so this is the floor under any
 * "revoke through the API → refused elsewhere" latency on SQLite; the propagation bench prints it
 * beside its own figures so the two can be told apart.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { tempDir } from '../test/support/server-process.js';
import { quantile } from './propagation-between-instances.js';

export interface DurableCommitFloor {
  readonly commits: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** `commits` one-row transactions in a fresh file under the same temp directory the servers use. */
export function measureDurableCommitFloor(commits: number): DurableCommitFloor {
  const dir = tempDir('bench-fsync');
  const db = new Database(path.join(dir, 'floor.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const commit = db.transaction((v: string) => insert.run(v));
    for (let i = 0; i < 20; i++) commit('warm-up');
    const times: number[] = [];
    for (let i = 0; i < commits; i++) {
      const t0 = performance.now();
      commit(`row ${i}`);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { commits, p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
