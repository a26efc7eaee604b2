import type { Actor, Deps } from '../../context.js';
import { notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { requireServerAdmin } from './admin.policy.js';
import { findInviteById, revokeInvite as revokeInviteRow } from './invites.queries.js';

/** Revokes an invite: its link stops working at once (revoking it again changes nothing). */
export async function revokeInvite(deps: Deps, actor: Actor, id: number): Promise<Outcome<null>> {
  requireServerAdmin(actor);
  if (!(await findInviteById(deps.db, id))) throw notFound('No such invite');
  if (await revokeInviteRow(deps.db, id, deps.now())) {
    deps.log.info({ event: 'invite_revoked', inviteId: id, by: actor.userId }, 'invite revoked');
  }
  return { data: null, events: [] };
}
