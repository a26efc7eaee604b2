import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import type { Outcome } from '../../events.js';
import { affectedBy, rowsOf } from '../../db/steps.js';
import {
  deleteMessageFiles,
  objectKeysOf,
  selectMessageFiles,
} from '../files/attachments.queries.js';
import { unindexStatement } from '../search/search.queries.js';
import { changeMessage } from './change-message.js';
import { checkDelete } from './message.policy.js';
import { deleteReactionsOf } from './messages.queries.js';

/**
 * Deletes a text message, leaving a tombstone: it keeps its id, seq and sender; its body,
 * reactions, reply, pin and files are gone (the stored objects are removed after the commit).
 * Deleting it again changes nothing.
 */
export function deleteMessage(
  deps: Deps,
  actor: Actor,
  messageId: number,
): Promise<Outcome<Message>> {
  return changeMessage(deps, actor, messageId, function* (c) {
    const { db, message, now } = c;
    checkDelete(message, actor.userId, c.conversation, c.role);
    if (message.deleted_at !== null) return null;
    yield* affectedBy(deleteReactionsOf(db, message.id));
    // Never found again (taken out whether or not search is on now: it may have been before).
    yield* affectedBy(unindexStatement(db, c.kind, message.id));
    const files = yield* rowsOf(selectMessageFiles(db, message.id));
    if (files.length) yield* affectedBy(deleteMessageFiles(db, message.id));
    return {
      patch: { body: '', deleted_at: now, reply_to_id: null, pinned_by: null, pinned_at: null },
      touchesReplies: true,
      mentions: [],
      discard: objectKeysOf(files),
    };
  });
}
