import type { Deps } from '../../context.js';
import type { DomainEvent } from '../../events.js';
import { toMessage } from '../messages/message.presenter.js';
import type { MessageRow } from '../messages/messages.queries.js';
import { presentForMembers, toMember } from './conversation.presenter.js';
import { findConversation, listMemberRows, usersByIds } from './conversations.queries.js';

/**
 * The events after a group changed: each new system message to every current member, and
 * the conversation as each member now sees it. Read after commit, so it shows the new state.
 */
export async function groupChangedEvents(
  deps: Deps,
  conversationId: number,
  systemMessages: readonly MessageRow[],
  changedMemberIds: readonly number[] = [],
): Promise<DomainEvent[]> {
  const [row, members] = await Promise.all([
    findConversation(deps.db, conversationId),
    listMemberRows(deps.db, conversationId),
  ]);
  if (!row) return [];
  const recipients = members.map((m) => m.user_id);
  const events: DomainEvent[] = systemMessages.map((m) => ({
    type: 'message.created',
    message: toMessage(m, 'sent'),
    recipients,
  }));
  events.push({ type: 'conversation.updated', views: await presentForMembers(deps, row, members) });
  if (changedMemberIds.length) {
    const users = await usersByIds(deps.db, changedMemberIds);
    for (const m of members) {
      const u = users.get(m.user_id);
      if (u && changedMemberIds.includes(m.user_id)) {
        events.push({
          type: 'member.updated',
          conversationId,
          member: toMember(deps, m, u),
          recipients,
        });
      }
    }
  }
  return events;
}
