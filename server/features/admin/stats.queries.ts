import { sql } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { Db } from '../../db/database.js';

const n = (v: unknown): number => Number(v ?? 0);

/** All accounts, the active ones, and the active server admins. */
export async function countUsers(db: Db) {
  const r = await db
    .selectFrom('users')
    .select([
      sql<number>`count(*)`.as('total'),
      sql<number>`coalesce(sum(case when is_active = 1 then 1 else 0 end), 0)`.as('active'),
      sql<number>`coalesce(sum(case when is_active = 1 and is_admin = 1 then 1 else 0 end), 0)`.as(
        'admins',
      ),
    ])
    .executeTakeFirstOrThrow();
  return { total: n(r.total), active: n(r.active), admins: n(r.admins) };
}

export async function countConversations(db: Db) {
  const rows = await db
    .selectFrom('conversations')
    .select(['kind', sql<number>`count(*)`.as('count')])
    .groupBy('kind')
    .execute();
  const of = (kind: string) => n(rows.find((r) => r.kind === kind)?.count);
  return { direct: of('direct'), groups: of('group') };
}

export async function countMessages(db: Db): Promise<number> {
  const r = await db
    .selectFrom('messages')
    .select(sql<number>`count(*)`.as('count'))
    .executeTakeFirstOrThrow();
  return n(r.count);
}

/** Stored files and the sum of their recorded sizes. */
export async function fileTotals(db: Db) {
  const r = await db
    .selectFrom('files')
    .select([sql<number>`count(*)`.as('count'), sql<number>`coalesce(sum(size), 0)`.as('bytes')])
    .executeTakeFirstOrThrow();
  return { count: n(r.count), sizeBytes: n(r.bytes) };
}

/**
 * The database's size as it reports it: SQLite's pages (the main file, without its WAL),
 * PostgreSQL's pg_database_size, MariaDB's data and index lengths of this schema's tables.
 */
export async function databaseSize(db: Db, kind: DatabaseKind): Promise<number> {
  const query =
    kind === 'sqlite'
      ? sql<{
          size: number;
        }>`select page_count * page_size as size from pragma_page_count(), pragma_page_size()`
      : kind === 'postgres'
        ? sql<{ size: number }>`select pg_database_size(current_database()) as size`
        : sql<{
            size: number;
          }>`select coalesce(sum(data_length + index_length), 0) as size from information_schema.tables where table_schema = database()`;
  const { rows } = await query.execute(db);
  return n(rows[0]?.size);
}
