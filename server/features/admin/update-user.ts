import type { AdminUpdateUserInput, User } from '../../../protocol/schemas/users.js';
import type { Actor, Deps } from '../../context.js';
import { AppError, forbidden, notFound } from '../../errors.js';
import type { DomainEvent, Outcome } from '../../events.js';
import { revokeSessions } from '../auth/sessions.queries.js';
import { toUser } from '../users/user.presenter.js';
import { findUserById, updateUser } from '../users/users.queries.js';

/** A server admin activates, deactivates, promotes or demotes a user. */
export async function adminUpdateUser(
  deps: Deps,
  actor: Actor,
  userId: number,
  input: AdminUpdateUserInput,
): Promise<Outcome<User>> {
  if (!actor.isAdmin) throw forbidden('Only a server admin can do that');
  const row = await findUserById(deps.db, userId);
  if (!row) throw notFound('No such user');
  if (userId === actor.userId && (input.isActive === false || input.isAdmin === false)) {
    throw new AppError('conflict', 'You cannot deactivate or demote yourself', {
      field: input.isActive === false ? 'isActive' : 'isAdmin',
    });
  }
  const { data, events } = await setUserStatus(deps, userId, input, actor.userId);
  return { data, events };
}

/**
 * Applies an activation or admin change, whoever asks (an admin over the API, an operator with
 * `parley user disable|enable`, `by` null): a deactivation revokes every session of the user.
 */
export async function setUserStatus(
  deps: Deps,
  userId: number,
  input: AdminUpdateUserInput,
  by: number | null,
): Promise<Outcome<User> & { sessionsRevoked: number }> {
  await updateUser(deps.db, userId, {
    ...(input.isActive !== undefined && { is_active: input.isActive ? 1 : 0 }),
    ...(input.isAdmin !== undefined && { is_admin: input.isAdmin ? 1 : 0 }),
  });
  const events: DomainEvent[] = [];
  let sessionsRevoked = 0;
  if (input.isActive === false) {
    const ids = await revokeSessions(deps.db, userId, deps.now());
    sessionsRevoked = ids.length;
    events.push({ type: 'sessions.revoked', userId, sessionIds: 'all' });
    deps.log.info(
      { event: 'user_deactivated', userId, by: by ?? 'operator', sessions: ids.length },
      'user deactivated',
    );
  }
  const updated = await findUserById(deps.db, userId);
  if (!updated) throw notFound('No such user');
  return { data: toUser(updated, deps.presence), events, sessionsRevoked };
}
