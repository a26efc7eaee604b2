import type { HistoryPage, HistoryQuery } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { loadReadable } from '../conversations/conversation.policy.js';
import { memberCursors } from '../conversations/conversations.queries.js';
import { ReceiptView, toMessage } from './message.presenter.js';
import { pageMessages } from './messages.queries.js';

/** A page of history, ascending by seq: the newest by default, or `before`/`after` a seq. */
export async function listMessages(
  deps: Deps,
  actor: Actor,
  conversationId: number,
  query: HistoryQuery,
): Promise<HistoryPage> {
  await loadReadable(deps, actor, conversationId);
  const [page, cursors] = await Promise.all([
    pageMessages(deps.db, conversationId, query),
    memberCursors(deps.db, conversationId),
  ]);
  const view = new ReceiptView(cursors);
  return {
    messages: page.rows.map((r) => toMessage(r, view.statusOf(r.sender_id, r.seq))),
    hasMore: page.hasMore,
  };
}
