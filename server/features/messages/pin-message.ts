import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import type { Outcome } from '../../events.js';
import { changeMessage } from './change-message.js';
import { checkPin } from './message.policy.js';

/** Pins or unpins a text message; asking for the state it is already in changes nothing. */
export function pinMessage(
  deps: Deps,
  actor: Actor,
  messageId: number,
  pinned: boolean,
): Promise<Outcome<Message>> {
  // eslint-disable-next-line require-yield -- a decision that needs no query of its own
  return changeMessage(deps, actor, messageId, function* ({ message, conversation, role, now }) {
    checkPin(message, conversation, role);
    if (pinned === (message.pinned_at !== null)) return null;
    return {
      patch: pinned
        ? { pinned_by: actor.userId, pinned_at: now }
        : { pinned_by: null, pinned_at: null },
      touchesReplies: false,
    };
  });
}
