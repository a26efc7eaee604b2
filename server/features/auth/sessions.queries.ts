import type SQLite from 'better-sqlite3';
import { prepared } from '../../db/prepared.js';
import type { Db } from '../../db/database.js';
import type { SessionsTable } from '../../db/schema.js';
import type { Selectable } from 'kysely';

export type SessionRow = Selectable<SessionsTable>;

export interface NewSession {
  userId: number;
  refreshSalt: string;
  remember: boolean;
  now: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

/** Inserts a session and returns its id. */
export async function insertSession(db: Db, s: NewSession): Promise<number> {
  const row = {
    user_id: s.userId,
    refresh_salt: s.refreshSalt,
    refresh_gen: 0,
    remember: s.remember ? 1 : 0,
    created_at: s.now,
    last_active_at: s.now,
    expires_at: s.expiresAt,
    user_agent: s.userAgent?.slice(0, 255) ?? null,
    ip: s.ip?.slice(0, 64) ?? null,
  };
  const result = await db.insertInto('sessions').values(row).executeTakeFirst();
  if (result.insertId !== undefined) return Number(result.insertId);
  // PostgreSQL reports no insert id; read it back by the unique salt.
  const back = await db
    .selectFrom('sessions')
    .select('id')
    .where('refresh_salt', '=', s.refreshSalt)
    .executeTakeFirstOrThrow();
  return back.id;
}

/** A session joined with the state of its user, as authentication needs it. */
export async function findSessionWithUser(db: Db, sessionId: number) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.user_id',
      'sessions.refresh_salt',
      'sessions.refresh_gen',
      'sessions.refresh_rotated_at',
      'sessions.last_active_at',
      'sessions.expires_at',
      'sessions.revoked_at',
      'users.is_active',
      'users.is_admin',
    ])
    .where('sessions.id', '=', sessionId)
    .executeTakeFirst();
}

/**
 * Moves a session's refresh token from generation `gen` to the next, noting when. Only one of
 * several concurrent callers with the same generation wins; false for the others (and for a
 * revoked session).
 */
export async function rotateRefresh(
  db: Db,
  sessionId: number,
  gen: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ refresh_gen: gen + 1, refresh_rotated_at: now })
    .where('id', '=', sessionId)
    .where('refresh_gen', '=', gen)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The liveness fields of several sessions at once. */
export async function findSessionsWithUsers(db: Db, sessionIds: readonly number[]) {
  if (sessionIds.length === 0) return [];
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.last_active_at',
      'sessions.expires_at',
      'sessions.revoked_at',
      'users.is_active',
    ])
    .where('sessions.id', 'in', sessionIds)
    .execute();
}

export async function touchSession(db: Db, sessionId: number, now: number): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_active_at: now })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The same on SQLite, inside a group commit. */
export function touchSessionSqlite(sqlite: SQLite.Database, sessionId: number, now: number): void {
  prepared(
    sqlite,
    'update sessions set last_active_at = ? where id = ? and revoked_at is null',
  ).run(now, sessionId);
}

/**
 * Renews a session's activity only while it is alive (not revoked, not idle, not past its cap,
 * its user active): one statement that both checks and renews.
 */
function renewLive(db: Db, sessionId: number, now: number, idleMs: number) {
  return db
    .updateTable('sessions')
    .set({ last_active_at: now })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('last_active_at', '>', now - idleMs)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('users')
          .select('users.id')
          .whereRef('users.id', '=', 'sessions.user_id')
          .where('users.is_active', '=', 1),
      ),
    );
}

/** Renews a live session (see renewLive); true when it was alive. */
export async function renewLiveSession(
  db: Db,
  sessionId: number,
  now: number,
  idleMs: number,
): Promise<boolean> {
  const r = await renewLive(db, sessionId, now, idleMs).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The same statement on SQLite's raw connection, inside a group commit, prepared once. */
export function renewLiveSessionSqlite(
  sqlite: SQLite.Database,
  db: Db,
  sessionId: number,
  now: number,
  idleMs: number,
): boolean {
  const q = renewLive(db, sessionId, now, idleMs).compile();
  return prepared(sqlite, q.sql).run(...q.parameters).changes > 0;
}

/** Revokes sessions of a user: all, all but one, or the listed ones. Returns the ids revoked. */
export async function revokeSessions(
  db: Db,
  userId: number,
  now: number,
  opts: { only?: number[]; except?: number } = {},
): Promise<number[]> {
  let q = db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (opts.only) q = q.where('id', 'in', opts.only.length ? opts.only : [0]);
  if (opts.except !== undefined) q = q.where('id', '!=', opts.except);
  const ids = (await q.execute()).map((r) => r.id);
  if (ids.length) {
    await db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('id', 'in', ids)
      .where('revoked_at', 'is', null)
      .execute();
  }
  return ids;
}

export async function listActiveSessions(db: Db, userId: number, now: number, idleMs: number) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('last_active_at', '>', now - idleMs)
    .orderBy('last_active_at', 'desc')
    .execute();
}
