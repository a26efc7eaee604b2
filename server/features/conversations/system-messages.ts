import type { SystemEvent } from '../../../protocol/schemas/conversations.js';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { MessageRow } from '../messages/messages.queries.js';
import { appendMessage } from '../messages/messages.queries.js';

const TEXT: Record<SystemEvent, string> = {
  room_created: 'created the group',
  member_joined: 'joined',
  member_left: 'left',
  member_added: 'added a member',
  member_removed: 'removed a member',
  role_changed: 'changed a role',
  room_renamed: 'renamed the group',
};

/**
 * Appends a system message (a real message with the next seq) in the caller's transaction.
 * `meta` is `{event, userId, actorId}` plus any extra facts (new name, new role).
 */
export async function appendSystemMessage(
  trx: Db,
  deps: Deps,
  conversationId: number,
  actorId: number,
  event: SystemEvent,
  userId: number,
  extra: Record<string, unknown> = {},
): Promise<MessageRow> {
  const row = await appendMessage(trx, deps.dbKind, {
    conversationId,
    senderId: actorId,
    clientId: null,
    kind: 'system',
    body: TEXT[event],
    meta: { event, userId, actorId, ...extra },
    now: deps.now(),
  });
  if (!row) throw new AppError('not_found', 'No such conversation');
  return row;
}
