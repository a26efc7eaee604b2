import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { UsageError } from '../command.js';

/** A column value as better-sqlite3 reads it (Parley stores no blobs). */
export type Value = number | string | null | bigint | Buffer;

/** One table of the source and how it is copied. */
export interface SourceTable {
  name: string;
  columns: string[];
  /** The primary key's columns in key order: the keyset the copy walks. */
  key: string[];
  /** Tables this one references (copied first). */
  references: string[];
}

/** What the source holds now: enough to tell whether it changed between two runs. */
export interface SourceState {
  /** Per copied table: its rows. */
  counts: Record<string, number>;
  /** A hash over the small tables' rows and the big tables' counts and highest keys. */
  fingerprint: string;
}

/** Per conversation, as the move checks it on both sides. */
export interface ConversationCheck {
  id: number;
  lastSeq: number;
  lastVersion: number;
  maxSeq: number;
  maxVersion: number;
}

/**
 * Tables whose every row goes into the fingerprint (each is small, or changes without its
 * count or highest id moving: cursors, sessions, profiles). The message tables are large; any
 * change to one of their rows raises its conversation's `last_version`, which is hashed.
 */
const HASHED = new Set(['users', 'sessions', 'conversations', 'members', 'settings', 'invites']);

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The SQLite database of a deployment, opened for the move: held with an exclusive lock for as
 * long as the move runs, so that no Parley server is using it (opening fails if one is) and
 * none can start on it meanwhile.
 */
export class Source {
  private constructor(
    readonly file: string,
    private readonly db: SQLite.Database,
  ) {}

  /** Opens and locks the file; refuses (UsageError) when it is missing or in use. */
  static open(file: string): Source {
    if (!existsSync(file)) {
      throw new UsageError(
        `no SQLite database at ${file} (set DATA_DIR to the deployment's data directory)`,
      );
    }
    let db: SQLite.Database;
    try {
      db = new SQLite(file, { fileMustExist: true, timeout: 200 });
    } catch (err) {
      throw new UsageError(`cannot open ${file}: ${(err as Error).message}`);
    }
    try {
      // In WAL mode every open connection holds a shared lock on the file: an exclusive lock
      // is granted only when no other process has the database open, and is kept until close.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('COMMIT');
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        throw new UsageError(
          `${file} is in use by another process (a Parley server running on it?): stop it first`,
        );
      }
      throw new UsageError(`cannot lock ${file}: ${(err as Error).message}`);
    }
    return new Source(file, db);
  }

  /** The applied migrations, in order, with the time each ran on this database. */
  migrations(): Array<{ name: string; timestamp: string }> {
    const has = this.db
      .prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'")
      .get();
    if (!has) return [];
    return this.db
      .prepare('select name, timestamp from kysely_migration order by name')
      .all() as Array<{ name: string; timestamp: string }>;
  }

  /**
   * What tells this database apart from any other: the times its own migrations ran, set
   * once when the database was created and migrated, and never changed after.
   */
  identity(): string {
    const h = createHash('sha256');
    for (const m of this.migrations()) h.update(`${m.name}\u0000${m.timestamp}\u0000`);
    return h.digest('hex').slice(0, 32);
  }

  /**
   * The tables to copy, referenced tables first: every ordinary table but SQLite's own, the
   * migration bookkeeping (the target's migrations write it) and the search index with its
   * shadow tables (rebuilt on the target from the messages).
   */
  tables(): SourceTable[] {
    const all = this.db
      .prepare("select name, sql from sqlite_master where type = 'table' order by name")
      .all() as Array<{ name: string; sql: string | null }>;
    const virtual = all
      .filter((t) => /^\s*create\s+virtual\s+table/i.test(t.sql ?? ''))
      .map((t) => t.name);
    const skip = (name: string) =>
      name.startsWith('sqlite_') ||
      name.startsWith('kysely_') ||
      virtual.some((v) => name === v || name.startsWith(`${v}_`));
    const tables = all
      .filter((t) => !skip(t.name))
      .map((t): SourceTable => {
        const info = this.db.prepare(`pragma table_info(${quote(t.name)})`).all() as Array<{
          name: string;
          pk: number;
        }>;
        const key = info
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name);
        const fks = this.db.prepare(`pragma foreign_key_list(${quote(t.name)})`).all() as Array<{
          table: string;
        }>;
        if (key.length === 0) {
          throw new Error(`table ${t.name} has no primary key: it cannot be copied in key order`);
        }
        return {
          name: t.name,
          columns: info.map((c) => c.name),
          key,
          references: [...new Set(fks.map((f) => f.table))].filter((r) => r !== t.name),
        };
      });
    return dependencyOrder(tables);
  }

  /** Rows per table, and the fingerprint of the data as it is now. */
  state(tables: readonly SourceTable[]): SourceState {
    const counts: Record<string, number> = {};
    const h = createHash('sha256');
    for (const t of tables) {
      const count = this.db
        .prepare(`select count(*) from ${quote(t.name)}`)
        .pluck()
        .get() as number;
      counts[t.name] = count;
      h.update(`${t.name}:${count}:`);
      if (HASHED.has(t.name)) {
        const rows = this.db
          .prepare(`select * from ${quote(t.name)} order by ${t.key.map(quote).join(', ')}`)
          .raw(true)
          .iterate() as IterableIterator<unknown[]>;
        for (const row of rows) h.update(JSON.stringify(row));
      } else {
        const last = this.db
          .prepare(
            `select ${t.key.map(quote).join(', ')} from ${quote(t.name)} order by ${t.key
              .map((k) => `${quote(k)} desc`)
              .join(', ')} limit 1`,
          )
          .raw(true)
          .get();
        h.update(JSON.stringify(last ?? null));
      }
    }
    h.update(JSON.stringify(this.sequences()));
    return { counts, fingerprint: h.digest('hex').slice(0, 32) };
  }

  /** SQLite's AUTOINCREMENT high-water marks: ids once used are never given again. */
  sequences(): Record<string, number> {
    const has = this.db
      .prepare("select 1 from sqlite_master where type = 'table' and name = 'sqlite_sequence'")
      .get();
    if (!has) return {};
    const rows = this.db.prepare('select name, seq from sqlite_sequence').all() as Array<{
      name: string;
      seq: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.seq)]));
  }

  /** The rows of a table after a key, in key order, as arrays in `t.columns` order. */
  rowsAfter(t: SourceTable, after: Value[] | null): IterableIterator<Value[]> {
    const cols = t.columns.map(quote).join(', ');
    const keyCols = t.key.map(quote);
    const keyList = keyCols.length === 1 ? keyCols[0]! : `(${keyCols.join(', ')})`;
    const where =
      after === null
        ? ''
        : `where ${keyList} > ${after.length === 1 ? '?' : `(${after.map(() => '?').join(', ')})`}`;
    const stmt = this.db
      .prepare(`select ${cols} from ${quote(t.name)} ${where} order by ${keyCols.join(', ')}`)
      .raw(true);
    return (after === null ? stmt.iterate() : stmt.iterate(...after)) as IterableIterator<Value[]>;
  }

  /** How many rows of the search index SQLite holds (what the rebuilt one is compared with). */
  searchRows(): number | null {
    try {
      return this.db.prepare('select count(*) from message_search').pluck().get() as number;
    } catch {
      return null;
    }
  }

  /** Every conversation's counters and the highest seq and version of its messages. */
  conversationChecks(): ConversationCheck[] {
    return this.db
      .prepare(
        `select c.id as id, c.last_seq as lastSeq, c.last_version as lastVersion,
          coalesce((select max(seq) from messages m where m.conversation_id = c.id), 0) as maxSeq,
          coalesce((select max(version) from messages m where m.conversation_id = c.id), 0) as maxVersion
        from conversations c order by c.id`,
      )
      .all() as ConversationCheck[];
  }

  /** The highest key of a table (null when empty). */
  lastKey(t: SourceTable): Value[] | null {
    const row = this.db
      .prepare(
        `select ${t.key.map(quote).join(', ')} from ${quote(t.name)} order by ${t.key
          .map((k) => `${quote(k)} desc`)
          .join(', ')} limit 1`,
      )
      .raw(true)
      .get() as Value[] | undefined;
    return row ?? null;
  }

  close(): void {
    this.db.close();
  }
}

/** Orders tables so that each comes after the tables it references (cycles keep name order). */
function dependencyOrder(tables: SourceTable[]): SourceTable[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: SourceTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: SourceTable) => {
    if (state.get(t.name)) return;
    state.set(t.name, 'visiting');
    for (const r of t.references) {
      const dep = byName.get(r);
      if (dep) visit(dep);
    }
    state.set(t.name, 'done');
    out.push(t);
  };
  tables.forEach(visit);
  return out;
}
