import type { Deps } from '../../context.js';
import { notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { checkNewPassword } from '../auth/passwords.js';
import { revokeSessions } from '../auth/sessions.queries.js';
import { findUserById, updateUser } from '../users/users.queries.js';

/**
 * An operator sets a user's password (`parley user reset-password`, for someone locked out):
 * the rules of every new password, then every session of the user is revoked, so whoever held
 * the old password is signed out everywhere.
 */
export async function resetPassword(
  deps: Deps,
  userId: number,
  password: string,
): Promise<Outcome<{ sessionsRevoked: number }>> {
  checkNewPassword(password);
  if (!(await findUserById(deps.db, userId))) throw notFound('No such user');
  await updateUser(deps.db, userId, { password_hash: await deps.passwords.hash(password) });
  const ids = await revokeSessions(deps.db, userId, deps.now());
  deps.log.info(
    { event: 'password_reset', userId, by: 'operator', sessions: ids.length },
    'password reset',
  );
  return {
    data: { sessionsRevoked: ids.length },
    events: ids.length ? [{ type: 'sessions.revoked', userId, sessionIds: ids }] : [],
  };
}
