import type { ChangesPage, ChangesQuery } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { readConsistent } from '../../db/steps.js';
import { loadReadable } from '../conversations/conversation.policy.js';
import { presentMessages } from './message-view.js';
import { pageChanges } from './messages.queries.js';

/**
 * The messages of a conversation that were created or changed after version `since`,
 * ascending by version: what a client that was away fetches instead of the new messages alone.
 */
export async function listChanges(
  deps: Deps,
  actor: Actor,
  conversationId: number,
  query: ChangesQuery,
): Promise<ChangesPage> {
  const { conversation } = await loadReadable(deps, actor, conversationId);
  const lastVersion = Number(conversation.last_version);
  if (query.since >= lastVersion) return { messages: [], lastVersion, hasMore: false };
  return readConsistent(deps.db, deps.dbKind, async (db) => {
    const page = await pageChanges(db, conversationId, query.since, query.limit);
    return {
      messages: await presentMessages(db, conversationId, page.rows),
      lastVersion,
      hasMore: page.hasMore,
    };
  });
}
