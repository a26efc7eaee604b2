import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { Icon } from '../../ui/Icon.js';
import { useClient } from '../realtime/ChatContext.js';

/** Drafts survive switching conversations (kept for this page only). */
const drafts = new Map<number, string>();

/** The message box: Enter sends, Shift+Enter starts a new line; typing is signalled. */
export function Composer({
  conversationId,
  placeholder,
}: {
  conversationId: number;
  placeholder: string;
}) {
  const client = useClient();
  const [text, setText] = useState(() => drafts.get(conversationId) ?? '');
  const ref = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    ref.current?.focus();
    return () => client.setTyping(conversationId, false);
  }, [client, conversationId]);

  // Grow with the text, up to a limit (then it scrolls).
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const update = (value: string) => {
    setText(value);
    drafts.set(conversationId, value);
    client.setTyping(conversationId, value.trim() !== '');
  };

  const send = () => {
    const body = text.trim();
    if (body === '' || [...body].length > LIMITS.messageBodyMax) return;
    client.send(conversationId, body);
    client.setTyping(conversationId, false);
    setText('');
    drafts.delete(conversationId);
    ref.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };

  const length = [...text.trim()].length;
  const over = length > LIMITS.messageBodyMax;
  return (
    <form className="composer" onSubmit={onSubmit}>
      <div className="composer__box">
        <textarea
          ref={ref}
          rows={1}
          value={text}
          placeholder={placeholder}
          aria-label="Message"
          onChange={(e) => update(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={() => client.setTyping(conversationId, false)}
        />
        {length > LIMITS.messageBodyMax - 500 && (
          <span className={`composer__count${over ? ' composer__count--over' : ''}`}>
            {LIMITS.messageBodyMax - length}
          </span>
        )}
      </div>
      <button
        type="submit"
        className="composer__send"
        disabled={length === 0 || over}
        aria-label="Send"
        title="Send (Enter)"
      >
        <Icon name="send" size={20} />
      </button>
    </form>
  );
}
