import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../errors.js';

/** A setting's stored value, or undefined when it was never set. */
export async function getSetting(db: Db, name: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.value;
}

/** Sets a setting (an update, else an insert; one form on every database). */
export async function putSetting(db: Db, name: string, value: string, now: number): Promise<void> {
  const set = () =>
    db
      .updateTable('settings')
      .set({ value, updated_at: now })
      .where('name', '=', name)
      .executeTakeFirst();
  if (Number((await set()).numUpdatedRows) > 0) return;
  try {
    await db.insertInto('settings').values({ name, value, updated_at: now }).execute();
  } catch (err) {
    // Someone inserted it first: ours is the later write.
    if (!isUniqueViolation(err)) throw err;
    await set();
  }
}

/** Inserts a setting only if it does not exist yet: true for the one caller that inserted it. */
export async function insertSettingOnce(
  db: Db,
  name: string,
  value: string,
  now: number,
): Promise<boolean> {
  try {
    await db.insertInto('settings').values({ name, value, updated_at: now }).execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export async function deleteSetting(db: Db, name: string): Promise<void> {
  await db.deleteFrom('settings').where('name', '=', name).execute();
}

/** Whether the server has any account at all. */
export async function hasAnyUser(db: Db): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}
