import type { Actor, Deps } from '../../context.js';
import { forbidden, notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { visibleToOutsiders } from '../conversations/conversation.policy.js';
import { findConversation, memberIds } from '../conversations/conversations.queries.js';
import { advanceCursors } from './messages.queries.js';

async function move(
  deps: Deps,
  actor: Actor,
  conversationId: number,
  to: { delivered?: number; read?: number },
): Promise<Outcome<Record<string, never>>> {
  const cursors = await advanceCursors(deps.db, conversationId, actor.userId, to);
  if (!cursors) {
    const c = await findConversation(deps.db, conversationId);
    throw c && visibleToOutsiders(c)
      ? forbidden('Join this group first')
      : notFound('No such conversation');
  }
  if (!cursors.moved) return { data: {}, events: [] };
  return {
    data: {},
    events: [
      {
        type: 'receipt',
        receipt: {
          conversationId,
          userId: actor.userId,
          deliveredSeq: cursors.deliveredSeq,
          readSeq: cursors.readSeq,
        },
        recipients: await memberIds(deps.db, conversationId),
      },
    ],
  };
}

/** Marks messages up to `seq` as delivered to the caller (forward only). */
export function markDelivered(deps: Deps, actor: Actor, conversationId: number, seq: number) {
  return move(deps, actor, conversationId, { delivered: seq });
}

/** Marks messages up to `seq` as read by the caller; reading implies delivery. */
export function markRead(deps: Deps, actor: Actor, conversationId: number, seq: number) {
  return move(deps, actor, conversationId, { read: seq });
}
