import type { Actor, Deps } from '../../context.js';
import { forbidden } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { discardObjects } from '../files/discard.js';
import { loadGroupAsMember, lockForMember } from './conversation.policy.js';
import { deleteConversation, memberIds } from './conversations.queries.js';

/** The owner deletes a group with its messages and files; every member is told it is gone. */
export async function deleteGroup(deps: Deps, actor: Actor, id: number): Promise<Outcome<null>> {
  const ownerOnly = (role: string) => {
    if (role !== 'owner') throw forbidden('Only the owner can delete the group');
  };
  ownerOnly((await loadGroupAsMember(deps, actor, id)).member.role);
  const { members, files } = await deps.db.transaction().execute(async (trx) => {
    // Still the owner now (ownership may have been handed over meanwhile)?
    ownerOnly((await lockForMember(trx, deps, actor, id)).member.role);
    const ids = await memberIds(trx, id);
    return { members: ids, files: await deleteConversation(trx, deps.dbKind, id) };
  });
  await discardObjects(deps, files);
  return {
    data: null,
    events: [
      { type: 'conversation.removed', conversationId: id, userIds: members },
      { type: 'membership.changed', conversationId: id, userIds: members },
    ],
  };
}
