import type { DatabaseKind } from '../../config.js';
import type { Db } from '../../db/database.js';

export interface NewPasswordReset {
  userId: number;
  tokenHash: string;
  sentTo: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Stores a new reset link for an account in place of any older one, used or not: only the
 * newest link mailed works.
 */
export async function replacePasswordReset(
  db: Db,
  kind: DatabaseKind,
  r: NewPasswordReset,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Requests of one account that race (on any node) take its row lock first, so each replaces
    // the one before: without it two could both find nothing to delete and leave two links, or
    // deadlock on MariaDB's gap locks and lose a mail. SQLite runs one write at a time anyway.
    if (kind !== 'sqlite') {
      await trx.selectFrom('users').select('id').where('id', '=', r.userId).forUpdate().execute();
    }
    await trx.deleteFrom('password_resets').where('user_id', '=', r.userId).execute();
    await trx
      .insertInto('password_resets')
      .values({
        user_id: r.userId,
        token_hash: r.tokenHash,
        sent_to: r.sentTo,
        created_at: r.createdAt,
        expires_at: r.expiresAt,
        used_at: null,
      })
      .execute();
  });
}

/** A reset link by its token's hash, with what confirming it needs to know of the account. */
export async function findPasswordReset(db: Db, tokenHash: string) {
  return db
    .selectFrom('password_resets')
    .innerJoin('users', 'users.id', 'password_resets.user_id')
    .select([
      'password_resets.id',
      'password_resets.user_id',
      'password_resets.sent_to',
      'password_resets.expires_at',
      'password_resets.used_at',
      'users.email_key',
      'users.is_active',
    ])
    .where('password_resets.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/**
 * Marks a link used if it is still unused, unexpired and its address still the account's: one
 * conditional UPDATE, so of two confirmations racing with the same link exactly one wins. True
 * for the winner.
 */
export async function usePasswordReset(db: Db, id: number, now: number): Promise<boolean> {
  const r = await db
    .updateTable('password_resets')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('users')
          .select('users.id')
          .whereRef('users.id', '=', 'password_resets.user_id')
          .whereRef('users.email_key', '=', 'password_resets.sent_to'),
      ),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
