import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { forbidden, isUniqueViolation, notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { chaos } from '../../lib/chaos.js';
import {
  findConversation,
  memberCursors,
  memberIds,
} from '../conversations/conversations.queries.js';
import { visibleToOutsiders } from '../conversations/conversation.policy.js';
import { ReceiptView, toMessage } from './message.presenter.js';
import { appendMessage, findByClientId } from './messages.queries.js';

export interface SendMessageInput {
  conversationId: number;
  clientId: string | null;
  body: string;
}

/**
 * Stores a text message: seq allocated and row inserted in one transaction, the sender's
 * cursors moved to it. A repeat of (sender, conversation, clientId) returns the stored message
 * and stores nothing. The caller answers first, then publishes `message:new` to every member.
 */
export async function sendMessage(
  deps: Deps,
  actor: Actor,
  input: SendMessageInput,
): Promise<Outcome<Message>> {
  const members = await memberIds(deps.db, input.conversationId);
  if (!members.includes(actor.userId)) {
    const c = await findConversation(deps.db, input.conversationId);
    throw c && visibleToOutsiders(c)
      ? forbidden('Join this group first')
      : notFound('No such conversation');
  }
  let row;
  let recipients: number[];
  try {
    ({ row, recipients } = await deps.db.transaction().execute(async (trx) => {
      const now = deps.now();
      const m = await appendMessage(trx, deps.dbKind, {
        conversationId: input.conversationId,
        senderId: actor.userId,
        clientId: input.clientId,
        kind: 'text',
        body: input.body,
        meta: null,
        now,
      });
      if (!m) throw notFound('No such conversation');
      // The seq allocation holds the conversation's lock: if the sender was removed (or left)
      // after the check above, their member row is gone now and nothing may be stored.
      const own = await trx
        .updateTable('members')
        .set({ delivered_seq: m.seq, read_seq: m.seq })
        .where('conversation_id', '=', input.conversationId)
        .where('user_id', '=', actor.userId)
        .where('read_seq', '<', m.seq)
        .executeTakeFirst();
      if (Number(own.numUpdatedRows) === 0) throw notFound('No such conversation');
      chaos('before_commit', input.body);
      // Read under the lock too: a member removed before this commit must not receive it.
      return { row: m, recipients: await memberIds(trx, input.conversationId) };
    }));
  } catch (err) {
    if (input.clientId === null || !isUniqueViolation(err)) throw err;
    // The same clientId was stored before (or concurrently): answer with that message.
    const stored = await findByClientId(
      deps.db,
      actor.userId,
      input.conversationId,
      input.clientId,
    );
    if (!stored) throw err;
    const view = new ReceiptView(await memberCursors(deps.db, input.conversationId));
    return { data: toMessage(stored, view.statusOf(stored.sender_id, stored.seq)), events: [] };
  }
  chaos('after_commit_before_ack', input.body);
  const message = toMessage(row, 'sent');
  return {
    data: message,
    events: [
      { type: 'message.created', message, recipients },
      {
        type: 'receipt',
        receipt: {
          conversationId: input.conversationId,
          userId: actor.userId,
          deliveredSeq: row.seq,
          readSeq: row.seq,
        },
        recipients,
      },
    ],
  };
}
