import type SQLite from 'better-sqlite3';
import { prepared } from '../../db/prepared.js';
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import { escapeLike, type Db } from '../../db/database.js';
import type { UsersTable } from '../../db/schema.js';

export type UserRow = Selectable<UsersTable>;

export const usernameKey = (username: string) => username.toLowerCase();
export const emailKey = (email: string) => email.toLowerCase();

export async function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Finds a user by username or email, ignoring case. */
export async function findUserByLogin(db: Db, login: string): Promise<UserRow | undefined> {
  const key = login.toLowerCase();
  return db
    .selectFrom('users')
    .selectAll()
    .where(key.includes('@') ? 'email_key' : 'username_key', '=', key)
    .executeTakeFirst();
}

/** Which of a username and an email are already taken (by someone other than `exceptId`). */
export async function takenFields(
  db: Db,
  fields: { username?: string; email?: string },
  exceptId?: number,
): Promise<Array<'username' | 'email'>> {
  const out: Array<'username' | 'email'> = [];
  if (fields.username !== undefined) {
    let q = db
      .selectFrom('users')
      .select('id')
      .where('username_key', '=', usernameKey(fields.username));
    if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) out.push('username');
  }
  if (fields.email !== undefined) {
    let q = db.selectFrom('users').select('id').where('email_key', '=', emailKey(fields.email));
    if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) out.push('email');
  }
  return out;
}

export async function insertUser(db: Db, row: Insertable<UsersTable>): Promise<number> {
  const result = await db.insertInto('users').values(row).executeTakeFirst();
  if (result.insertId !== undefined) return Number(result.insertId);
  const back = await db
    .selectFrom('users')
    .select('id')
    .where('username_key', '=', row.username_key)
    .executeTakeFirstOrThrow();
  return back.id;
}

export async function updateUser(db: Db, id: number, patch: Updateable<UsersTable>): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await db.updateTable('users').set(patch).where('id', '=', id).execute();
}

/** Records when a user was last seen, on SQLite inside a group commit. */
export function setLastSeenSqlite(sqlite: SQLite.Database, userId: number, now: number): void {
  prepared(sqlite, 'update users set last_seen_at = ? where id = ?').run(now, userId);
}

export async function lowestUserId(db: Db): Promise<number | undefined> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.min('id').as('id'))
    .executeTakeFirst();
  return r?.id === null || r?.id === undefined ? undefined : Number(r.id);
}

/** Active users whose username or display name contains the query, shortest match first. */
export async function searchUsers(db: Db, query: string, limit: number): Promise<UserRow[]> {
  let q = db.selectFrom('users').selectAll().where('is_active', '=', 1);
  const needle = query.trim().toLowerCase();
  if (needle !== '') {
    const pattern = `%${escapeLike(needle)}%`;
    q = q.where(
      sql<boolean>`(username_key like ${pattern} escape '!' or lower(display_name) like ${pattern} escape '!')`,
    );
  }
  return q.orderBy('username_key').limit(limit).execute();
}

/** Which of the given user ids belong to active accounts. */
export async function activeUserIds(db: Db, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('id', 'in', ids)
    .where('is_active', '=', 1)
    .execute();
  return new Set(rows.map((r) => r.id));
}
