import type { Deps } from '../../context.js';
import type { DomainEvent } from '../../events.js';
import { isoOrNull } from '../../lib/time.js';
import { contactsOf } from '../conversations/conversations.queries.js';
import { groupWrite } from '../../db/group-commit.js';
import { updateUser, findUserById, setLastSeenSqlite } from '../users/users.queries.js';

/** A user came online: tell the people who share a conversation with them. */
export async function userCameOnline(deps: Deps, userId: number): Promise<DomainEvent[]> {
  const [row, recipients] = await Promise.all([
    findUserById(deps.db, userId),
    contactsOf(deps.db, userId),
  ]);
  return [
    {
      type: 'presence',
      presence: { userId, online: true, lastSeenAt: isoOrNull(row?.last_seen_at) },
      recipients,
    },
  ];
}

/** A user's last socket closed: record when they were last seen and tell their contacts. */
export async function userWentOffline(deps: Deps, userId: number): Promise<DomainEvent[]> {
  const now = deps.now();
  await groupWrite(
    deps.commits,
    (sqlite) => setLastSeenSqlite(sqlite, userId, now),
    () => updateUser(deps.db, userId, { last_seen_at: now }),
  );
  const recipients = await contactsOf(deps.db, userId);
  return [
    ...deps.typing.stopAll(userId),
    {
      type: 'presence',
      presence: { userId, online: false, lastSeenAt: isoOrNull(now) },
      recipients,
    },
  ];
}
