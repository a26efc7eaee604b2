import type {
  Conversation,
  ConversationWithMembers,
  PublicGroupsQuery,
} from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { escapeLike } from '../../db/database.js';
import { sql } from 'kysely';
import { loadReadable } from './conversation.policy.js';
import { presentForUser, toMember } from './conversation.presenter.js';
import { listMemberRows, usersByIds } from './conversations.queries.js';

/** The caller's conversations, newest activity first. */
export async function listConversations(deps: Deps, actor: Actor): Promise<Conversation[]> {
  const rows = await deps.db
    .selectFrom('members')
    .innerJoin('conversations', 'conversations.id', 'members.conversation_id')
    .selectAll('conversations')
    .select(['members.role', 'members.read_seq', 'members.muted'])
    .where('members.user_id', '=', actor.userId)
    .orderBy('conversations.last_message_at', 'desc')
    .orderBy('conversations.id', 'desc')
    .execute();
  return presentForUser(
    deps,
    actor.userId,
    rows.map(({ role, read_seq, muted, ...row }) => ({ row, member: { role, read_seq, muted } })),
  );
}

/** One conversation with its members; public groups are readable by anyone signed in. */
export async function getConversation(
  deps: Deps,
  actor: Actor,
  id: number,
): Promise<ConversationWithMembers> {
  const { conversation, member } = await loadReadable(deps, actor, id);
  const [[view], members] = await Promise.all([
    presentForUser(deps, actor.userId, [{ row: conversation, member }]),
    listMemberRows(deps.db, id),
  ]);
  const users = await usersByIds(
    deps.db,
    members.map((m) => m.user_id),
  );
  return {
    ...view!,
    members: members.flatMap((m) => {
      const u = users.get(m.user_id);
      return u ? [toMember(deps, m, u)] : [];
    }),
  };
}

const PUBLIC_LIMIT = 50;

/** Public groups matching a name query, joined or not, most active first. */
export async function browsePublicGroups(
  deps: Deps,
  actor: Actor,
  query: PublicGroupsQuery,
): Promise<Conversation[]> {
  let q = deps.db
    .selectFrom('conversations')
    .leftJoin('members', (j) =>
      j
        .onRef('members.conversation_id', '=', 'conversations.id')
        .on('members.user_id', '=', actor.userId),
    )
    .selectAll('conversations')
    .select(['members.role', 'members.read_seq', 'members.muted'])
    .where('conversations.kind', '=', 'group')
    .where('conversations.is_private', '=', 0);
  const needle = query.query.trim().toLowerCase();
  if (needle !== '') {
    q = q.where(
      sql<boolean>`lower(conversations.name) like ${`%${escapeLike(needle)}%`} escape '!'`,
    );
  }
  const rows = await q
    .orderBy('conversations.last_message_at', 'desc')
    .orderBy('conversations.id', 'desc')
    .limit(PUBLIC_LIMIT)
    .execute();
  return presentForUser(
    deps,
    actor.userId,
    rows.map(({ role, read_seq, muted, ...row }) => ({
      row,
      member:
        role === null || read_seq === null || muted === null ? null : { role, read_seq, muted },
    })),
  );
}
