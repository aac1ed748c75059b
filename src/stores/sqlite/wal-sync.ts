/**
 * A commit made durable off the event loop.
 *
 * better-sqlite3 is synchronous: with synchronous=FULL every COMMIT waits for its fsync inside the
 * call, and the whole server — request parsing, signature checks, the stream — stops for it (16 %
 * of a loaded server's time on revocations, docs/performance.md). The connection therefore runs
 * with synchronous=NORMAL (SQLite writes the commit's WAL frames and syncs only at checkpoints,
 * which keeps the file consistent across a power loss but may drop the last commits) and this
 * class does the per-commit sync itself: `fdatasync` of the -wal file on libuv's thread pool, and
 * the unit of work that committed resolves only after it. What a caller sees is what FULL gave —
 * no acknowledgement before the commit is on disk — while the event loop keeps serving, and the
 * commits made meanwhile share the next sync (a second level of group commit).
 *
 * Reads wait too: a read resolves only once every commit it could have seen is on disk — this
 * connection's, and another process's (an instance sharing the file, the CLI, a server that was
 * killed before its sync): SQLite's `data_version` says when another connection committed, and one
 * sync of the -wal file covers every frame in it, whoever wrote it. So nothing this process shows
 * (an API answer, the replica's feed, the push stream) rests on a commit a power loss could still
 * take back — as under FULL, where a commit became visible only after its fsync.
 *
 * A failed sync is not retried: after a failed fsync the kernel may have dropped the dirty pages
 * and a later fsync can succeed without them. The store latches the failure and answers every
 * later unit with ERR_STORE_UNAVAILABLE until the process restarts and SQLite recovers from what
 * the disk holds — PostgreSQL's answer to the same problem (it stops).
 *
 * The -wal file stays the same file while this connection is open: SQLite resets it in place after
 * a checkpoint and deletes it only when the last connection to the database closes. It lies beside
 * the database's real path — SQLite follows symbolic links — so that is where it is looked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import { RevokdError } from '../../core/errors.js';
import type { SqliteDatabase } from './open-database.js';

/** Makes the file's data durable; resolves when the kernel says it is on disk. */
export type SyncFile = (fd: number) => Promise<void>;

export const fdatasync: SyncFile = (fd) =>
  new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));

export class WalSync {
  private readonly walFile: string;
  private readonly dataVersion: Statement;
  private lastDataVersion: unknown;
  private fd: number | undefined;
  /** Commits made or seen by this connection, and how many of them are known to be on disk. */
  private committed = 0;
  /** Whether this connection has committed: from then on the -wal file must exist. */
  private wroteHere = false;
  private synced = 0;
  private running: Promise<void> | undefined;
  private failure: RevokdError | undefined;

  constructor(
    db: SqliteDatabase,
    private readonly sync: SyncFile = fdatasync,
  ) {
    this.walFile = `${fs.realpathSync(path.resolve(db.name))}-wal`;
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /** Records a commit this connection just made; its ticket is what `durable` waits for. */
  committedNow(): number {
    this.wroteHere = true;
    return ++this.committed;
  }

  /**
   * After a read: a ticket when another connection committed since the last look (the read may
   * have seen it), else undefined — the read then waits only for this connection's commits.
   */
  seenOthers(): number | undefined {
    const version = this.dataVersion.get();
    if (version === this.lastDataVersion) return undefined;
    this.lastDataVersion = version;
    return ++this.committed;
  }

  /** Resolves once every commit up to `ticket` (default: every commit so far) is on disk. */
  async durable(ticket: number = this.committed): Promise<void> {
    while (this.synced < ticket) {
      if (this.failure !== undefined) throw this.failure;
      this.running ??= this.syncOnce().finally(() => {
        this.running = undefined;
      });
      await this.running;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for the commits made so far, then lets go of the file. */
  async close(): Promise<void> {
    try {
      await this.durable();
    } finally {
      if (this.fd !== undefined) fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private async syncOnce(): Promise<void> {
    // Everything committed before the sync starts is in the file: one sync covers it all.
    const upTo = this.committed;
    try {
      this.fd ??= openIfPresent(this.walFile);
      // No -wal file before this connection's first commit: nothing was written through it yet.
      // After one, a missing file means the log is elsewhere: failing beats acknowledging unsynced.
      if (this.fd === undefined && this.wroteHere)
        throw new Error(`the write-ahead log ${this.walFile} is missing after a commit`);
      if (this.fd !== undefined) await this.sync(this.fd);
      this.synced = Math.max(this.synced, upTo);
    } catch (err) {
      this.failure = new RevokdError(
        'ERR_STORE_UNAVAILABLE',
        'the database could not be synced to disk; restart revokd once the disk is healthy',
        { retryAfterSeconds: 1, cause: err },
      );
    }
  }
}

function openIfPresent(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
