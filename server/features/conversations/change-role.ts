import type { ChangeRoleInput, Member } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { forbidden, notFound, validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { loadGroupAsMember, lockForMember } from './conversation.policy.js';
import { toMember } from './conversation.presenter.js';
import { groupChangedEvents } from './conversation-events.js';
import { findMember, setMemberRole, usersByIds } from './conversations.queries.js';
import { appendSystemMessage } from './system-messages.js';

/** The owner promotes, demotes, or hands over ownership (the old owner becomes an admin). */
export async function changeRole(
  deps: Deps,
  actor: Actor,
  id: number,
  userId: number,
  input: ChangeRoleInput,
): Promise<Outcome<Member>> {
  const { member } = await loadGroupAsMember(deps, actor, id);
  if (member.role !== 'owner') throw forbidden('Only the owner can change roles');
  if (userId === actor.userId)
    throw validationFailed({ userId: 'transfer ownership to change your own role' });
  const target = await findMember(deps.db, id, userId);
  if (!target) throw notFound('No such member');
  if (target.role === input.role) {
    const users = await usersByIds(deps.db, [userId]);
    return { data: toMember(deps, target, users.get(userId)!), events: [] };
  }

  const message = await deps.db.transaction().execute(async (trx) => {
    const me = (await lockForMember(trx, deps, actor, id)).member;
    if (me.role !== 'owner') throw forbidden('Only the owner can change roles');
    const current = await findMember(trx, id, userId);
    if (!current) throw notFound('No such member');
    if (current.role === input.role) return null;
    await setMemberRole(trx, id, userId, input.role);
    if (input.role === 'owner') await setMemberRole(trx, id, actor.userId, 'admin');
    return appendSystemMessage(trx, deps, id, actor.userId, 'role_changed', userId, {
      role: input.role,
    });
  });
  const changed = input.role === 'owner' ? [userId, actor.userId] : [userId];
  const events = message ? await groupChangedEvents(deps, id, [message], changed) : [];
  const updated = await findMember(deps.db, id, userId);
  const users = await usersByIds(deps.db, [userId]);
  if (!updated || !users.get(userId)) throw notFound('No such member');
  return { data: toMember(deps, updated, users.get(userId)!), events };
}
