import type { RevokedSessions } from '../../../protocol/schemas/admin.js';
import type { Actor, Deps } from '../../context.js';
import { notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { revokeSessions } from '../auth/sessions.queries.js';
import { findUserById } from '../users/users.queries.js';
import { requireServerAdmin } from './admin.policy.js';

/**
 * Signs a user out everywhere: every session is revoked (refresh cookies stop working) and
 * their sockets get `session:expired` and are disconnected, on every node.
 */
export async function revokeUserSessions(
  deps: Deps,
  actor: Actor,
  userId: number,
): Promise<Outcome<RevokedSessions>> {
  requireServerAdmin(actor);
  if (!(await findUserById(deps.db, userId))) throw notFound('No such user');
  const ids = await revokeSessions(deps.db, userId, deps.now());
  deps.log.info(
    { event: 'user_signed_out', userId, by: actor.userId, sessions: ids.length },
    'user signed out everywhere by an admin',
  );
  return {
    data: { revoked: ids.length },
    events: [{ type: 'sessions.revoked', userId, sessionIds: 'all' }],
  };
}
