import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  sql,
  type SqliteDatabase,
} from 'kysely';
import { createPool as createMysqlPool } from 'mysql2';
import pg from 'pg';
import type { DatabaseKind } from '../config.js';
import { startCheckpointer } from './checkpointer.js';
import type { Database } from './schema.js';

// BIGINT ids and times fit in a double; read them as numbers, not strings.
pg.types.setTypeParser(20, (v) => Number(v));

export type Db = Kysely<Database>;

/** A connected database: the typed query builder plus what the dialect needs to know. */
export interface DatabaseHandle {
  db: Db;
  kind: DatabaseKind;
  /** The raw connection under `db` on SQLite (for the group commit), null elsewhere. */
  sqlite: SQLite.Database | null;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  kind: DatabaseKind;
  url: string | null;
  dataDir: string;
  /** SQLite `synchronous` level; FULL makes every commit durable before the ack. */
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  poolSize?: number;
  /** SQLite: told when a background WAL checkpoint fails (the database keeps working). */
  onCheckpointError?: (message: string) => void;
}

/** Opens the database named by DATABASE_URL, or the SQLite file in DATA_DIR. */
export function openDatabase(opts: DatabaseOptions): DatabaseHandle {
  const poolSize = opts.poolSize ?? 10;
  switch (opts.kind) {
    case 'sqlite': {
      const file = path.join(opts.dataDir, 'parley.db');
      const sqlite = new SQLite(file);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'FULL'}`);
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma('busy_timeout = 5000');
      sqlite.pragma('wal_autocheckpoint = 0');
      const checkpointer = startCheckpointer({
        file,
        synchronous: opts.sqliteSynchronous ?? 'FULL',
        intervalMs: 1000,
        onError: (message) => opts.onCheckpointError?.(message),
      });
      const db = new Kysely<Database>({
        dialect: new SqliteDialect({ database: reusingStatements(sqlite) }),
      });
      return {
        db,
        kind: 'sqlite',
        sqlite,
        close: async () => {
          await checkpointer.stop();
          await db.destroy();
        },
      };
    }
    case 'postgres': {
      const pool = new pg.Pool({
        connectionString: opts.url ?? undefined,
        max: poolSize,
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 30_000,
      });
      // An idle client losing its server must not crash the process; the next query reports it.
      pool.on('error', () => {});
      // Nor may a checked-out one between two queries (inside a transaction, say): the pool's
      // own listener covers idle clients only. The broken client is dropped when released.
      pool.on('connect', (client) => client.on('error', () => {}));
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      return { db, kind: 'postgres', sqlite: null, close: () => db.destroy() };
    }
    case 'mysql': {
      const url = new URL(opts.url ?? '');
      url.protocol = 'mysql:';
      const pool = createMysqlPool({
        uri: url.toString(),
        connectionLimit: poolSize,
        charset: 'utf8mb4',
        connectTimeout: 5000,
        supportBigNumbers: true,
        timezone: 'Z',
      });
      pool.on('connection', (conn) => {
        conn.on('error', () => {});
      });
      const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
      return { db, kind: 'mysql', sqlite: null, close: () => db.destroy() };
    }
  }
}

/**
 * better-sqlite3 as Kysely sees it, but each SQL text is compiled once and its statement reused
 * (Kysely asks for a new one on every query, and compiling cost more than running). Kysely
 * runs a statement to completion before it asks for the next, so sharing one is safe. The
 * least recently used of more than `size` texts are dropped (IN lists make texts vary).
 */
function reusingStatements(sqlite: SQLite.Database, size = 1000): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let s = cache.get(text);
      if (s) {
        cache.delete(text);
      } else {
        s = sqlite.prepare(text);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, s);
      return s;
    },
  };
}

/** Answers whether the database is reachable (used by /readyz). */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** Escapes `%`, `_` and `!` for a LIKE pattern used with `ESCAPE '!'` (one form on all three databases). */
export function escapeLike(s: string): string {
  return s.replace(/[!%_]/g, (c) => '!' + c);
}
