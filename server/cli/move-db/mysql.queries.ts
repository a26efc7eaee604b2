import { createConnection, format, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { ConversationCheck, Value } from './source.queries.js';
import { BOOKKEEPING_TABLE, type Deferred, type Target, type TableWriter } from './target.js';

const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * MariaDB/MySQL through one connection. A transaction is one round trip: `begin`, the
 * multi-row inserts, the progress row and `commit` sent as one text (values escaped by mysql2),
 * so it commits atomically; a failing statement stops the rest, and the open transaction is
 * rolled back when the connection closes.
 */
export class MysqlTarget implements Target {
  readonly kind = 'mysql';

  private constructor(
    private readonly conn: Connection,
    private readonly url: URL,
  ) {}

  static async connect(url: URL): Promise<MysqlTarget> {
    const u = new URL(url.toString());
    u.protocol = 'mysql:';
    const conn = await createConnection({
      uri: u.toString(),
      charset: 'utf8mb4',
      connectTimeout: 5000,
      supportBigNumbers: true,
      timezone: 'Z',
      multipleStatements: true,
    });
    conn.on('error', () => {});
    // Foreign keys are checked once, when they are created again after the copy; FULLTEXT
    // indexes are built without stop words, as the search migration builds them.
    await conn.query('set session foreign_key_checks = 0, innodb_ft_enable_stopword = 0');
    const [rows] = await conn.query<RowDataPacket[]>('select database() as db');
    if (!rows[0]?.db) {
      await conn.end();
      throw new Error('the URL names no database (mysql://user@host:3306/<database>)');
    }
    return new MysqlTarget(conn, url);
  }

  private async rows<T>(sql: string, values: unknown[] = []): Promise<T[]> {
    const [rows] = await this.conn.query<RowDataPacket[]>(sql, values);
    return rows as T[];
  }

  async tables(): Promise<string[]> {
    const rows = await this.rows<{ name: string }>(
      'select table_name as name from information_schema.tables where table_schema = database() order by 1',
    );
    return rows.map((r) => r.name);
  }

  async hasRows(table: string): Promise<boolean> {
    return (await this.rows(`select 1 from ${q(table)} limit 1`)).length > 0;
  }

  async lock(): Promise<boolean> {
    const rows = await this.rows<{ ok: number | null }>(
      "select get_lock(concat(database(), '/parley move-db'), 0) as ok",
    );
    return rows[0]?.ok === 1;
  }

  async createBookkeeping(): Promise<void> {
    await this.conn.query(
      `create table if not exists ${BOOKKEEPING_TABLE} (name varchar(128) primary key, value longtext not null)
       engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`,
    );
  }

  async readBookkeeping(): Promise<Map<string, string>> {
    const rows = await this.rows<{ name: string; value: string }>(
      `select name, value from ${BOOKKEEPING_TABLE}`,
    );
    return new Map(rows.map((r) => [r.name, r.value]));
  }

  async putBookkeeping(name: string, value: string): Promise<void> {
    await this.conn.query(upsert(name, value));
  }

  async deleteBookkeeping(name: string): Promise<void> {
    await this.conn.query(`delete from ${BOOKKEEPING_TABLE} where name = ?`, [name]);
  }

  async columns(table: string): Promise<Map<string, string>> {
    const rows = await this.rows<{ name: string; type: string }>(
      `select column_name as name, data_type as type from information_schema.columns
       where table_schema = database() and table_name = ?`,
      [table],
    );
    return new Map(rows.map((r) => [r.name, r.type]));
  }

  async deferrable(tables: readonly string[]): Promise<Deferred[]> {
    if (tables.length === 0) return [];
    const idx = await this.rows<{
      tbl: string;
      name: string;
      nonUnique: number;
      type: string;
      col: string;
      part: number | null;
    }>(
      `select table_name as tbl, index_name as name, non_unique as nonUnique, index_type as type,
         column_name as col, sub_part as part
       from information_schema.statistics
       where table_schema = database() and table_name in (?) and index_name <> 'PRIMARY'
       order by table_name, index_name, seq_in_index`,
      [tables],
    );
    const fk = await this.rows<{
      tbl: string;
      name: string;
      col: string;
      refTable: string;
      refCol: string;
      onDelete: string;
      onUpdate: string;
    }>(
      `select k.table_name as tbl, k.constraint_name as name, k.column_name as col,
         k.referenced_table_name as refTable, k.referenced_column_name as refCol,
         r.delete_rule as onDelete, r.update_rule as onUpdate
       from information_schema.key_column_usage k
       join information_schema.referential_constraints r
         on r.constraint_schema = k.constraint_schema and r.constraint_name = k.constraint_name
        and r.table_name = k.table_name
       where k.table_schema = database() and k.table_name in (?) and k.referenced_table_name is not null
       order by k.table_name, k.constraint_name, k.ordinal_position`,
      [tables],
    );
    const out: Deferred[] = [];
    for (const [key, cols] of groupBy(idx, (r) => `${r.tbl}\u0000${r.name}`)) {
      const [tbl = '', name = ''] = key.split('\u0000');
      const first = cols[0]!;
      const kind =
        first.type === 'FULLTEXT' ? 'fulltext ' : Number(first.nonUnique) === 0 ? 'unique ' : '';
      const list = cols.map((c) => (c.part ? `${q(c.col)}(${c.part})` : q(c.col))).join(', ');
      // A FULLTEXT index added in place to a table that had one before comes out empty
      // (MariaDB 10.11): it is built with the table copied instead.
      const copy = first.type === 'FULLTEXT' ? ', algorithm=copy' : '';
      out.push({
        kind: 'index',
        table: tbl,
        name,
        create: `alter table ${q(tbl)} add ${kind}index ${q(name)} (${list})${copy}`,
      });
    }
    for (const [key, cols] of groupBy(fk, (r) => `${r.tbl}\u0000${r.name}`)) {
      const [tbl = '', name = ''] = key.split('\u0000');
      const first = cols[0]!;
      out.push({
        kind: 'foreign key',
        table: tbl,
        name,
        create: `alter table ${q(tbl)} add constraint ${q(name)} foreign key (${cols
          .map((c) => q(c.col))
          .join(', ')}) references ${q(first.refTable)} (${cols
          .map((c) => q(c.refCol))
          .join(', ')}) on delete ${first.onDelete} on update ${first.onUpdate}`,
      });
    }
    return out;
  }

  async exists(d: Deferred): Promise<boolean> {
    const rows =
      d.kind === 'index'
        ? await this.rows(
            `select 1 from information_schema.statistics
             where table_schema = database() and table_name = ? and index_name = ? limit 1`,
            [d.table, d.name],
          )
        : await this.rows(
            `select 1 from information_schema.table_constraints
             where table_schema = database() and table_name = ? and constraint_name = ?
               and constraint_type = 'FOREIGN KEY'`,
            [d.table, d.name],
          );
    return rows.length > 0;
  }

  async drop(d: Deferred): Promise<void> {
    if (!(await this.exists(d))) return;
    await this.conn.query(
      d.kind === 'index'
        ? `alter table ${q(d.table)} drop index ${q(d.name)}`
        : `alter table ${q(d.table)} drop foreign key ${q(d.name)}`,
    );
  }

  async create(d: Deferred): Promise<void> {
    await this.conn.query(d.create);
  }

  async fork(): Promise<Target> {
    return MysqlTarget.connect(this.url);
  }

  writer(table: string, columns: readonly string[], search: boolean): TableWriter {
    const idAt = columns.indexOf('id');
    const insert = `insert into ${q(table)} (${columns.map(q).join(', ')}) values ?`;
    let rows: Value[][] = [];
    let entries: Array<[number, string]> = [];
    return {
      add: (row, words) => {
        rows.push(row);
        if (search && words) entries.push([Number(row[idAt]), words.join(' ')]);
      },
      backlog: () => null,
      commit: (progress) => {
        const parts = ['begin'];
        if (rows.length) parts.push(format(insert, [rows]));
        if (entries.length) {
          parts.push(format('insert into message_search (message_id, words) values ?', [entries]));
        }
        parts.push(upsert(progress.name, progress.value), 'commit');
        rows = [];
        entries = [];
        return this.conn.query(parts.join(';\n')).then(() => undefined);
      },
    };
  }

  async setNextId(table: string, column: string, last: number): Promise<boolean> {
    const rows = await this.rows<{ extra: string }>(
      `select extra from information_schema.columns
       where table_schema = database() and table_name = ? and column_name = ?`,
      [table, column],
    );
    if (!/auto_increment/i.test(rows[0]?.extra ?? '')) return false;
    await this.conn.query(`alter table ${q(table)} auto_increment = ${Math.floor(last) + 1}`);
    return true;
  }

  async count(table: string): Promise<number> {
    const rows = await this.rows<{ n: number }>(`select count(*) as n from ${q(table)}`);
    return Number(rows[0]?.n ?? 0);
  }

  async lastKey(table: string, key: readonly string[]): Promise<Value[] | null> {
    const [rows] = await this.conn.query<RowDataPacket[]>({
      sql: `select ${key.map(q).join(', ')} from ${q(table)} order by ${key
        .map((k) => `${q(k)} desc`)
        .join(', ')} limit 1`,
      rowsAsArray: true,
    });
    return (rows[0] as unknown as Value[] | undefined) ?? null;
  }

  async conversationChecks(): Promise<ConversationCheck[]> {
    const rows = await this.rows<ConversationCheck>(
      `select c.id as id, c.last_seq as lastSeq, c.last_version as lastVersion,
        coalesce((select max(seq) from messages m where m.conversation_id = c.id), 0) as maxSeq,
        coalesce((select max(version) from messages m where m.conversation_id = c.id), 0) as maxVersion
       from conversations c order by c.id`,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      lastSeq: Number(r.lastSeq),
      lastVersion: Number(r.lastVersion),
      maxSeq: Number(r.maxSeq),
      maxVersion: Number(r.maxVersion),
    }));
  }

  async migrationNames(): Promise<string[]> {
    const rows = await this.rows<{ name: string }>(
      'select name from kysely_migration order by name',
    );
    return rows.map((r) => r.name);
  }

  async analyze(tables: readonly string[]): Promise<void> {
    if (tables.length) await this.conn.query(`analyze table ${tables.map(q).join(', ')}`);
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => {});
  }
}

function upsert(name: string, value: string): string {
  return format(
    `insert into ${BOOKKEEPING_TABLE} (name, value) values (?, ?) on duplicate key update value = values(value)`,
    [name, value],
  );
}

function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}
