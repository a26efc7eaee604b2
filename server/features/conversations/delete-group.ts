import type { Actor, Deps } from '../../context.js';
import { forbidden } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { loadGroupAsMember } from './conversation.policy.js';
import { memberIds } from './conversations.queries.js';

/** The owner deletes a group with its messages; every member is told it is gone. */
export async function deleteGroup(deps: Deps, actor: Actor, id: number): Promise<Outcome<null>> {
  const { member } = await loadGroupAsMember(deps, actor, id);
  if (member.role !== 'owner') throw forbidden('Only the owner can delete the group');
  const members = await memberIds(deps.db, id);
  await deps.db.deleteFrom('conversations').where('id', '=', id).execute();
  return {
    data: null,
    events: [
      { type: 'conversation.removed', conversationId: id, userIds: members },
      { type: 'membership.changed', conversationId: id, userIds: members },
    ],
  };
}
