import { useCallback, useEffect, useRef, useState } from 'react';
import type { Message } from '../../../../protocol/schemas/conversations.js';
import { readersOf } from '../realtime/chat-selectors.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat } from '../realtime/ChatContext.js';

/**
 * "Read by N" under my message in a group, with the names on hover or click: the members who
 * were in the group when it was sent and have read it since.
 */
export function ReadBy({ conversationId, message }: { conversationId: number; message: Message }) {
  const readers = useChat(
    useCallback(
      (s: ChatState) => readersOf(s, conversationId, message).join(','),
      [conversationId, message],
    ),
  );
  const names = useChat(
    useCallback(
      (s: ChatState) =>
        readers
          .split(',')
          .filter(Boolean)
          .map((id) => s.users[Number(id)]?.displayName ?? 'Someone')
          .join('\n'),
      [readers],
    ),
  );
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (
        e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.contains(e.target as Node)
      )
        setOpen(false);
    };
    document.addEventListener('keydown', close);
    document.addEventListener('mousedown', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('mousedown', close);
    };
  }, [open]);
  const list = names === '' ? [] : names.split('\n');
  if (list.length === 0) return null;
  return (
    <div className="read-by" ref={ref}>
      <button
        type="button"
        className="read-by__button"
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
        title={list.join(', ')}
      >
        Read by {list.length}
      </button>
      {open && (
        <div className="read-by__popover" role="dialog" aria-label="Read by">
          <strong>Read by</strong>
          <ul>
            {list.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
