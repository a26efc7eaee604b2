import { sql, type Selectable } from 'kysely';
import { escapeLike, type Db } from '../../db/database.js';
import type { UsersTable } from '../../db/schema.js';

export type AdminUserRow = Selectable<UsersTable> & { session_count: number };

export interface AdminUsersFilter {
  /** Lower-cased part of a username, display name or email; '' for everyone. */
  needle: string;
  /** The username key the previous page ended with. */
  after: string | undefined;
  limit: number;
  now: number;
  idleMs: number;
}

/**
 * Users whose username, display name or email contains the needle, by username (a keyset on the
 * unique username key), each with the number of their live sessions.
 */
export async function listAdminUsers(db: Db, f: AdminUsersFilter): Promise<AdminUserRow[]> {
  let q = db
    .selectFrom('users')
    .selectAll('users')
    .select((eb) =>
      eb
        .selectFrom('sessions')
        .select(eb.fn.countAll().as('n'))
        .whereRef('sessions.user_id', '=', 'users.id')
        .where('sessions.revoked_at', 'is', null)
        .where('sessions.expires_at', '>', f.now)
        .where('sessions.last_active_at', '>', f.now - f.idleMs)
        .as('session_count'),
    );
  if (f.needle !== '') {
    const pattern = `%${escapeLike(f.needle)}%`;
    q = q.where(
      sql<boolean>`(users.username_key like ${pattern} escape '!' or lower(users.display_name) like ${pattern} escape '!' or users.email_key like ${pattern} escape '!')`,
    );
  }
  if (f.after !== undefined) q = q.where('users.username_key', '>', f.after);
  const rows = await q.orderBy('users.username_key').limit(f.limit).execute();
  return rows.map((r) => ({ ...r, session_count: Number(r.session_count ?? 0) }));
}

/** One user with their live session count (after a change, for the console's row). */
export async function findAdminUser(
  db: Db,
  id: number,
  now: number,
  idleMs: number,
): Promise<AdminUserRow | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll('users')
    .select((eb) =>
      eb
        .selectFrom('sessions')
        .select(eb.fn.countAll().as('n'))
        .whereRef('sessions.user_id', '=', 'users.id')
        .where('sessions.revoked_at', 'is', null)
        .where('sessions.expires_at', '>', now)
        .where('sessions.last_active_at', '>', now - idleMs)
        .as('session_count'),
    )
    .where('users.id', '=', id)
    .executeTakeFirst();
  return row && { ...row, session_count: Number(row.session_count ?? 0) };
}
