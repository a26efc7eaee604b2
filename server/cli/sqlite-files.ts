import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from '../db/migrations/index.js';
import { UsageError } from './command.js';

/** The files SQLite keeps beside a database while it is open or was not closed cleanly. */
const SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

/** Pages copied per step of the online backup: all of them, in one read transaction. */
const ALL_PAGES = 0x7fffffff;

/** Flushes a file (or a folder's entries) to disk. */
function fsyncPath(p: string): void {
  const fd = openSync(p, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const isBusy = (err: unknown) =>
  /^SQLITE_(BUSY|LOCKED)/.test((err as { code?: string }).code ?? '');

/**
 * True when another connection has the database open: a Parley server (its connections hold
 * a shared lock on the file for as long as they are open, as every connection to a WAL
 * database does), the sqlite3 shell, a backup in progress. Asks SQLite itself for exclusive
 * locking mode, which the operating system grants only when no other process holds the file;
 * the locks die with their process, so a killed server leaves nothing stale behind (a pid
 * file would). Closing the probe, the last connection, merges a leftover WAL into the file.
 */
export function databaseInUse(file: string): boolean {
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    return false;
  } catch (err) {
    if (isBusy(err)) return true;
    // Not a database at all (a damaged file): nothing can be serving it.
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') return false;
    throw err;
  } finally {
    db.close();
  }
}

export interface BackupResult {
  bytes: number;
  ms: number;
}

/**
 * SQLite's online backup of `source` into `target`, consistent as of one moment while the
 * server keeps writing. All pages are copied in one step, inside one read transaction: a
 * backup done in small steps starts over whenever another process writes between two steps,
 * and under steady traffic it might never finish. In WAL mode that read transaction holds back
 * no writer. The copy is written beside `target`, switched to a rollback journal (one
 * self-contained file, nothing beside it to forget) and flushed, then renamed into place, so
 * `target` is never half written; without `force` an existing `target` is left alone.
 */
export async function backupSqlite(
  source: string,
  target: string,
  force: boolean,
): Promise<BackupResult> {
  const started = performance.now();
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  const db = new Database(source, { fileMustExist: true, timeout: 5000 });
  try {
    await db.backup(temp, { progress: () => ALL_PAGES });
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  } finally {
    db.close();
  }
  try {
    const copy = new Database(temp, { fileMustExist: true });
    copy.pragma('journal_mode = DELETE');
    copy.close();
    fsyncPath(temp);
    if (force) {
      renameSync(temp, target);
    } else {
      try {
        linkSync(temp, target); // fails if `target` appeared meanwhile
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new UsageError(`${target} exists; add --force to replace it`);
        }
        throw err;
      }
      unlinkSync(temp);
    }
    fsyncPath(path.dirname(target));
  } finally {
    rmSync(temp, { force: true });
  }
  return { bytes: statSync(target).size, ms: performance.now() - started };
}

/** What a checked backup holds: its size and the last migration it has. */
export interface CheckedBackup {
  bytes: number;
  schema: string;
}

/**
 * Checks that a file is a sound Parley database this version can run: SQLite's integrity
 * check passes, the migrations table and the core tables are there, and every migration it
 * records is one this version knows (a newer Parley's file is refused, not half understood).
 */
export function checkParleyDatabase(file: string, shownAs: string): CheckedBackup {
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
  } catch (err) {
    throw new UsageError(`${shownAs} cannot be opened: ${(err as Error).message}`);
  }
  try {
    let problems: string[];
    try {
      problems = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map(
        (r) => r.integrity_check,
      );
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_NOTADB') throw new UsageError(`${shownAs} is not a SQLite database`);
      throw new UsageError(`${shownAs} cannot be read: ${(err as Error).message}`);
    }
    if (problems.join() !== 'ok') {
      throw new UsageError(
        `${shownAs} fails SQLite's integrity check: ${problems.slice(0, 3).join('; ')}`,
      );
    }
    const tables = new Set(
      (
        db.prepare(`select name from sqlite_master where type = 'table'`).all() as Array<{
          name: string;
        }>
      ).map((r) => r.name),
    );
    const missing = [
      'kysely_migration',
      'users',
      'sessions',
      'conversations',
      'members',
      'messages',
    ].filter((t) => !tables.has(t));
    if (missing.length) {
      throw new UsageError(
        `${shownAs} is a SQLite database but not a Parley one (it has no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''})`,
      );
    }
    const applied = (
      db.prepare('select name from kysely_migration order by name').all() as Array<{
        name: string;
      }>
    ).map((r) => r.name);
    const unknown = applied.filter((name) => !(name in migrations));
    if (unknown.length) {
      throw new UsageError(
        `${shownAs} was written by a newer Parley (migration ${unknown[0]} is unknown here): upgrade Parley first`,
      );
    }
    return { bytes: statSync(file).size, schema: applied[applied.length - 1] ?? '(none)' };
  } finally {
    db.close();
  }
}

export interface RestoreResult extends CheckedBackup {
  target: string;
  /** Where the database it replaced was put, or null when there was none. */
  keptAs: string | null;
}

/**
 * Puts a backup in place of DATA_DIR/parley.db: copies it into the folder first (so it is
 * checked where it will live, and the rename into place is atomic), checks it, refuses while
 * anything has the current database open, keeps the current one aside (with its WAL, if any
 * is left) as `parley.db.before-restore-<time>`, removes stale WAL and shared-memory files
 * (applied to the restored file, another database's WAL would corrupt it), then renames.
 */
export function restoreSqlite(
  file: string,
  target: string,
  opts: { force: boolean; now: Date },
): RestoreResult {
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.restoring`);
  try {
    copyFileSync(file, temp);
    const checked = checkParleyDatabase(temp, file);
    let keptAs: string | null = null;
    if (existsSync(target)) {
      if (databaseInUse(target)) {
        throw new UsageError(
          `the database ${target} is in use (a Parley server, or another program, has it open): stop the server first`,
        );
      }
      keptAs = `${target}.before-restore-${opts.now.toISOString().replace(/[:.]/g, '-')}`;
      if (!opts.force) {
        throw new UsageError(
          `${target} exists; add --force to replace it (it is then kept as ${path.basename(keptAs)})`,
        );
      }
      renameSync(target, keptAs);
      for (const side of ['-wal', '-journal']) {
        if (existsSync(target + side)) renameSync(target + side, keptAs + side);
      }
    }
    for (const side of SIDE_FILES) rmSync(target + side, { force: true });
    fsyncPath(temp);
    renameSync(temp, target);
    fsyncPath(dir);
    return { ...checked, target, keptAs };
  } finally {
    for (const leftover of [temp, ...SIDE_FILES.map((side) => temp + side)]) {
      rmSync(leftover, { force: true });
    }
  }
}
