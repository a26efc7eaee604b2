import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Db } from '../../db/database.js';
import { memberCursors, type MemberCursor } from '../conversations/conversations.queries.js';
import { groupAttachments } from '../files/attachment.presenter.js';
import { attachmentsOf } from '../files/attachments.queries.js';
import { groupReactions, ReceiptView, toMessage } from './message.presenter.js';
import { mentionsOf, reactionsOf, replyTargetsOf, type MessageRow } from './messages.queries.js';

/**
 * Stored messages of one conversation as the wire sees them: receipt status from the members'
 * cursors, reactions, mentions, attachments and the current excerpt of what each reply
 * answers, in at most five queries whatever the number of messages.
 */
export async function presentMessages(
  db: Db,
  conversationId: number,
  rows: readonly MessageRow[],
  cursors?: readonly MemberCursor[],
): Promise<Message[]> {
  if (rows.length === 0) return [];
  const live = rows.filter((r) => r.deleted_at === null);
  const texts = live.filter((r) => r.kind === 'text').map((r) => r.id);
  const [members, reactions, replyTargets, mentions, attachments] = await Promise.all([
    cursors ?? memberCursors(db, conversationId),
    reactionsOf(db, texts),
    replyTargetsOf(
      db,
      live.flatMap((r) => (r.reply_to_id === null ? [] : [r.reply_to_id])),
    ),
    mentionsOf(db, texts),
    attachmentsOf(db, texts),
  ]);
  const view = new ReceiptView(members);
  const extras = {
    reactions: groupReactions(reactions),
    replyTargets,
    mentions,
    attachments: groupAttachments(attachments),
  };
  return rows.map((r) => toMessage(r, view.statusOf(r.sender_id, r.seq), extras));
}
