import path from 'node:path';
import { indexWords } from '../../../protocol/search.js';
import { openDatabase } from '../../db/database.js';
import { migrateToLatest } from '../../db/migrate.js';
import { migrations as codeMigrations } from '../../db/migrations/index.js';
import { UsageError } from '../command.js';
import { MysqlTarget } from './mysql.queries.js';
import { PostgresTarget } from './postgres.queries.js';
import { n, TableProgress, took } from './progress.js';
import { Source, type SourceTable, type Value } from './source.queries.js';
import { BOOKKEEPING_TABLE, shownUrl, type Deferred, type Target } from './target.js';

export interface MoveOptions {
  dataDir: string;
  /** A postgres:, postgresql:, mysql: or mariadb: URL (checked by the caller). */
  url: URL;
  /** Rows per batch (one transaction each). */
  batchRows: number;
  /** Progress lines (stderr). */
  say: (line: string) => void;
}

/** What a finished move reports (kept on the target, so a re-run can repeat it). */
export interface MoveReport {
  /** True when an earlier run had already finished this move. */
  already: boolean;
  /** True when this run continued an interrupted one. */
  resumed: boolean;
  source: string;
  target: string;
  kind: 'postgres' | 'mysql';
  tables: Array<{ name: string; rows: number }>;
  /** Entries of the search index built on the target, and those SQLite's index held. */
  searchRows: number;
  sourceSearchRows: number | null;
  conversations: number;
  migrations: number;
  /** Wall time of the run that finished the move. */
  seconds: number;
  finishedAt: string;
}

interface SourceRecord {
  identity: string;
  fingerprint: string;
  file: string;
  startedAt: string;
}

interface TableRecord {
  /** The key of the last row copied (null before the first batch). */
  after: Value[] | null;
  rows: number;
  /** Search index entries written with the rows (messages only). */
  search: number;
  done: boolean;
}

interface DeferredRecord {
  /** `copy`: dropped (or being dropped) for the copy; `restore`: being created again. */
  phase: 'copy' | 'restore';
  items: Deferred[];
}

/**
 * Tables with at least this many rows have their secondary indexes and foreign keys set aside
 * during the copy; for smaller ones dropping and building them again costs more than it saves.
 */
const DEFER_MIN_ROWS = 10_000;

/** A batch is also cut at this many bytes of text, so wide rows stay bounded in memory. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

const parse = <T>(text: string | undefined): T | null =>
  text === undefined ? null : (JSON.parse(text) as T);

/**
 * Moves the SQLite database of `dataDir` to an empty PostgreSQL or MariaDB database: migrates
 * the target, copies every table in key order (resumable), rebuilds the search index, sets the
 * id sequences past the copied ids, and verifies the result.
 */
export async function moveDatabase(o: MoveOptions): Promise<MoveReport> {
  const started = Date.now();
  const file = path.join(o.dataDir, 'parley.db');
  const source = Source.open(file);
  try {
    checkSourceMigrations(source);
    const tables = source.tables();
    const identity = source.identity();
    const state = source.state(tables);
    const target = await connect(o.url);
    try {
      return await run({ o, file, source, tables, identity, state, target, started });
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}

async function connect(url: URL): Promise<Target> {
  try {
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:'
      ? await PostgresTarget.connect(url.toString())
      : await MysqlTarget.connect(url);
  } catch (err) {
    throw new UsageError(`cannot connect to ${shownUrl(url)}: ${describe(err)}`);
  }
}

/** An error's message; a failed connection to several addresses has none of its own. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.message) return err.message;
  const inner = (err as Partial<AggregateError>).errors?.[0] as Error | undefined;
  return inner?.message || (err as { code?: string }).code || err.name;
}

function checkSourceMigrations(source: Source): void {
  const applied = source.migrations().map((m) => m.name);
  const known = Object.keys(codeMigrations).sort();
  if (applied.length === 0) {
    throw new UsageError(`${source.file} is not a Parley database (it has no migrations)`);
  }
  const unknown = applied.filter((m) => !known.includes(m));
  if (unknown.length) {
    throw new UsageError(
      `${source.file} was migrated by a newer Parley (${unknown.join(', ')}): run that version's move-db`,
    );
  }
  const missing = known.filter((m) => !applied.includes(m));
  if (missing.length) {
    throw new UsageError(
      `${source.file} lacks migrations ${missing.join(', ')}: start this version of Parley on it once (it migrates at start-up), stop it, then run move-db`,
    );
  }
}

interface Run {
  o: MoveOptions;
  file: string;
  source: Source;
  tables: SourceTable[];
  identity: string;
  state: ReturnType<Source['state']>;
  target: Target;
  started: number;
}

async function run(r: Run): Promise<MoveReport> {
  const { o, file, source, tables, target } = r;
  const shown = shownUrl(o.url);
  const say = o.say;
  if (!(await target.lock())) {
    throw new UsageError(`another parley move-db is writing to ${shown}`);
  }
  const claimed = await claim(r, shown);
  if (typeof claimed === 'object') return claimed;
  const resumed = claimed;
  say(`${resumed ? 'resuming the move of' : 'moving'} ${file} to ${shown}`);

  const m0 = Date.now();
  const applied = await migrateTarget(o.url, target.kind, o.dataDir);
  say(
    `  schema: ${applied.length ? `${applied.length} migrations applied` : 'up to date'} (${took(m0)})`,
  );
  const sourceMigrations = source.migrations().map((m) => m.name);
  const targetMigrations = await target.migrationNames();
  if (sourceMigrations.join() !== targetMigrations.join()) {
    throw new Error(
      `the target's migrations (${targetMigrations.join(', ')}) are not the source's (${sourceMigrations.join(', ')})`,
    );
  }
  const present = await target.tables();
  for (const t of tables) {
    const cols = await target.columns(t.name);
    const missing = t.columns.filter((c) => !cols.has(c));
    if (cols.size === 0 || missing.length) {
      throw new Error(
        `the target's table ${t.name} lacks ${cols.size === 0 ? 'everything' : missing.join(', ')}`,
      );
    }
  }
  const search = present.includes('message_search');

  let book = await target.readBookkeeping();
  const record = (t: SourceTable) => parse<TableRecord>(book.get(`table:${t.name}`));
  let deferred = parse<DeferredRecord>(book.get('deferred'));
  if (!deferred && !tables.every((t) => record(t)?.done)) {
    const big = (name: string) => (r.state.counts[name] ?? 0) >= DEFER_MIN_ROWS;
    const names = [
      ...tables.filter((t) => big(t.name)).map((t) => t.name),
      ...(search && big('messages') ? ['message_search'] : []),
    ];
    deferred = { phase: 'copy', items: await target.deferrable(names) };
    await target.putBookkeeping('deferred', JSON.stringify(deferred));
  }
  if (deferred?.phase === 'copy' && deferred.items.length > 0) {
    const d0 = Date.now();
    for (const d of inOrder(deferred.items, 'drop')) await target.drop(d);
    say(
      `  ${deferred.items.length} secondary indexes and foreign keys set aside until the rows are in (${took(d0)})`,
    );
  }

  for (const t of tables) {
    await copyTable(r, t, record(t), search && t.name === 'messages');
  }
  book = await target.readBookkeeping();

  if (deferred) {
    deferred.phase = 'restore';
    await target.putBookkeeping('deferred', JSON.stringify(deferred));
    await restore(r, deferred.items);
    await target.deleteBookkeeping('deferred');
  }

  const sequences = source.sequences();
  for (const t of tables) {
    if (t.key.length !== 1) continue;
    const last = source.lastKey(t)?.[0] ?? 0;
    if (typeof last !== 'number') continue;
    await target.setNextId(t.name, t.key[0]!, Math.max(last, sequences[t.name] ?? 0));
  }
  const a0 = Date.now();
  await target.analyze([...tables.map((t) => t.name), ...(search ? ['message_search'] : [])]);
  say(`  statistics gathered (${took(a0)})`);

  const v0 = Date.now();
  const messages = tables.find((t) => t.name === 'messages');
  const searchRows = messages ? (record(messages)?.search ?? 0) : 0;
  const conversations = await verify(r, search ? searchRows : null);
  say(`  verified (${took(v0)})`);

  const report: MoveReport = {
    already: false,
    resumed,
    source: file,
    target: shown,
    kind: target.kind,
    tables: tables.map((t) => ({ name: t.name, rows: r.state.counts[t.name] ?? 0 })),
    searchRows,
    sourceSearchRows: source.searchRows(),
    conversations,
    migrations: sourceMigrations.length,
    seconds: Math.round((Date.now() - r.started) / 100) / 10,
    finishedAt: new Date().toISOString(),
  };
  await target.putBookkeeping('finished', JSON.stringify(report));
  return report;
}

/**
 * Decides whether the target may receive this source: an empty database (or one holding
 * only Parley's empty tables) is claimed by writing the source's identity; a move of this same
 * source that was interrupted is resumed (true); one that finished is reported (its report).
 * Anything else is refused.
 */
async function claim(r: Run, shown: string): Promise<boolean | MoveReport> {
  const { target, tables, file, state } = r;
  const present = await target.tables();
  const book = present.includes(BOOKKEEPING_TABLE) ? await target.readBookkeeping() : null;
  // (Empty when a run stopped between creating the table and claiming it.)
  if (book && book.size > 0) {
    const src = parse<SourceRecord>(book.get('source'));
    if (!src || src.identity !== r.identity) {
      throw new UsageError(
        `${shown} is not empty: it holds a move of another SQLite database${src ? ` (${src.file}, started ${src.startedAt})` : ''}`,
      );
    }
    const finished = parse<MoveReport>(book.get('finished'));
    if (src.fingerprint !== state.fingerprint) {
      throw new UsageError(
        finished
          ? `${file} was moved to ${shown} at ${finished.finishedAt} but has changed since: to move it again, drop and create the target database anew`
          : `${file} has changed since the interrupted move to ${shown} began (did a server run on it?): drop and create the target database anew, then run move-db again`,
      );
    }
    return finished ? { ...finished, already: true, resumed: false } : true;
  }
  const parley = new Set([
    ...tables.map((t) => t.name),
    'message_search',
    'kysely_migration',
    'kysely_migration_lock',
  ]);
  const other = present.filter((t) => !parley.has(t) && t !== BOOKKEEPING_TABLE);
  if (other.length) {
    throw new UsageError(
      `${shown} is not empty: it holds tables that are not Parley's (${listOf(other)}); move to an empty database`,
    );
  }
  for (const t of present) {
    if (t.startsWith('kysely_') || t === BOOKKEEPING_TABLE) continue;
    if (await target.hasRows(t)) {
      throw new UsageError(
        `${shown} is not empty: its table ${t} holds rows; move to an empty database`,
      );
    }
  }
  await target.createBookkeeping();
  const record: SourceRecord = {
    identity: r.identity,
    fingerprint: state.fingerprint,
    file,
    startedAt: new Date().toISOString(),
  };
  await target.putBookkeeping('source', JSON.stringify(record));
  return false;
}

const listOf = (names: string[]) =>
  names.length > 5
    ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`
    : names.join(', ');

/** Foreign keys go before the indexes they may rest on, and come back after them. */
function inOrder(items: Deferred[], what: 'drop' | 'create'): Deferred[] {
  const fks = items.filter((d) => d.kind === 'foreign key');
  const indexes = items.filter((d) => d.kind === 'index');
  return what === 'drop' ? [...fks, ...indexes] : [...indexes, ...fks];
}

/**
 * Builds again what the copy set aside: the indexes on two connections at once, the largest
 * tables' first (the target's other core works meanwhile), then the foreign keys one by one.
 */
async function restore(r: Run, items: Deferred[]): Promise<void> {
  const { target, o } = r;
  const missing: Deferred[] = [];
  for (const d of inOrder(items, 'create')) if (!(await target.exists(d))) missing.push(d);
  const size = (d: Deferred) =>
    d.table === 'message_search' ? Number.MAX_SAFE_INTEGER : (r.state.counts[d.table] ?? 0);
  const queue = missing.filter((d) => d.kind === 'index').sort((a, b) => size(b) - size(a));
  const build = async (on: Target) => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const d0 = Date.now();
      await on.create(d);
      o.say(`  index ${d.name} on ${d.table} built (${took(d0)})`);
    }
  };
  const helper = queue.length > 1 ? await target.fork() : null;
  try {
    await Promise.all([build(target), ...(helper ? [build(helper)] : [])]);
  } finally {
    await helper?.close();
  }
  const f0 = Date.now();
  const fks = missing.filter((d) => d.kind === 'foreign key');
  for (const d of fks) await target.create(d);
  if (fks.length) o.say(`  ${fks.length} foreign keys in place (${took(f0)})`);
}

async function migrateTarget(
  url: URL,
  kind: 'postgres' | 'mysql',
  dataDir: string,
): Promise<string[]> {
  const handle = openDatabase({ kind, url: url.toString(), dataDir, poolSize: 1 });
  try {
    return await migrateToLatest(handle.db, kind);
  } finally {
    await handle.close();
  }
}

/** Copies one table from its recorded key on, in batches each committed with its progress. */
async function copyTable(
  r: Run,
  t: SourceTable,
  before: TableRecord | null,
  indexSearch: boolean,
): Promise<void> {
  const { o, source, target } = r;
  let rec: TableRecord = before ?? { after: null, rows: 0, search: 0, done: false };
  const total = r.state.counts[t.name] ?? 0;
  if (rec.done) {
    o.say(`  ${t.name}: ${n(rec.rows)} rows (copied before)`);
    return;
  }
  if (rec.after !== null) {
    o.say(
      `  ${t.name}: resuming after ${t.key.join(', ')} = ${rec.after.join(', ')} (${n(rec.rows)} rows copied before)`,
    );
  }
  const name = `table:${t.name}`;
  const keyAt = t.key.map((k) => t.columns.indexOf(k));
  const at = (c: string) => t.columns.indexOf(c);
  const [kindAt, deletedAt, bodyAt] = [at('kind'), at('deleted_at'), at('body')];
  const progress = new TableProgress(o.say, t.name, total, rec.rows);
  const writer = target.writer(t.name, t.columns, indexSearch);

  let rows = 0;
  let entries = 0;
  let bytes = 0;
  let last: Value[] | null = null;
  let pending: Promise<void> | null = null;
  let pendingRows = 0;
  const settle = async () => {
    if (!pending) return;
    await pending;
    progress.add(pendingRows);
    pending = null;
  };
  const commit = async () => {
    if (rows === 0 || !last) return;
    rec = {
      after: keyAt.map((i) => last![i]!),
      rows: rec.rows + rows,
      search: rec.search + entries,
      done: false,
    };
    // Sent now, awaited once the next transaction's rows are on their way.
    const committed = writer.commit({ name, value: JSON.stringify(rec) });
    committed.catch(() => {});
    await settle();
    pending = committed;
    pendingRows = rows;
    rows = entries = bytes = 0;
  };

  for (const row of source.rowsAfter(t, rec.after)) {
    let words: string[] | null = null;
    if (indexSearch && row[kindAt] === 'text' && row[deletedAt] === null) {
      words = indexWords(String(row[bodyAt]));
      if (words.length === 0) words = null;
      else entries++;
    }
    writer.add(row, words);
    last = row;
    rows++;
    for (const v of row) bytes += typeof v === 'string' ? v.length : 8;
    const backlog = writer.backlog();
    if (backlog) await backlog;
    if (rows >= o.batchRows || bytes >= MAX_BATCH_BYTES) await commit();
  }
  await commit();
  await settle();
  rec = { ...rec, done: true };
  await target.putBookkeeping(name, JSON.stringify(rec));
  progress.done();
}

/**
 * Checks the copy: each table has as many rows as in SQLite and the same highest key, the
 * search index one entry per indexed message, and every conversation's counters equal the
 * highest seq and version of its messages, with the same values on both sides. Answers the
 * number of conversations checked.
 */
async function verify(r: Run, searchRows: number | null): Promise<number> {
  const { source, target, tables, state } = r;
  const problems: string[] = [];
  for (const t of tables) {
    const want = state.counts[t.name] ?? 0;
    const got = await target.count(t.name);
    if (got !== want) problems.push(`${t.name} has ${n(got)} rows, SQLite ${n(want)}`);
    const a = JSON.stringify(source.lastKey(t));
    const b = JSON.stringify(await target.lastKey(t.name, t.key));
    if (a !== b) problems.push(`${t.name} ends at key ${b}, SQLite at ${a}`);
  }
  if (searchRows !== null) {
    const got = await target.count('message_search');
    if (got !== searchRows) {
      problems.push(`message_search has ${n(got)} entries, ${n(searchRows)} were written`);
    }
  }
  const mine = source.conversationChecks();
  const theirs = await target.conversationChecks();
  if (theirs.length !== mine.length) {
    problems.push(`${n(theirs.length)} conversations on the target, ${n(mine.length)} in SQLite`);
  }
  mine.forEach((c, i) => {
    const o = theirs[i];
    if (c.lastSeq !== c.maxSeq || c.lastVersion !== c.maxVersion) {
      problems.push(
        `conversation ${c.id} has last_seq ${c.lastSeq} (highest seq ${c.maxSeq}) and last_version ${c.lastVersion} (highest version ${c.maxVersion}) in SQLite`,
      );
    }
    if (!o || JSON.stringify(o) !== JSON.stringify(c)) {
      problems.push(
        `conversation ${c.id}: SQLite ${JSON.stringify(c)}, target ${JSON.stringify(o ?? null)}`,
      );
    }
  });
  if (problems.length) {
    throw new Error(
      `verification failed: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
    );
  }
  return mine.length;
}
