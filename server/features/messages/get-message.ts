import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { readConsistent } from '../../db/steps.js';
import { loadReadable } from '../conversations/conversation.policy.js';
import { presentMessages } from './message-view.js';
import { messagesByIds, pinnedMessages } from './messages.queries.js';

/** One message, to whoever may read its conversation; `not_found` to everyone else. */
export async function getMessage(deps: Deps, actor: Actor, messageId: number): Promise<Message> {
  const [row] = await messagesByIds(deps.db, [messageId]);
  if (!row) throw notFound('No such message');
  try {
    await loadReadable(deps, actor, row.conversation_id);
  } catch (err) {
    // Told exactly as a message that does not exist.
    if (err instanceof AppError && err.code === 'not_found') throw notFound('No such message');
    throw err;
  }
  // Read again with what is built around it, as one state (a message never changes
  // conversation, so the check above holds).
  return readConsistent(deps.db, deps.dbKind, async (db) => {
    const [now] = await messagesByIds(db, [messageId]);
    const [message] = await presentMessages(db, row.conversation_id, [now ?? row]);
    return message!;
  });
}

/** The pinned messages of a conversation, latest pin first. */
export async function listPins(
  deps: Deps,
  actor: Actor,
  conversationId: number,
): Promise<Message[]> {
  await loadReadable(deps, actor, conversationId);
  return readConsistent(deps.db, deps.dbKind, async (db) =>
    presentMessages(db, conversationId, await pinnedMessages(db, conversationId)),
  );
}
