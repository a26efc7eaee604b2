import { useCallback, useEffect, useState } from 'react';
import { typingUsers } from '../realtime/chat-selectors.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat } from '../realtime/ChatContext.js';

/** "Alice is typing…", "Alice and Bob are typing…", "3 people are typing…". */
export function typingText(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/** The names of who is typing in a conversation now; the clock ticks only while someone is. */
export function useTypingNames(conversationId: number): string[] {
  const here = useChat(useCallback((s: ChatState) => s.typing[conversationId], [conversationId]));
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!here || Object.keys(here).length === 0) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [here]);
  // Newline-joined, so the selected value is a stable string.
  const joined = useChat(
    useCallback(
      (s: ChatState) =>
        typingUsers(s, conversationId, now)
          .map((id) => s.users[id]?.displayName ?? 'Someone')
          .sort()
          .join('\n'),
      [conversationId, now],
    ),
  );
  return joined === '' ? [] : joined.split('\n');
}

export function TypingIndicator({ conversationId }: { conversationId: number }) {
  const names = useTypingNames(conversationId);
  return (
    <div className="typing" aria-live="polite" data-testid="typing">
      {names.length > 0 && (
        <>
          <span className="typing__dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          <span>{typingText(names)}</span>
        </>
      )}
    </div>
  );
}
