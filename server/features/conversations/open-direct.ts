import type { Conversation } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { isUniqueViolation, notFound, validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { findUserById } from '../users/users.queries.js';
import { presentForMembers } from './conversation.presenter.js';
import {
  findDirectConversation,
  insertConversation,
  insertMembers,
  listMemberRows,
  type ConversationRow,
} from './conversations.queries.js';

const directKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/**
 * The direct conversation between the caller and another user, created on first use.
 * The unique direct_key makes it one per pair even when both open it at the same moment.
 */
export async function openDirect(
  deps: Deps,
  actor: Actor,
  userId: number,
): Promise<Outcome<{ conversation: Conversation; created: boolean }>> {
  if (userId === actor.userId) throw validationFailed({ userId: 'cannot be yourself' });
  const other = await findUserById(deps.db, userId);
  if (!other || !other.is_active) throw notFound('No such user');
  const key = directKey(actor.userId, userId);

  let row: ConversationRow | undefined = await findDirectConversation(deps.db, key);
  let created = false;
  if (!row) {
    try {
      const now = deps.now();
      await deps.db.transaction().execute(async (trx) => {
        const id = await insertConversation(trx, deps.dbKind, {
          kind: 'direct',
          name: null,
          topic: null,
          is_private: 1,
          created_by: actor.userId,
          created_at: now,
          last_seq: 0,
          last_message_at: now,
          direct_key: key,
        });
        await insertMembers(trx, [
          {
            conversation_id: id,
            user_id: actor.userId,
            role: 'member',
            joined_at: now,
            delivered_seq: 0,
            read_seq: 0,
            muted: 0,
          },
          {
            conversation_id: id,
            user_id: userId,
            role: 'member',
            joined_at: now,
            delivered_seq: 0,
            read_seq: 0,
            muted: 0,
          },
        ]);
      });
      created = true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    row = await findDirectConversation(deps.db, key);
    if (!row) throw notFound('No such conversation');
  }
  const views = await presentForMembers(deps, row, await listMemberRows(deps.db, row.id));
  const mine = views.find((v) => v.userId === actor.userId)!;
  return {
    data: { conversation: mine.conversation, created },
    events: created ? [{ type: 'conversation.updated', views }] : [],
  };
}
