import type {
  Conversation,
  Role,
  UpdateGroupInput,
} from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { forbidden, notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { canManage, loadGroupAsMember, lockForMember } from './conversation.policy.js';
import { groupChangedEvents } from './conversation-events.js';
import { updateConversation } from './conversations.queries.js';
import { appendSystemMessage } from './system-messages.js';
import type { MessageRow } from '../messages/messages.queries.js';

/** Owners and admins rename a group, set its topic, or make it public or private. */
export async function updateGroup(
  deps: Deps,
  actor: Actor,
  id: number,
  input: UpdateGroupInput,
): Promise<Outcome<Conversation>> {
  const mayChange = (role: Role) => {
    if (!canManage(role)) throw forbidden('Only the owner or an admin can change the group');
  };
  mayChange((await loadGroupAsMember(deps, actor, id)).member.role);
  const changes = {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.topic !== undefined && { topic: input.topic }),
    ...(input.isPrivate !== undefined && { is_private: input.isPrivate ? 1 : 0 }),
  };
  const messages: MessageRow[] = await deps.db.transaction().execute(async (trx) => {
    const { conversation, member } = await lockForMember(trx, deps, actor, id);
    mayChange(member.role);
    const renamed = input.name !== undefined && input.name !== conversation.name;
    await updateConversation(trx, id, changes);
    return renamed
      ? [
          await appendSystemMessage(trx, deps, id, actor.userId, 'room_renamed', actor.userId, {
            name: input.name,
            previousName: conversation.name,
          }),
        ]
      : [];
  });
  const events = await groupChangedEvents(deps, id, messages);
  const mine = events
    .find((e) => e.type === 'conversation.updated')
    ?.views.find((v) => v.userId === actor.userId);
  if (!mine) throw notFound('No such conversation');
  return { data: mine.conversation, events };
}
