import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Db } from '../../db/database.js';
import { memberCursors, type MemberCursor } from '../conversations/conversations.queries.js';
import { groupReactions, ReceiptView, toMessage } from './message.presenter.js';
import { reactionsOf, replyTargetsOf, type MessageRow } from './messages.queries.js';

/**
 * Stored messages of one conversation as the wire sees them: receipt status from the members'
 * cursors, reactions, and the current excerpt of what each reply answers, in at most three
 * queries whatever the number of messages.
 */
export async function presentMessages(
  db: Db,
  conversationId: number,
  rows: readonly MessageRow[],
  cursors?: readonly MemberCursor[],
): Promise<Message[]> {
  if (rows.length === 0) return [];
  const live = rows.filter((r) => r.deleted_at === null);
  const [members, reactions, replyTargets] = await Promise.all([
    cursors ?? memberCursors(db, conversationId),
    reactionsOf(
      db,
      live.filter((r) => r.kind === 'text').map((r) => r.id),
    ),
    replyTargetsOf(
      db,
      live.flatMap((r) => (r.reply_to_id === null ? [] : [r.reply_to_id])),
    ),
  ]);
  const view = new ReceiptView(members);
  const extras = { reactions: groupReactions(reactions), replyTargets };
  return rows.map((r) => toMessage(r, view.statusOf(r.sender_id, r.seq), extras));
}
