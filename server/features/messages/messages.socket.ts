import { EV } from '../../../protocol/events.js';
import {
  CursorPayload,
  SendMessagePayload,
  TypingPayload,
} from '../../../protocol/schemas/conversations.js';
import type { Deps } from '../../context.js';
import { chaos } from '../../lib/chaos.js';
import { handle, type Gate, type ParleySocket } from '../../realtime/handler.js';
import { setTyping } from '../typing/set-typing.js';
import { markDelivered, markRead } from './move-cursors.js';
import { sendMessage } from './send-message.js';

/** Socket handlers for sending, receipts and typing: each parses and calls one use case. */
export function registerMessageHandlers(deps: Deps, socket: ParleySocket, gate: Gate): void {
  // Socket.IO passes the ack callback last, whatever came before it: an event with no payload
  // or extra arguments must still be answered (and refused), not run without an ack.
  const on = (event: string, fn: (payload: unknown, ack?: unknown) => Promise<void>) =>
    (socket as unknown as { on: (e: string, f: (...a: unknown[]) => void) => void }).on(
      event,
      (...args) => {
        const ack = typeof args.at(-1) === 'function' ? args.pop() : undefined;
        void fn(args.length <= 1 ? args[0] : args, ack);
      },
    );

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
}
