import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { mentionedIds } from '../../../protocol/mentions.js';
import { affectedBy, firstOf, rowsOf } from '../../db/steps.js';
import { selectMessageFiles } from '../files/attachments.queries.js';
import { indexStatement, unindexStatement } from '../search/search.queries.js';
import { changeMessage } from './change-message.js';
import { selectMemberKeys } from './messages.queries.js';
import { checkEdit } from './message.policy.js';

/**
 * The sender replaces the body of their text message (`editedAt` set; mentions computed
 * again); its attachments stay as they are. The same body again changes nothing. Only a
 * message with attachments may be left without text.
 */
export function editMessage(
  deps: Deps,
  actor: Actor,
  messageId: number,
  body: string,
): Promise<Outcome<Message>> {
  return changeMessage(deps, actor, messageId, function* ({ db, kind, indexed, message, now }) {
    checkEdit(message, actor.userId);
    if (body === '' && !(yield* firstOf(selectMessageFiles(db, message.id).limit(1)))) {
      throw validationFailed(
        { body: 'must not be empty' },
        'Only a message with attachments may be left without text',
      );
    }
    if (body === message.body) return null;
    // Mentions are computed again, from the members at this moment.
    const mentions = body.includes('@')
      ? mentionedIds(
          body,
          new Map(
            (yield* rowsOf(selectMemberKeys(db, message.conversation_id))).map((r) => [
              r.username_key,
              r.id,
            ]),
          ),
        )
      : [];
    // Found by its new words only.
    if (indexed) {
      yield* affectedBy(unindexStatement(db, kind, message.id));
      const index = indexStatement(db, kind, message.id, body);
      if (index) yield* affectedBy(index);
    }
    return { patch: { body, edited_at: now }, touchesReplies: true, mentions };
  });
}
