import type SQLite from 'better-sqlite3';
import type { Compilable } from 'kysely';
import type { DatabaseKind } from '../config.js';
import type { Db } from './database.js';
import { groupWrite, type GroupCommit } from './group-commit.js';
import { prepared } from './prepared.js';

/** What one statement gave back. */
export interface StepResult {
  rows: unknown[];
  /** Rows inserted, updated or deleted. */
  affected: number;
}

/**
 * A write written once for every database: a generator that yields each statement (built with
 * the `db` it is given) and receives its result. SQLite runs it synchronously inside a group
 * commit, sharing the disk sync with the sends of the same window; PostgreSQL and MariaDB run
 * it in a transaction of its own. Throwing inside rolls the whole write back on both.
 */
export type Steps<R> = Generator<Compilable, R, StepResult>;

/** The rows a query returns. */
export function* rowsOf<O>(q: Compilable<O>): Generator<Compilable, O[], StepResult> {
  const r = yield q;
  return r.rows as O[];
}

/** The first row a query returns, if any. */
export function* firstOf<O>(q: Compilable<O>): Generator<Compilable, O | undefined, StepResult> {
  const r = yield q;
  return r.rows[0] as O | undefined;
}

/** How many rows a write touched. */
export function* affectedBy(q: Compilable): Generator<Compilable, number, StepResult> {
  const r = yield q;
  return r.affected;
}

/** Runs steps on SQLite's raw connection, synchronously, each statement prepared once. */
function runOnSqlite<R>(sqlite: SQLite.Database, steps: Steps<R>): R {
  let next = steps.next();
  while (!next.done) {
    const q = next.value.compile();
    const stmt = prepared(sqlite, q.sql);
    const params = q.parameters as unknown[];
    const result: StepResult = stmt.reader
      ? { rows: stmt.all(...params), affected: 0 }
      : { rows: [], affected: stmt.run(...params).changes };
    next = steps.next(result);
  }
  return next.value;
}

/** Runs steps one statement after another in the caller's transaction. */
async function runOnConnection<R>(trx: Db, steps: Steps<R>): Promise<R> {
  let next = steps.next();
  while (!next.done) {
    const r = await trx.executeQuery(next.value.compile());
    next = steps.next({ rows: r.rows, affected: Number(r.numAffectedRows ?? 0n) });
  }
  return next.value;
}

/**
 * Runs a write of steps: in the group commit on SQLite, in a transaction elsewhere. The
 * transaction reads committed data statement by statement: steps read a row again after taking
 * a lock, and MariaDB's default (repeatable read) would answer that read from the snapshot of
 * the transaction's first read, from before the lock, so a change could act on stale state.
 */
export function runSteps<R>(db: Db, commits: GroupCommit | null, make: (db: Db) => Steps<R>) {
  return groupWrite(
    commits,
    (sqlite) => runOnSqlite(sqlite, make(db)),
    () =>
      db
        .transaction()
        .setIsolationLevel('read committed')
        .execute((trx) => runOnConnection(trx, make(trx))),
  );
}

/**
 * Runs reads that must see one state of the database: a page of messages and what is built
 * around them (reactions, replies, mentions, files) are several queries, and a change
 * committing between them would give a copy that mixes two versions. PostgreSQL and MariaDB
 * read them in one repeatable-read transaction (one snapshot); on SQLite the queries run on the
 * one connection without yielding to the event loop, so no group commit lands between them.
 */
export function readConsistent<R>(
  db: Db,
  kind: DatabaseKind,
  read: (db: Db) => Promise<R>,
): Promise<R> {
  if (kind === 'sqlite') return read(db);
  return db.transaction().setIsolationLevel('repeatable read').execute(read);
}
