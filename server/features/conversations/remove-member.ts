import type { Actor, Deps } from '../../context.js';
import { forbidden, notFound, validationFailed } from '../../errors.js';
import type { DomainEvent, Outcome } from '../../events.js';
import { canManage, canRemove, loadGroupAsMember, lockForMember } from './conversation.policy.js';
import { groupChangedEvents } from './conversation-events.js';
import { deleteMember, findMember, type MemberRow } from './conversations.queries.js';
import { appendSystemMessage } from './system-messages.js';

/** Removes a member: owners remove anyone, admins remove plain members. Effective at once. */
export async function removeMember(
  deps: Deps,
  actor: Actor,
  id: number,
  userId: number,
): Promise<Outcome<null>> {
  const mayRemove = (me: MemberRow, target: MemberRow | undefined) => {
    if (!canManage(me.role)) throw forbidden('Only the owner or an admin can remove members');
    if (!target) throw notFound('No such member');
    if (!canRemove(me.role, target.role)) throw forbidden('You cannot remove that member');
  };
  const { member } = await loadGroupAsMember(deps, actor, id);
  if (!canManage(member.role)) throw forbidden('Only the owner or an admin can remove members');
  if (userId === actor.userId) throw validationFailed({ userId: 'use leave to remove yourself' });
  mayRemove(member, await findMember(deps.db, id, userId));

  const removed = await deps.db.transaction().execute(async (trx) => {
    const me = (await lockForMember(trx, deps, actor, id)).member;
    mayRemove(me, await findMember(trx, id, userId));
    if (!(await deleteMember(trx, id, userId))) return null;
    return appendSystemMessage(trx, deps, id, actor.userId, 'member_removed', userId);
  });
  if (!removed) throw notFound('No such member');
  const events: DomainEvent[] = [
    { type: 'conversation.removed', conversationId: id, userIds: [userId] },
    { type: 'membership.changed', conversationId: id, userIds: [userId] },
    ...(await groupChangedEvents(deps, id, [removed])),
  ];
  return { data: null, events };
}
