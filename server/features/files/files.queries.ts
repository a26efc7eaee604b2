import type { Insertable } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { FilesTable } from '../../db/schema.js';

export const AVATAR_KIND = 'avatar';

/**
 * Reads a user's current avatar key, locking the user row until the transaction ends so that
 * two uploads by one user replace each other in order. SQLite serialises writers on its own.
 */
export async function lockAvatarKey(
  trx: Db,
  kind: DatabaseKind,
  userId: number,
): Promise<{ avatarKey: string | null } | undefined> {
  let q = trx.selectFrom('users').select('avatar_key').where('id', '=', userId);
  if (kind !== 'sqlite') q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row && { avatarKey: row.avatar_key };
}

export async function insertFile(trx: Db, row: Insertable<FilesTable>): Promise<void> {
  await trx.insertInto('files').values(row).execute();
}

export async function setAvatarKey(trx: Db, userId: number, key: string | null): Promise<void> {
  await trx.updateTable('users').set({ avatar_key: key }).where('id', '=', userId).execute();
}

/** Deletes a user's avatar rows (all, or all but `keep`) and returns their storage keys. */
export async function deleteAvatarRows(
  trx: Db,
  ownerId: number,
  keep: string | null = null,
): Promise<string[]> {
  let q = trx
    .selectFrom('files')
    .select('storage_key')
    .where('owner_id', '=', ownerId)
    .where('kind', '=', AVATAR_KIND);
  if (keep !== null) q = q.where('storage_key', '!=', keep);
  const keys = (await q.execute()).map((r) => r.storage_key);
  if (keys.length) {
    await trx
      .deleteFrom('files')
      .where('owner_id', '=', ownerId)
      .where('kind', '=', AVATAR_KIND)
      .where('storage_key', 'in', keys)
      .execute();
  }
  return keys;
}
