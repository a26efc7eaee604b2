import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { InvitesTable } from '../../db/schema.js';

export type InviteRow = Selectable<InvitesTable>;

export async function insertInvite(db: Db, row: Insertable<InvitesTable>): Promise<number> {
  const result = await db.insertInto('invites').values(row).executeTakeFirst();
  if (result.insertId !== undefined) return Number(result.insertId);
  // PostgreSQL reports no insert id; read it back by the unique token.
  const back = await db
    .selectFrom('invites')
    .select('id')
    .where('token', '=', row.token)
    .executeTakeFirstOrThrow();
  return back.id;
}

export async function findInviteById(db: Db, id: number): Promise<InviteRow | undefined> {
  return db.selectFrom('invites').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findInviteByToken(db: Db, token: string): Promise<InviteRow | undefined> {
  return db.selectFrom('invites').selectAll().where('token', '=', token).executeTakeFirst();
}

/** The most recent invites, newest first. */
export async function listInvites(db: Db, limit: number): Promise<InviteRow[]> {
  return db
    .selectFrom('invites')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Revokes an invite that is not revoked yet; true when this call revoked it. */
export async function revokeInvite(db: Db, id: number, now: number): Promise<boolean> {
  const r = await db
    .updateTable('invites')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Counts one use of an invite if it is still good (not revoked, not expired, uses left), in one
 * conditional UPDATE: of several sign-ups racing for the last use, the row lock lets exactly
 * one through. True for that one.
 */
export async function claimInviteUse(db: Db, id: number, now: number): Promise<boolean> {
  const r = await db
    .updateTable('invites')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .whereRef('uses', '<', 'max_uses')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Gives back a use counted by `claimInviteUse` for a sign-up that then failed. */
export async function releaseInviteUse(db: Db, id: number): Promise<void> {
  await db
    .updateTable('invites')
    .set((eb) => ({ uses: eb('uses', '-', 1) }))
    .where('id', '=', id)
    .where('uses', '>', 0)
    .execute();
}
