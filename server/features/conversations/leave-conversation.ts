import type { Actor, Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import type { DomainEvent, Outcome } from '../../events.js';
import { discardObjects } from '../files/discard.js';
import { loadAsMember } from './conversation.policy.js';
import { groupChangedEvents } from './conversation-events.js';
import {
  deleteConversation,
  deleteMember,
  listMemberRows,
  lockConversation,
  setMemberRole,
} from './conversations.queries.js';
import { successorOf } from './members.js';
import { appendSystemMessage } from './system-messages.js';
import type { MessageRow } from '../messages/messages.queries.js';

/**
 * Leaves a group. An owner leaving hands ownership to the longest admin, else the longest
 * member; the last member leaving deletes the group. Direct conversations cannot be left.
 */
export async function leaveConversation(
  deps: Deps,
  actor: Actor,
  id: number,
): Promise<Outcome<null>> {
  const { conversation } = await loadAsMember(deps, actor, id);
  if (conversation.kind !== 'group')
    throw new AppError('forbidden', 'A direct conversation cannot be left');

  const result = await deps.db.transaction().execute(async (trx) => {
    await lockConversation(trx, deps.dbKind, id);
    const members = await listMemberRows(trx, id);
    const me = members.find((m) => m.user_id === actor.userId);
    const none = { files: [] as string[], changed: [] as number[] };
    if (!me) return { ...none, deleted: false, messages: [] as MessageRow[] };
    await deleteMember(trx, id, actor.userId);
    if (members.length === 1) {
      const files = await deleteConversation(trx, deps.dbKind, id);
      return { ...none, files, deleted: true, messages: [] };
    }
    const messages = [
      await appendSystemMessage(trx, deps, id, actor.userId, 'member_left', actor.userId),
    ];
    const changed: number[] = [];
    if (me.role === 'owner') {
      const next = successorOf(members, actor.userId)!;
      await setMemberRole(trx, id, next.user_id, 'owner');
      messages.push(
        await appendSystemMessage(trx, deps, id, actor.userId, 'role_changed', next.user_id, {
          role: 'owner',
        }),
      );
      changed.push(next.user_id);
    }
    return { ...none, deleted: false, messages, changed };
  });
  await discardObjects(deps, result.files);

  const events: DomainEvent[] = [
    { type: 'conversation.removed', conversationId: id, userIds: [actor.userId] },
    { type: 'membership.changed', conversationId: id, userIds: [actor.userId] },
  ];
  if (!result.deleted)
    events.push(...(await groupChangedEvents(deps, id, result.messages, result.changed)));
  return { data: null, events };
}
