import { createHash } from 'node:crypto';
import { AVATAR_SIZES } from '../../../protocol/limits.js';
import type { User } from '../../../protocol/schemas/users.js';
import type { Actor, Deps } from '../../context.js';
import { AppError, validationFailed } from '../../errors.js';
import { throttle } from '../../lib/throttle.js';
import type { Outcome } from '../../events.js';
import { getMe } from '../users/profile.js';
import { profileChangedEvents } from '../users/user-events.js';
import {
  discardAvatarFiles,
  newStorageKey,
  removeAvatarFiles,
  writeAvatarFiles,
} from './avatar-storage.js';
import {
  AVATAR_KIND,
  deleteAvatarRows,
  insertFile,
  lockAvatarKey,
  setAvatarKey,
} from './files.queries.js';
import { detectImageType, renderSquares } from './images.js';

const AVATAR_MIME = 'image/webp';

/**
 * Sets the caller's avatar from an uploaded image: the type is judged from the bytes, the
 * image is re-encoded to square WebPs without metadata, and the previous avatar is deleted.
 */
export async function uploadAvatar(
  deps: Deps,
  actor: Actor,
  bytes: Uint8Array,
): Promise<Outcome<User>> {
  await throttle(
    deps,
    `upload:${actor.userId}`,
    deps.config.rateLimits.uploadsPerHour,
    3_600_000,
    'uploads',
  );
  if (bytes.length === 0)
    throw validationFailed({ file: 'is empty' }, 'The uploaded file is empty');
  await detectImageType(bytes);
  const renditions = await renderSquares(bytes, AVATAR_SIZES);

  const key = newStorageKey();
  // Files are written before the row that points at them, so a reader never sees a key
  // without its files; if the transaction fails they are removed again.
  await writeAvatarFiles(deps.files, key, renditions);
  const largest = renditions.reduce((a, b) => (b.size > a.size ? b : a));
  let replaced: string[];
  try {
    replaced = await deps.db.transaction().execute(async (trx) => {
      const current = await lockAvatarKey(trx, deps.dbKind, actor.userId);
      if (!current) throw new AppError('session_expired', 'Your account no longer exists');
      // The row describes the largest rendition; the smaller ones share its storage key.
      await insertFile(trx, {
        owner_id: actor.userId,
        kind: AVATAR_KIND,
        mime: AVATAR_MIME,
        size: largest.bytes.length,
        sha256: createHash('sha256').update(largest.bytes).digest('hex'),
        storage_key: key,
        width: largest.size,
        height: largest.size,
        created_at: deps.now(),
      });
      await setAvatarKey(trx, actor.userId, key);
      const old = await deleteAvatarRows(trx, actor.userId, key);
      if (current.avatarKey !== null && !old.includes(current.avatarKey))
        old.push(current.avatarKey);
      return old;
    });
  } catch (err) {
    await removeAvatarFiles(deps.files, key);
    throw err;
  }

  await discardAvatarFiles(
    deps,
    replaced.filter((k) => k !== key),
  );
  return { data: await getMe(deps, actor), events: await profileChangedEvents(deps, actor.userId) };
}
