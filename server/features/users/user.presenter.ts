import type { PublicUser, User } from '../../../protocol/schemas/users.js';
import { AVATAR_DEFAULT_SIZE } from '../../../protocol/limits.js';
import type { PresenceView } from '../presence/presence-store.js';
import { iso, isoOrNull } from '../../lib/time.js';
import type { UserRow } from './users.queries.js';

/** The public URL of an avatar at one of its rendered sizes. */
export function avatarUrl(key: string | null, size: number = AVATAR_DEFAULT_SIZE): string | null {
  return key === null ? null : `/files/avatars/${key}-${size}.webp`;
}

/** What anyone signed in may see of a user. */
export function toPublicUser(
  row: Pick<UserRow, 'id' | 'username' | 'display_name' | 'avatar_key' | 'last_seen_at'>,
  presence: PresenceView,
): PublicUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    avatarUrl: avatarUrl(row.avatar_key),
    online: presence.isOnline(row.id),
    lastSeenAt: isoOrNull(row.last_seen_at),
  };
}

/** What a user sees of themselves (and what a server admin sees). */
export function toUser(row: UserRow, presence: PresenceView): User {
  return {
    ...toPublicUser(row, presence),
    email: row.email,
    bio: row.bio,
    isAdmin: row.is_admin === 1,
    createdAt: iso(row.created_at),
  };
}
