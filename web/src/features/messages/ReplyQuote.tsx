import { useCallback } from 'react';
import type { Message, ReplyTo } from '../../../../protocol/schemas/conversations.js';
import { attachmentSummary } from '../attachments/format.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat } from '../realtime/ChatContext.js';
import { excerptOf, useUiDispatch } from './conversation-ui.js';
import { useName } from './MessageParts.js';

/** The held copy of a message by seq (items are ascending by seq), if any. */
export function heldBySeq(items: readonly Message[] | undefined, seq: number): Message | undefined {
  if (!items) return undefined;
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = items[mid]!;
    if (m.seq === seq) return m;
    if (m.seq < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * The quoted start of the message a reply answers, with its sender; pressing it shows the
 * original. The copy held wins over the reply's excerpt, so an edit or a deletion shows at once.
 */
export function ReplyQuote({
  conversationId,
  replyTo,
}: {
  conversationId: number;
  replyTo: ReplyTo;
}) {
  const ui = useUiDispatch();
  const original = useChat(
    useCallback(
      (s: ChatState) => heldBySeq(s.messages[conversationId]?.items, replyTo.seq),
      [conversationId, replyTo.seq],
    ),
  );
  const name = useName(replyTo.senderId);
  const deleted = original ? original.deletedAt !== null : replyTo.excerpt === '';
  const text =
    original && !deleted
      ? excerptOf(original.body) || attachmentSummary(original.attachments)
      : replyTo.excerpt;
  return (
    <button
      type="button"
      className="quote"
      data-testid="reply-quote"
      onClick={(e) => {
        e.stopPropagation();
        ui({ type: 'jump', seq: replyTo.seq, highlight: true });
      }}
      title="Show the original message"
    >
      <span className="quote__name">{name}</span>
      <span className={`quote__text${deleted ? ' quote__text--deleted' : ''}`}>
        {deleted ? 'Original message was deleted' : text}
      </span>
    </button>
  );
}
