import type { HistoryPage, HistoryQuery } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { readConsistent } from '../../db/steps.js';
import { loadReadable } from '../conversations/conversation.policy.js';
import { presentMessages } from './message-view.js';
import { pageAround, pageMessages } from './messages.queries.js';

/**
 * A page of history, ascending by seq: the newest by default, `before`/`after` a seq, or
 * `around` one (that message with floor((limit - 1) / 2) before it and the rest after it,
 * not refilled from the other side near either end; `around` is clamped to 1…lastSeq).
 */
export async function listMessages(
  deps: Deps,
  actor: Actor,
  conversationId: number,
  query: HistoryQuery,
): Promise<HistoryPage> {
  const { conversation } = await loadReadable(deps, actor, conversationId);
  const lastVersion = Number(conversation.last_version);
  if (query.around !== undefined) {
    const lastSeq = Number(conversation.last_seq);
    const at = Math.min(Math.max(query.around, 1), Math.max(lastSeq, 1));
    const before = Math.floor((query.limit - 1) / 2);
    return readConsistent(deps.db, deps.dbKind, async (db) => {
      const page = await pageAround(db, conversationId, at, before, query.limit - before);
      return {
        messages: await presentMessages(db, conversationId, page.rows),
        hasMore: page.hasMoreBefore || page.hasMoreAfter,
        lastVersion,
        hasMoreBefore: page.hasMoreBefore,
        hasMoreAfter: page.hasMoreAfter,
      };
    });
  }
  return readConsistent(deps.db, deps.dbKind, async (db) => {
    const page = await pageMessages(db, conversationId, query);
    return {
      messages: await presentMessages(db, conversationId, page.rows),
      hasMore: page.hasMore,
      lastVersion,
    };
  });
}
