import { ADMIN_LIMITS, type Invite } from '../../../protocol/schemas/admin.js';
import type { Actor, Deps } from '../../context.js';
import { requireServerAdmin } from './admin.policy.js';
import { toInvite } from './invite.presenter.js';
import { listInvites as recentInvites } from './invites.queries.js';

/** The most recent invites, newest first, whatever their state. */
export async function listInvites(deps: Deps, actor: Actor): Promise<Invite[]> {
  requireServerAdmin(actor);
  const now = deps.now();
  const rows = await recentInvites(deps.db, ADMIN_LIMITS.invitesListed);
  return rows.map((r) => toInvite(r, deps.config.publicUrl, now));
}
