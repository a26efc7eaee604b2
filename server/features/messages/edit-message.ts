import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { changeMessage } from './change-message.js';
import { checkEdit } from './message.policy.js';

/**
 * The sender replaces the body of their text message (`editedAt` set). The same body again
 * changes nothing. Only a message with attachments may be left without text, and messages
 * have none yet, so an empty body is refused.
 */
export function editMessage(
  deps: Deps,
  actor: Actor,
  messageId: number,
  body: string,
): Promise<Outcome<Message>> {
  // eslint-disable-next-line require-yield -- a decision that needs no query of its own
  return changeMessage(deps, actor, messageId, function* ({ message, now }) {
    checkEdit(message, actor.userId);
    if (body === '') throw validationFailed({ body: 'must not be empty' });
    if (body === message.body) return null;
    return { patch: { body, edited_at: now }, touchesReplies: true };
  });
}
