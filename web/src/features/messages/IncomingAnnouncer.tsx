import { useCallback, useEffect, useRef, useState } from 'react';
import type { Message } from '../../../../protocol/schemas/conversations.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useMe } from '../realtime/ChatContext.js';
import { loadMarkdown } from './markdown-loader.js';
import { hasMarkup } from './markup.js';
import { messageSummary } from './summary.js';

/** What a screen reader hears for a message: who, then the start of what they wrote. */
export function announcement(
  name: string,
  m: Pick<Message, 'body' | 'deletedAt' | 'attachments'>,
): string {
  return `${name}: ${messageSummary(m, 140)}`;
}

/**
 * A polite live region of the open conversation: each message that arrives from someone else
 * while it is open is read out (after what the screen reader is saying), not the history.
 */
export function IncomingAnnouncer({ conversationId }: { conversationId: number }) {
  const me = useMe();
  const newest = useChat(
    useCallback(
      (s: ChatState) => {
        const held = s.messages[conversationId];
        return held && !held.hasNewer ? held.items[held.items.length - 1] : undefined;
      },
      [conversationId],
    ),
  );
  const users = useChat(useCallback((s: ChatState) => s.users, []));
  const [said, setSaid] = useState<{ seq: number; text: string } | null>(null);
  const lastSeq = useRef<number | null>(null);
  useEffect(() => {
    if (!newest) return;
    const before = lastSeq.current;
    lastSeq.current = Math.max(before ?? 0, newest.seq);
    // The first value is the history the view opened with: nothing to announce.
    if (before === null || newest.seq <= before) return;
    if (newest.senderId === me.id || newest.kind !== 'text' || newest.deletedAt) return;
    const say = () =>
      setSaid({
        seq: newest.seq,
        text: announcement(users[newest.senderId]?.displayName ?? 'Someone', newest),
      });
    // Read without its markup ("**done**" says "done"): the parser first, if it is needed.
    if (hasMarkup(newest.body)) loadMarkdown().then(say, say);
    else say();
  }, [newest, me.id, users]);
  // Once read out it is cleared, and at once when the message is deleted: a deleted text
  // must not stay in the page, even unseen.
  const deleted = newest?.seq === said?.seq && newest?.deletedAt != null;
  useEffect(() => {
    if (deleted) setSaid(null);
    if (!said) return;
    const t = setTimeout(() => setSaid(null), 8000);
    return () => clearTimeout(t);
  }, [said, deleted]);
  const text = said && !deleted ? said.text : '';
  return (
    <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="live-announcer">
      {text}
    </div>
  );
}
