import type { User } from '../../../protocol/schemas/users.js';
import type { Actor, Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { getMe } from '../users/profile.js';
import { profileChangedEvents } from '../users/user-events.js';
import { discardAvatarFiles } from './avatar-storage.js';
import { deleteAvatarRows, lockAvatarKey, setAvatarKey } from './files.queries.js';

/** Removes the caller's avatar, its row and its files; without an avatar it changes nothing. */
export async function deleteAvatar(deps: Deps, actor: Actor): Promise<Outcome<User>> {
  const removed = await deps.db.transaction().execute(async (trx) => {
    const current = await lockAvatarKey(trx, deps.dbKind, actor.userId);
    if (!current) throw new AppError('session_expired', 'Your account no longer exists');
    const old = await deleteAvatarRows(trx, actor.userId);
    if (current.avatarKey !== null) {
      await setAvatarKey(trx, actor.userId, null);
      if (!old.includes(current.avatarKey)) old.push(current.avatarKey);
    }
    return old;
  });
  await discardAvatarFiles(deps, removed);
  return {
    data: await getMe(deps, actor),
    events: removed.length ? await profileChangedEvents(deps, actor.userId) : [],
  };
}
