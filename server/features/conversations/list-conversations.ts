import type {
  Conversation,
  ConversationWithMembers,
  PublicGroupsQuery,
} from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { loadReadable } from './conversation.policy.js';
import { presentForUser, toMember } from './conversation.presenter.js';
import {
  listMemberRows,
  listMembershipsOf,
  searchPublicGroups,
  usersByIds,
} from './conversations.queries.js';

/** The caller's conversations, newest activity first. */
export async function listConversations(deps: Deps, actor: Actor): Promise<Conversation[]> {
  const rows = await listMembershipsOf(deps.db, actor.userId);
  return presentForUser(
    deps,
    actor.userId,
    rows.map(({ role, read_seq, muted, notify, ...row }) => ({
      row,
      member: { role, read_seq, muted, notify },
    })),
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
  const rows = await searchPublicGroups(deps.db, actor.userId, query.query, PUBLIC_LIMIT);
  return presentForUser(
    deps,
    actor.userId,
    rows.map(({ role, read_seq, muted, notify, ...row }) => ({
      row,
      member:
        role === null || read_seq === null || muted === null || notify === null
          ? null
          : { role, read_seq, muted, notify },
    })),
  );
}
