import type { TypingPayload } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { forbidden, notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { visibleToOutsiders } from '../conversations/conversation.policy.js';
import { findConversation, memberIds } from '../conversations/conversations.queries.js';

/** Relays the caller's typing state to the other members of a conversation they belong to. */
export async function setTyping(
  deps: Deps,
  actor: Actor,
  input: TypingPayload,
): Promise<Outcome<Record<string, never>>> {
  const members = await memberIds(deps.db, input.conversationId);
  if (!members.includes(actor.userId)) {
    const c = await findConversation(deps.db, input.conversationId);
    throw c && visibleToOutsiders(c)
      ? forbidden('Join this group first')
      : notFound('No such conversation');
  }
  const others = members.filter((u) => u !== actor.userId);
  const events = input.typing
    ? deps.typing.start(input.conversationId, actor.userId, others)
    : deps.typing.end(input.conversationId, actor.userId);
  return { data: {}, events };
}
