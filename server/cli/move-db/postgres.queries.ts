import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import type { ConversationCheck, Value } from './source.queries.js';
import { BOOKKEEPING_TABLE, type Deferred, type Target, type TableWriter } from './target.js';

// BIGINT counts and ids fit in a double; read them as numbers (as server/db/database.ts does).
pg.types.setTypeParser(20, (v) => Number(v));

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/** A value as COPY's text format writes it. */
function copyText(v: Value): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') {
    return COPY_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : v;
  }
  return `\\\\x${v.toString('hex')}`;
}

/** Folded words as a tsvector literal: each quoted, as `array_to_tsvector` would take them. */
function tsvectorText(words: readonly string[]): string {
  let out = '';
  for (const w of words) {
    const lexeme = /['\\]/.test(w) ? w.replace(/\\/g, '\\\\').replace(/'/g, "''") : w;
    out += out === '' ? `'${lexeme}'` : ` '${lexeme}'`;
  }
  return copyText(out);
}

/** Rows are handed to the COPY stream in pieces of about this many characters. */
const CHUNK = 64 * 1024;
/** Formatted rows held while a transaction waits for the previous one: past this, wait. */
const MAX_PENDING = 2 * 1024 * 1024;

/** One transaction of a CopyWriter: its COPY stream once started, and what waits for it. */
interface CopyTx {
  /** Resolves once `begin` and the COPY started (the chunks held meanwhile are written). */
  ready: Promise<void>;
  stream: CopyStreamQuery | null;
  pending: string[];
  pendingLength: number;
  entries: string[];
}

/**
 * One table's rows through `COPY … FROM STDIN`, a transaction per commit: `begin`, the table's
 * COPY (streamed while the rows are read, so PostgreSQL works while SQLite is read), the search
 * index's COPY, the progress row, `commit`. The statements run one after another on the one
 * connection, each started when the previous one is done, while the caller already reads the
 * next transaction's rows (held until its COPY starts, a bounded amount).
 */
class CopyWriter implements TableWriter {
  private chain: Promise<void> = Promise.resolve();
  private tx: CopyTx | null = null;
  private chunk = '';
  private waiting: Promise<void> | null = null;
  private readonly idAt: number;
  private readonly copy: string;

  constructor(
    private readonly client: pg.Client,
    table: string,
    columns: readonly string[],
    private readonly search: boolean,
  ) {
    this.idAt = columns.indexOf('id');
    this.copy = `copy ${q(table)} (${columns.map(q).join(', ')}) from stdin`;
  }

  add(row: Value[], words: string[] | null): void {
    const tx = this.tx ?? this.begin();
    let line = '';
    for (let j = 0; j < row.length; j++) line += (j === 0 ? '' : '\t') + copyText(row[j]!);
    this.chunk += line + '\n';
    if (this.search && words)
      tx.entries.push(`${String(row[this.idAt])}\t${tsvectorText(words)}\n`);
    if (this.chunk.length >= CHUNK) this.send(tx);
  }

  backlog(): Promise<void> | null {
    const w = this.waiting;
    this.waiting = null;
    return w;
  }

  commit(progress: { name: string; value: string }): Promise<void> {
    const tx = this.tx;
    this.tx = null;
    if (tx) this.send(tx);
    this.waiting = null;
    const done = (tx ? tx.ready : this.chain).then(async () => {
      if (tx?.stream) {
        tx.stream.end();
        await finished(tx.stream);
        if (tx.entries.length) {
          const s = this.client.query(
            copyFrom('copy message_search (message_id, vector) from stdin'),
          );
          s.on('error', () => {});
          s.end(tx.entries.join(''));
          await finished(s);
        }
      }
      await this.client.query(
        `insert into ${BOOKKEEPING_TABLE} (name, value) values ($1, $2)
         on conflict (name) do update set value = excluded.value`,
        [progress.name, progress.value],
      );
      if (tx) await this.client.query('commit');
    });
    this.chain = done;
    done.catch(() => {});
    return done;
  }

  /** Starts a transaction once the previous statements are done. */
  private begin(): CopyTx {
    const tx: CopyTx = {
      ready: Promise.resolve(),
      stream: null,
      pending: [],
      pendingLength: 0,
      entries: [],
    };
    tx.ready = this.chain.then(async () => {
      await this.client.query('begin');
      const stream = this.client.query(copyFrom(this.copy, { highWaterMark: 1024 * 1024 }));
      stream.on('error', () => {});
      for (const c of tx.pending) stream.write(c);
      tx.pending = [];
      tx.stream = stream;
    });
    tx.ready.catch(() => {});
    this.chain = tx.ready;
    this.tx = tx;
    return tx;
  }

  /** Hands the rows formatted so far to the transaction; past its buffers, the caller waits. */
  private send(tx: CopyTx): void {
    if (this.chunk === '') return;
    const chunk = this.chunk;
    this.chunk = '';
    const stream = tx.stream;
    if (!stream) {
      tx.pending.push(chunk);
      tx.pendingLength += chunk.length;
      if (tx.pendingLength >= MAX_PENDING) this.waiting = tx.ready;
      return;
    }
    if (!stream.write(chunk)) {
      this.waiting = new Promise((resolve, reject) => {
        const done = (err?: Error) => {
          stream.off('drain', ok);
          stream.off('error', done);
          if (err) reject(err);
          else resolve();
        };
        const ok = () => done();
        stream.once('drain', ok);
        stream.once('error', done);
      });
    }
  }
}

/**
 * PostgreSQL through one connection. A batch is one statement (its rows passed as one array
 * per column to `unnest`, the search entries and the progress row in data-modifying CTEs), so
 * it commits atomically and needs no round trips of its own; commits are asynchronous
 * (`synchronous_commit = off`): a crash of PostgreSQL may lose the last batches, but always
 * with their progress row, so a re-run copies them again.
 */
export class PostgresTarget implements Target {
  readonly kind = 'postgres';
  private types = new Map<string, Map<string, string>>();

  private constructor(
    private readonly client: pg.Client,
    private readonly url: string,
  ) {}

  static async connect(url: string): Promise<PostgresTarget> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    await client.connect();
    await client.query(
      "set synchronous_commit = off; set maintenance_work_mem = '256MB'; set statement_timeout = 0",
    );
    return new PostgresTarget(client, url);
  }

  async tables(): Promise<string[]> {
    const r = await this.client.query<{ name: string }>(
      'select table_name as name from information_schema.tables where table_schema = current_schema() order by 1',
    );
    return r.rows.map((x) => x.name);
  }

  async hasRows(table: string): Promise<boolean> {
    const r = await this.client.query(`select 1 from ${q(table)} limit 1`);
    return r.rows.length > 0;
  }

  async lock(): Promise<boolean> {
    const r = await this.client.query<{ ok: boolean }>(
      "select pg_try_advisory_lock(hashtext('parley move-db')) as ok",
    );
    return r.rows[0]?.ok === true;
  }

  async createBookkeeping(): Promise<void> {
    await this.client.query(
      `create table if not exists ${BOOKKEEPING_TABLE} (name varchar(128) primary key, value text not null)`,
    );
  }

  async readBookkeeping(): Promise<Map<string, string>> {
    const r = await this.client.query<{ name: string; value: string }>(
      `select name, value from ${BOOKKEEPING_TABLE}`,
    );
    return new Map(r.rows.map((x) => [x.name, x.value]));
  }

  async putBookkeeping(name: string, value: string): Promise<void> {
    await this.client.query(
      `insert into ${BOOKKEEPING_TABLE} (name, value) values ($1, $2)
       on conflict (name) do update set value = excluded.value`,
      [name, value],
    );
  }

  async deleteBookkeeping(name: string): Promise<void> {
    await this.client.query(`delete from ${BOOKKEEPING_TABLE} where name = $1`, [name]);
  }

  async columns(table: string): Promise<Map<string, string>> {
    const r = await this.client.query<{ name: string; type: string }>(
      `select column_name as name, udt_name as type from information_schema.columns
       where table_schema = current_schema() and table_name = $1`,
      [table],
    );
    const m = new Map(r.rows.map((x) => [x.name, x.type]));
    this.types.set(table, m);
    return m;
  }

  async deferrable(tables: readonly string[]): Promise<Deferred[]> {
    // Indexes that are not a primary key's or a unique constraint's (those stay: the copy's
    // keyset and the referenced keys rely on them).
    const indexes = await this.client.query<{ tbl: string; name: string; def: string }>(
      `select t.relname as tbl, i.relname as name, pg_get_indexdef(x.indexrelid) as def
       from pg_index x
       join pg_class i on i.oid = x.indexrelid
       join pg_class t on t.oid = x.indrelid
       join pg_namespace n on n.oid = t.relnamespace
       where n.nspname = current_schema() and t.relname = any($1)
         and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid and k.contype in ('p', 'u', 'x'))
       order by 1, 2`,
      [tables],
    );
    const fks = await this.client.query<{ tbl: string; name: string; def: string }>(
      `select t.relname as tbl, k.conname as name, pg_get_constraintdef(k.oid) as def
       from pg_constraint k
       join pg_class t on t.oid = k.conrelid
       join pg_namespace n on n.oid = t.relnamespace
       where k.contype = 'f' and n.nspname = current_schema() and t.relname = any($1)
       order by 1, 2`,
      [tables],
    );
    return [
      ...indexes.rows.map((r): Deferred => ({
        kind: 'index',
        table: r.tbl,
        name: r.name,
        create: r.def,
      })),
      ...fks.rows.map((r): Deferred => ({
        kind: 'foreign key',
        table: r.tbl,
        name: r.name,
        create: `alter table ${q(r.tbl)} add constraint ${q(r.name)} ${r.def}`,
      })),
    ];
  }

  async exists(d: Deferred): Promise<boolean> {
    const r =
      d.kind === 'index'
        ? await this.client.query(
            `select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = current_schema() and c.relname = $1`,
            [d.name],
          )
        : await this.client.query(
            `select 1 from pg_constraint k join pg_class t on t.oid = k.conrelid
             join pg_namespace n on n.oid = t.relnamespace
             where n.nspname = current_schema() and t.relname = $1 and k.conname = $2`,
            [d.table, d.name],
          );
    return r.rows.length > 0;
  }

  async drop(d: Deferred): Promise<void> {
    await this.client.query(
      d.kind === 'index'
        ? `drop index if exists ${q(d.name)}`
        : `alter table ${q(d.table)} drop constraint if exists ${q(d.name)}`,
    );
  }

  async create(d: Deferred): Promise<void> {
    await this.client.query(d.create);
  }

  async fork(): Promise<Target> {
    return PostgresTarget.connect(this.url);
  }

  writer(table: string, columns: readonly string[], search: boolean): TableWriter {
    return new CopyWriter(this.client, table, columns, search);
  }

  async setNextId(table: string, column: string, last: number): Promise<boolean> {
    const r = await this.client.query<{ seq: string | null }>(
      'select pg_get_serial_sequence($1, $2) as seq',
      [q(table), column],
    );
    const seq = r.rows[0]?.seq;
    if (!seq) return false;
    if (last > 0) await this.client.query('select setval($1, $2, true)', [seq, last]);
    else await this.client.query('select setval($1, 1, false)', [seq]);
    return true;
  }

  async count(table: string): Promise<number> {
    const r = await this.client.query<{ n: number }>(`select count(*) as n from ${q(table)}`);
    return Number(r.rows[0]?.n ?? 0);
  }

  async lastKey(table: string, key: readonly string[]): Promise<Value[] | null> {
    const r = await this.client.query<Value[]>({
      text: `select ${key.map(q).join(', ')} from ${q(table)} order by ${key
        .map((k) => `${q(k)} desc`)
        .join(', ')} limit 1`,
      rowMode: 'array',
    });
    return r.rows[0] ?? null;
  }

  async conversationChecks(): Promise<ConversationCheck[]> {
    const r = await this.client.query<ConversationCheck>(
      `select c.id as "id", c.last_seq as "lastSeq", c.last_version as "lastVersion",
        coalesce((select max(seq) from messages m where m.conversation_id = c.id), 0) as "maxSeq",
        coalesce((select max(version) from messages m where m.conversation_id = c.id), 0) as "maxVersion"
       from conversations c order by c.id`,
    );
    return r.rows;
  }

  async migrationNames(): Promise<string[]> {
    const r = await this.client.query<{ name: string }>(
      'select name from kysely_migration order by name',
    );
    return r.rows.map((x) => x.name);
  }

  async analyze(tables: readonly string[]): Promise<void> {
    if (tables.length) await this.client.query(`analyze ${tables.map(q).join(', ')}`);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
