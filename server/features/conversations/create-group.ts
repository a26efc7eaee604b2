import type { Conversation, CreateGroupInput } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { groupChangedEvents } from './conversation-events.js';
import { insertConversation, insertMembers, type MemberRow } from './conversations.queries.js';
import { appendSystemMessage } from './system-messages.js';
import { activeUserIds } from '../users/users.queries.js';

/** Creates a group owned by the caller, with the listed users as members. */
export async function createGroup(
  deps: Deps,
  actor: Actor,
  input: CreateGroupInput,
): Promise<Outcome<Conversation>> {
  const wanted = [...new Set(input.memberIds ?? [])].filter((id) => id !== actor.userId);
  const found = await activeUserIds(deps.db, wanted);
  const missing = wanted.filter((id) => !found.has(id));
  if (missing.length)
    throw validationFailed({ memberIds: `unknown or inactive users: ${missing.join(', ')}` });

  const id = await deps.db.transaction().execute(async (trx) => {
    const now = deps.now();
    const conversationId = await insertConversation(trx, deps.dbKind, {
      kind: 'group',
      name: input.name,
      topic: input.topic ?? '',
      is_private: input.isPrivate ? 1 : 0,
      created_by: actor.userId,
      created_at: now,
      last_seq: 0,
      last_message_at: now,
      direct_key: null,
    });
    const created = await appendSystemMessage(
      trx,
      deps,
      conversationId,
      actor.userId,
      'room_created',
      actor.userId,
      { name: input.name },
    );
    const member = (userId: number, role: MemberRow['role']): Omit<MemberRow, 'notify'> => ({
      conversation_id: conversationId,
      user_id: userId,
      role,
      joined_at: now,
      delivered_seq: created.seq,
      read_seq: created.seq,
      muted: 0,
    });
    await insertMembers(trx, [
      member(actor.userId, 'owner'),
      ...wanted.map((u) => member(u, 'member')),
    ]);
    return conversationId;
  });
  // The room_created message is already read by everyone, so it is not fanned out as new.
  const events = await groupChangedEvents(deps, id, []);
  const mine = events
    .find((e) => e.type === 'conversation.updated')
    ?.views.find((v) => v.userId === actor.userId);
  return { data: mine!.conversation, events };
}
