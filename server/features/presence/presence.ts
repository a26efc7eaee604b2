import type { Deps, PresenceView } from '../../context.js';
import type { DomainEvent } from '../../events.js';
import { isoOrNull } from '../../lib/time.js';
import { contactsOf } from '../conversations/conversations.queries.js';
import { updateUser, findUserById } from '../users/users.queries.js';

/** Online while any socket of the user is connected to this node. */
export class PresenceTracker implements PresenceView {
  private readonly sockets = new Map<number, number>();

  isOnline(userId: number): boolean {
    return (this.sockets.get(userId) ?? 0) > 0;
  }

  socketCount(userId: number): number {
    return this.sockets.get(userId) ?? 0;
  }

  /** Counts a new socket; the first one makes the user online. Returns true on that change. */
  add(userId: number): boolean {
    const n = (this.sockets.get(userId) ?? 0) + 1;
    this.sockets.set(userId, n);
    return n === 1;
  }

  /** Counts a closed socket; the last one makes the user offline. Returns true on that change. */
  remove(userId: number): boolean {
    const n = (this.sockets.get(userId) ?? 0) - 1;
    if (n > 0) {
      this.sockets.set(userId, n);
      return false;
    }
    this.sockets.delete(userId);
    return true;
  }
}

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
  await updateUser(deps.db, userId, { last_seen_at: now });
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
