import type SQLite from 'better-sqlite3';
import type { Db } from './database.js';

/** A unit of synchronous work on the raw SQLite connection, run inside a batch transaction. */
/**
 * A unit of work, run synchronously on the raw connection. `atCommit` defers a write to the end
 * of the batch, after every unit and before COMMIT (same transaction, outside the units'
 * savepoints), kept only if the unit succeeds: for writes that cost more per savepoint, like
 * the FTS5 search index, which flushes its pending terms into a new segment at every one.
 */
export type Work<T> = (sqlite: SQLite.Database, atCommit: (write: () => void) => void) => T;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  ok: boolean;
  value: unknown;
}

export interface GroupCommitOptions {
  /**
   * The least time between two commits (ms). Work arriving while the last commit is younger than
   * this waits for the rest of the window and shares the next commit; work arriving on an idle
   * database is committed on the next turn of the event loop. 0 commits every turn.
   */
  windowMs: number;
  /** A batch never holds more units than this; a full batch is committed at once. */
  maxBatch: number;
}

/**
 * Group commit for SQLite: units of work submitted in the same window run in ONE transaction,
 * each in its own savepoint (a failing unit is rolled back alone and rejects alone), and every
 * promise settles only after that transaction committed, so with `synchronous=FULL` nothing is
 * answered before it is on disk, and a burst costs one fsync instead of one per unit.
 *
 * The batch takes Kysely's connection first: Kysely runs its own transactions on the same
 * connection with awaits between statements, and a batch must never land inside one of them.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | null = null;
  private lastCommit = 0;
  private closed = false;
  private readonly sql: Record<
    'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit',
    SQLite.Statement
  >;
  /** Batches and units committed so far (for /metrics and the benchmarks). */
  commits = 0;
  units = 0;

  constructor(
    private readonly db: Db,
    private readonly sqlite: SQLite.Database,
    private readonly opts: GroupCommitOptions,
  ) {
    const prepare = (text: string) => sqlite.prepare(text);
    this.sql = {
      begin: prepare('BEGIN IMMEDIATE'),
      savepoint: prepare('SAVEPOINT unit'),
      release: prepare('RELEASE unit'),
      rollbackTo: prepare('ROLLBACK TO unit'),
      commit: prepare('COMMIT'),
    };
  }

  /** Runs `work` in the next batch; resolves with its result once the batch is durable. */
  run<T>(work: Work<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        work,
        resolve: resolve as (v: unknown) => void,
        reject,
        ok: false,
        value: undefined,
      });
      if (this.queue.length >= this.opts.maxBatch) this.schedule(0);
      else this.schedule(this.lastCommit + this.opts.windowMs - performance.now());
    });
  }

  private schedule(delayMs: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const go = () => {
      this.timer = null;
      this.flush().catch((err: unknown) => this.failQueued(err));
    };
    this.timer = delayMs > 0.5 ? setTimeout(go, delayMs) : setImmediate(go);
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer as ReturnType<typeof setTimeout>);
    clearImmediate(this.timer as ReturnType<typeof setImmediate>);
    this.timer = null;
  }

  /** The connection could not be had (the database is gone): what waits fails, not the process. */
  private failQueued(err: unknown): void {
    this.scheduled = false;
    for (const p of this.queue.splice(0)) p.reject(err);
  }

  private async flush(): Promise<void> {
    // Nothing to commit (close() took it already): do not touch a database that may be closed.
    if (this.queue.length === 0) {
      this.scheduled = false;
      return;
    }
    await this.db.connection().execute(async () => {
      this.scheduled = false;
      const batch = this.queue.splice(0, this.opts.maxBatch);
      if (this.queue.length) this.schedule(0);
      if (batch.length === 0) return;
      this.commitBatch(batch);
    });
  }

  private commitBatch(batch: Pending[]): void {
    const { sqlite, sql } = this;
    const deferred: Array<() => void> = [];
    try {
      sql.begin.run();
      for (const p of batch) {
        const mine: Array<() => void> = [];
        sql.savepoint.run();
        try {
          p.value = p.work(sqlite, (write) => mine.push(write));
          p.ok = true;
          sql.release.run();
          deferred.push(...mine);
        } catch (err) {
          p.value = err;
          sql.rollbackTo.run();
          sql.release.run();
        }
      }
      // A deferred write that fails fails the batch: nothing half-indexed is committed.
      for (const write of deferred) write();
      sql.commit.run();
    } catch (err) {
      // BEGIN, a savepoint or the COMMIT itself failed (disk full, I/O error): nothing of the
      // batch is stored, so every unit fails.
      try {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      } catch {
        // The connection rolled back by itself.
      }
      for (const p of batch) p.reject(err);
      return;
    } finally {
      this.lastCommit = performance.now();
    }
    this.commits++;
    this.units += batch.length;
    for (const p of batch) (p.ok ? p.resolve : p.reject)(p.value);
  }

  /** Commits what is queued and refuses new work. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    this.scheduled = false;
    while (this.queue.length) await this.flush();
  }
}

/**
 * A write that should not cost a disk sync of its own: joins the group commit on SQLite (run
 * synchronously on the raw connection), runs `elsewhere` on PostgreSQL and MariaDB, whose own
 * group commit already shares syncs between concurrent transactions.
 */
export function groupWrite<T>(
  commits: GroupCommit | null,
  onSqlite: Work<T>,
  elsewhere: () => Promise<T>,
): Promise<T> {
  return commits ? commits.run(onSqlite) : elsewhere();
}
