import { matchHighlights, queryWords } from '../../../protocol/search.js';
import type {
  MessageSearchQuery,
  SearchPage,
  SearchResult,
} from '../../../protocol/schemas/search.js';
import type { Actor, Deps } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { throttle } from '../../lib/throttle.js';
import { findMember } from '../conversations/conversations.queries.js';
import { presentMessages } from '../messages/message-view.js';
import type { MessageRow } from '../messages/messages.queries.js';
import { searchCandidates } from './search.queries.js';

/**
 * Messages the caller can read now whose text holds every word of the query (the last also
 * as a prefix), newest first, with the offsets of the matching words. Every candidate the
 * database finds is checked against the same rule (protocol/search.ts), so the three databases
 * answer alike; where an engine can only narrow (MariaDB and short words) more are fetched
 * until the page is full.
 */
export async function searchMessages(
  deps: Deps,
  actor: Actor,
  query: MessageSearchQuery,
): Promise<SearchPage> {
  if (!deps.config.searchEnabled) {
    throw new AppError('unavailable', 'Search is turned off on this server');
  }
  await throttle(
    deps,
    `message-search:${actor.userId}`,
    deps.config.rateLimits.searchesPerMinute,
    60_000,
    'searches',
  );
  if (
    query.conversationId !== undefined &&
    !(await findMember(deps.db, query.conversationId, actor.userId))
  ) {
    throw notFound('No such conversation');
  }
  const words = queryWords(query.q);
  const found: Array<{ row: MessageRow; highlights: Array<[number, number]> }> = [];
  let before = query.before;
  const want = query.limit + 1; // one more tells whether there is a next page
  for (;;) {
    const batch = Math.min(want * 2, 500);
    const { rows } = await searchCandidates(
      deps.db,
      deps.dbKind,
      words,
      {
        userId: actor.userId,
        conversationId: query.conversationId,
        senderId: query.senderId,
        before,
      },
      batch,
    );
    for (const row of rows) {
      const highlights = matchHighlights(row.body, words);
      if (highlights) found.push({ row, highlights });
      if (found.length === want) break;
    }
    if (found.length === want || rows.length < batch) break;
    before = rows[rows.length - 1]!.id;
  }
  const page = found.slice(0, query.limit);
  const results = await present(deps, page);
  return {
    results,
    nextBefore: found.length > query.limit ? page[page.length - 1]!.row.id : null,
  };
}

/** The messages as the wire sees them (their status is per conversation). */
async function present(
  deps: Deps,
  page: ReadonlyArray<{ row: MessageRow; highlights: Array<[number, number]> }>,
): Promise<SearchResult[]> {
  const byConversation = new Map<number, MessageRow[]>();
  for (const { row } of page) {
    const list = byConversation.get(row.conversation_id);
    if (list) list.push(row);
    else byConversation.set(row.conversation_id, [row]);
  }
  const messages = new Map<number, SearchResult['message']>();
  await Promise.all(
    [...byConversation].map(async ([conversationId, rows]) => {
      for (const m of await presentMessages(deps.db, conversationId, rows)) messages.set(m.id, m);
    }),
  );
  return page.map(({ row, highlights }) => ({ message: messages.get(row.id)!, highlights }));
}
