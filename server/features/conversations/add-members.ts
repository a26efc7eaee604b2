import type { AddMembersInput, Member } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { forbidden, validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { canManage, loadGroupAsMember, lockForMember } from './conversation.policy.js';
import { toMember } from './conversation.presenter.js';
import { groupChangedEvents } from './conversation-events.js';
import { insertMembers, listMemberRows, usersByIds } from './conversations.queries.js';
import { activeUserIds } from '../users/users.queries.js';
import { appendSystemMessage } from './system-messages.js';

/** Owners and admins add users to a group; users already in it are left as they are. */
export async function addMembers(
  deps: Deps,
  actor: Actor,
  id: number,
  input: AddMembersInput,
): Promise<Outcome<Member[]>> {
  const { member } = await loadGroupAsMember(deps, actor, id);
  const mayAdd = (m: typeof member) => {
    if (!canManage(m.role)) throw forbidden('Only the owner or an admin can add members');
  };
  mayAdd(member);
  const wanted = [...new Set(input.userIds)];
  const found = await activeUserIds(deps.db, wanted);
  const missing = wanted.filter((u) => !found.has(u));
  if (missing.length)
    throw validationFailed({ userIds: `unknown or inactive users: ${missing.join(', ')}` });

  const { added, messages } = await deps.db.transaction().execute(async (trx) => {
    mayAdd((await lockForMember(trx, deps, actor, id)).member);
    const current = new Set((await listMemberRows(trx, id)).map((m) => m.user_id));
    const toAdd = wanted.filter((u) => !current.has(u));
    const msgs = [];
    for (const u of toAdd)
      msgs.push(await appendSystemMessage(trx, deps, id, actor.userId, 'member_added', u));
    const seq = msgs.length ? msgs[msgs.length - 1]!.seq : 0;
    const now = deps.now();
    await insertMembers(
      trx,
      toAdd.map((u) => ({
        conversation_id: id,
        user_id: u,
        role: 'member',
        joined_at: now,
        delivered_seq: seq,
        read_seq: seq,
        muted: 0,
      })),
    );
    return { added: toAdd, messages: msgs };
  });

  const rows = (await listMemberRows(deps.db, id)).filter((m) => added.includes(m.user_id));
  const users = await usersByIds(deps.db, added);
  const events = added.length ? await groupChangedEvents(deps, id, messages, added) : [];
  if (added.length) events.push({ type: 'membership.changed', conversationId: id, userIds: added });
  return {
    data: rows.flatMap((m) =>
      users.get(m.user_id) ? [toMember(deps, m, users.get(m.user_id)!)] : [],
    ),
    events,
  };
}
