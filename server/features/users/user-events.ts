import type { Deps } from '../../context.js';
import type { DomainEvent } from '../../events.js';
import { contactsOf } from '../conversations/conversations.queries.js';
import { toPublicUser } from './user.presenter.js';
import { findUserById } from './users.queries.js';

/**
 * A user's name or picture changed: the user as everyone sees them now, for the people who
 * share a conversation with them and for their own other sockets.
 */
export async function profileChangedEvents(deps: Deps, userId: number): Promise<DomainEvent[]> {
  const [row, contacts] = await Promise.all([
    findUserById(deps.db, userId),
    contactsOf(deps.db, userId),
  ]);
  if (!row) return [];
  return [
    {
      type: 'user.updated',
      user: toPublicUser(row, deps.presence),
      recipients: [userId, ...contacts.filter((id) => id !== userId)],
    },
  ];
}
