import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { Icon } from '../../ui/Icon.js';
import { MentionPicker } from '../mentions/MentionPicker.js';
import { useMentionPicker } from '../mentions/useMentionPicker.js';
import { useClient, useMe } from '../realtime/ChatContext.js';
import { useConversationUi, useUiDispatch, type ConversationUi } from './conversation-ui.js';
import { lastEditable } from './messages-state.js';
import { ReplyBar } from './ReplyBar.js';

/** Drafts survive switching conversations (kept for this page only). */
const drafts = new Map<number, string>();

const selectReplyTo = (s: ConversationUi) => s.replyTo;
const selectEditing = (s: ConversationUi) => s.editingId;

/**
 * The message box: Enter sends, Shift+Enter starts a new line; typing is signalled. Up arrow
 * in an empty box edits my last message; Escape stops replying.
 */
export function Composer({
  conversationId,
  placeholder,
}: {
  conversationId: number;
  placeholder: string;
}) {
  const client = useClient();
  const me = useMe();
  const ui = useUiDispatch();
  const replyTo = useConversationUi(selectReplyTo);
  const editingId = useConversationUi(selectEditing);
  const [text, setText] = useState(() => drafts.get(conversationId) ?? '');
  const ref = useRef<HTMLTextAreaElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);

  const update = (value: string) => {
    setText(value);
    drafts.set(conversationId, value);
    client.setTyping(conversationId, value.trim() !== '');
  };
  const mention = useMentionPicker(conversationId, ref, text, update);

  useEffect(() => {
    ref.current?.focus();
    return () => client.setTyping(conversationId, false);
  }, [client, conversationId]);

  // Starting a reply, or finishing an edit, brings the typing back here.
  const wasEditing = useRef(editingId !== null);
  useEffect(() => {
    if (replyTo || (wasEditing.current && editingId === null)) ref.current?.focus();
    wasEditing.current = editingId !== null;
  }, [replyTo, editingId]);

  // Grow with the text, up to a limit (then it scrolls).
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const send = () => {
    const body = text.trim();
    if (body === '' || [...body].length > LIMITS.messageBodyMax) return;
    client.send(conversationId, body, replyTo);
    client.setTyping(conversationId, false);
    setText('');
    drafts.delete(conversationId);
    if (replyTo) ui({ type: 'reply', message: null });
    ref.current?.focus();
  };

  const editLast = useCallback(() => {
    const m = lastEditable(client.store.getState().messages[conversationId], me.id);
    if (!m) return false;
    ui({ type: 'edit', id: m.id });
    ui({ type: 'jump', seq: m.seq, highlight: false });
    return true;
  }, [client, conversationId, me.id, ui]);

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing || mention.onKeyDown(e)) return;
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      send();
    } else if (e.key === 'ArrowUp' && text === '' && !e.shiftKey && !e.altKey) {
      if (editLast()) e.preventDefault();
    } else if (e.key === 'Escape' && replyTo) {
      e.preventDefault();
      ui({ type: 'reply', message: null });
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };

  const length = [...text.trim()].length;
  const over = length > LIMITS.messageBodyMax;
  return (
    <div className="composer-area">
      {replyTo && <ReplyBar replyTo={replyTo} />}
      <form className="composer" onSubmit={onSubmit}>
        <div className="composer__box" ref={boxRef}>
          <textarea
            ref={ref}
            rows={1}
            value={text}
            placeholder={placeholder}
            aria-label="Message"
            onChange={(e) => {
              update(e.target.value);
              mention.track(e.target);
            }}
            onKeyDown={onKeyDown}
            onBlur={() => {
              client.setTyping(conversationId, false);
              mention.close();
            }}
            {...mention.inputProps}
          />
          {mention.picker && <MentionPicker picker={mention.picker} anchor={boxRef.current} />}
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
    </div>
  );
}
