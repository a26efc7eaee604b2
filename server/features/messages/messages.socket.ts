import { EV } from '../../../protocol/events.js';
import {
  CursorPayload,
  MessageDeletePayload,
  MessageEditPayload,
  MessagePinPayload,
  ReactionSetPayload,
  SendMessagePayload,
  TypingPayload,
} from '../../../protocol/schemas/conversations.js';
import type { Deps } from '../../context.js';
import { chaos } from '../../lib/chaos.js';
import { handle, listen, type Gate, type ParleySocket } from '../../realtime/handler.js';
import { setTyping } from '../typing/set-typing.js';
import { deleteMessage } from './delete-message.js';
import { editMessage } from './edit-message.js';
import { pinMessage } from './pin-message.js';
import { setReaction } from './set-reaction.js';
import { markDelivered, markRead } from './move-cursors.js';
import { sendMessage } from './send-message.js';

/** Socket handlers for sending, receipts and typing: each parses and calls one use case. */
export function registerMessageHandlers(deps: Deps, socket: ParleySocket, gate: Gate): void {
  const on = listen(socket);
  on(
    EV.messageSend,
    handle(deps, socket, gate, {
      schema: SendMessagePayload,
      perSocketBudget: false,
      run: (actor, p) => sendMessage(deps, actor, p),
      afterAck: (p) => chaos('after_ack_before_fanout', p.body),
    }),
  );
  on(
    EV.messageDelivered,
    handle(deps, socket, gate, {
      schema: CursorPayload,
      perSocketBudget: true,
      run: (actor, p) => markDelivered(deps, actor, p.conversationId, p.seq),
    }),
  );
  on(
    EV.conversationRead,
    handle(deps, socket, gate, {
      schema: CursorPayload,
      perSocketBudget: true,
      run: (actor, p) => markRead(deps, actor, p.conversationId, p.seq),
    }),
  );
  on(
    EV.typing,
    handle(deps, socket, gate, {
      schema: TypingPayload,
      perSocketBudget: true,
      run: (actor, p) => setTyping(deps, actor, p),
    }),
  );
  on(
    EV.messageEdit,
    handle(deps, socket, gate, {
      schema: MessageEditPayload,
      perSocketBudget: true,
      run: (actor, p) => editMessage(deps, actor, p.messageId, p.body),
    }),
  );
  on(
    EV.messageDelete,
    handle(deps, socket, gate, {
      schema: MessageDeletePayload,
      perSocketBudget: true,
      run: (actor, p) => deleteMessage(deps, actor, p.messageId),
    }),
  );
  on(
    EV.reactionSet,
    handle(deps, socket, gate, {
      schema: ReactionSetPayload,
      perSocketBudget: true,
      run: (actor, p) => setReaction(deps, actor, p.messageId, p.emoji, p.on),
    }),
  );
  on(
    EV.messagePin,
    handle(deps, socket, gate, {
      schema: MessagePinPayload,
      perSocketBudget: true,
      run: (actor, p) => pinMessage(deps, actor, p.messageId, p.pinned),
    }),
  );
}
