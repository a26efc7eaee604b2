import type { Conversation } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { isUniqueViolation, notFound } from '../../errors.js';
import type { DomainEvent, Outcome } from '../../events.js';
import { presentForUser } from './conversation.presenter.js';
import { groupChangedEvents } from './conversation-events.js';
import { findConversation, findMember, insertMembers } from './conversations.queries.js';
import { appendSystemMessage } from './system-messages.js';

/** Joins a public group; joining one you are in already changes nothing. */
export async function joinGroup(
  deps: Deps,
  actor: Actor,
  id: number,
): Promise<Outcome<Conversation>> {
  const conversation = await findConversation(deps.db, id);
  const existing = await findMember(deps.db, id, actor.userId);
  if (
    !conversation ||
    conversation.kind !== 'group' ||
    (conversation.is_private === 1 && !existing)
  ) {
    throw notFound('No such conversation');
  }
  let events: DomainEvent[] = [];
  if (!existing) {
    try {
      const joined = await deps.db.transaction().execute(async (trx) => {
        const m = await appendSystemMessage(
          trx,
          deps,
          id,
          actor.userId,
          'member_joined',
          actor.userId,
        );
        // The message's seq locked the group: it must still be public (made private meanwhile,
        // it takes no one from outside).
        const locked = await findConversation(trx, id);
        if (!locked || locked.is_private === 1) throw notFound('No such conversation');
        // A member who joins starts with both cursors at the conversation's last seq.
        await insertMembers(trx, [
          {
            conversation_id: id,
            user_id: actor.userId,
            role: 'member',
            joined_at: deps.now(),
            delivered_seq: m.seq,
            read_seq: m.seq,
            muted: 0,
          },
        ]);
        return m;
      });
      events = await groupChangedEvents(deps, id, [joined], [actor.userId]);
      events.push({ type: 'membership.changed', conversationId: id, userIds: [actor.userId] });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // joined concurrently: that join stands
    }
  }
  const row = (await findConversation(deps.db, id)) ?? conversation;
  const member = (await findMember(deps.db, id, actor.userId)) ?? null;
  const [view] = await presentForUser(deps, actor.userId, [{ row, member }]);
  return { data: view!, events };
}
