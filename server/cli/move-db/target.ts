import type { ConversationCheck, Value } from './source.queries.js';

/** The move's own table on the target: what was moved from where, and how far it got. */
export const BOOKKEEPING_TABLE = 'parley_move';

/**
 * A secondary index or a foreign key of the target, dropped while the rows are copied and
 * created again after (building an index once over sorted data is much faster than keeping
 * it up to date row by row). Its definition is kept in the bookkeeping table meanwhile.
 */
export interface Deferred {
  kind: 'index' | 'foreign key';
  table: string;
  name: string;
  /** The statement that creates it again. */
  create: string;
}

/**
 * Writes one table's rows in transactions: rows are added one by one, and each commit writes
 * the rows added since the previous one together with the move's progress, atomically.
 */
export interface TableWriter {
  /** Adds a row, and its search index entry (a message's folded words) when it has one. */
  add(row: Value[], words: string[] | null): void;
  /** Set while the target is behind: wait for it before adding more (bounds the memory). */
  backlog(): Promise<void> | null;
  /**
   * Commits the rows added since the last commit with the bookkeeping row `progress`. It may
   * be called before the previous commit settled; rows added meanwhile go to the next one.
   */
  commit(progress: { name: string; value: string }): Promise<void>;
}

/** A PostgreSQL or MariaDB/MySQL database, as the move writes to it. */
export interface Target {
  readonly kind: 'postgres' | 'mysql';
  /** Tables of the target's schema (database, for MariaDB). */
  tables(): Promise<string[]>;
  hasRows(table: string): Promise<boolean>;
  /** Takes a lock held while this process runs: false when another move holds it. */
  lock(): Promise<boolean>;
  createBookkeeping(): Promise<void>;
  readBookkeeping(): Promise<Map<string, string>>;
  putBookkeeping(name: string, value: string): Promise<void>;
  deleteBookkeeping(name: string): Promise<void>;
  /** A table's columns and their types. */
  columns(table: string): Promise<Map<string, string>>;
  /** The secondary indexes and foreign keys of these tables. */
  deferrable(tables: readonly string[]): Promise<Deferred[]>;
  exists(d: Deferred): Promise<boolean>;
  drop(d: Deferred): Promise<void>;
  create(d: Deferred): Promise<void>;
  /** Another connection to the same database (indexes are built on two at once). */
  fork(): Promise<Target>;
  /** A writer for a table's columns (and the search index, for the messages). */
  writer(table: string, columns: readonly string[], search: boolean): TableWriter;
  /** Makes the table's next generated id follow `last`; false when the column has none. */
  setNextId(table: string, column: string, last: number): Promise<boolean>;
  count(table: string): Promise<number>;
  lastKey(table: string, key: readonly string[]): Promise<Value[] | null>;
  conversationChecks(): Promise<ConversationCheck[]>;
  migrationNames(): Promise<string[]>;
  analyze(tables: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** The URL with its password hidden, for messages. */
export function shownUrl(url: URL): string {
  const u = new URL(url.toString());
  if (u.password) u.password = '***';
  return u.toString();
}
