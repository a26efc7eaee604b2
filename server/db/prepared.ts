import type SQLite from 'better-sqlite3';

const cache = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();

/**
 * A statement prepared once per SQLite connection and reused (the hot paths run inside group
 * commits, where compiling the SQL again each time would cost more than running it).
 * `pluck` statements answer the first column of each row instead of row objects.
 */
export function prepared<P extends unknown[] = unknown[], R = unknown>(
  sqlite: SQLite.Database,
  text: string,
  opts: { pluck?: boolean } = {},
): SQLite.Statement<P, R> {
  let statements = cache.get(sqlite);
  if (!statements) {
    statements = new Map();
    cache.set(sqlite, statements);
  }
  const key = opts.pluck ? `pluck:${text}` : text;
  let s = statements.get(key);
  if (!s) {
    s = sqlite.prepare(text);
    if (opts.pluck) s.pluck();
    statements.set(key, s);
  }
  return s as unknown as SQLite.Statement<P, R>;
}
