import { LIMITS } from '../../../protocol/limits.js';
import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { affectedBy, firstOf, rowsOf } from '../../db/steps.js';
import { validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { changeMessage } from './change-message.js';
import { checkReact } from './message.policy.js';
import {
  deleteReaction,
  insertReaction,
  selectReaction,
  selectReactionEmoji,
} from './messages.queries.js';

/**
 * A member adds (`on`) or removes their reaction with one emoji. Setting a reaction already
 * there, or removing one that is not, changes nothing. A message holds at most
 * LIMITS.reactionsPerMessageMax distinct emoji.
 */
export function setReaction(
  deps: Deps,
  actor: Actor,
  messageId: number,
  emoji: string,
  on: boolean,
): Promise<Outcome<Message>> {
  return changeMessage(deps, actor, messageId, function* ({ db, message, now }) {
    checkReact(message);
    const mine = yield* firstOf(selectReaction(db, message.id, actor.userId, emoji));
    if (on === (mine !== undefined)) return null;
    if (on) {
      const used = (yield* rowsOf(selectReactionEmoji(db, message.id))).map((r) => r.emoji);
      if (!used.includes(emoji) && used.length >= LIMITS.reactionsPerMessageMax) {
        throw validationFailed(
          { emoji: `a message holds at most ${LIMITS.reactionsPerMessageMax} different emoji` },
          'This message has as many different reactions as it can hold',
        );
      }
      yield* affectedBy(
        insertReaction(db, { messageId: message.id, userId: actor.userId, emoji, now }),
      );
    } else {
      yield* affectedBy(deleteReaction(db, message.id, actor.userId, emoji));
    }
    return { patch: {}, touchesReplies: false };
  });
}
