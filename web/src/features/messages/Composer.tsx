import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { hasVisibleCharacter, storedLength, trimSpace } from '../../../../protocol/text.js';
import { Icon } from '../../ui/Icon.js';
import { AttachButton } from '../attachments/AttachButton.js';
import { PendingUploads } from '../attachments/PendingUploads.js';
import { filesFromPaste } from '../attachments/transfer.js';
import { sendBlocker } from '../attachments/upload-queue.js';
import { useUploadQueue } from '../attachments/useUploadQueue.js';
import { ShortcodePicker } from '../emoji/ShortcodePicker.js';
import { useShortcodePicker } from '../emoji/useShortcodePicker.js';
import { MentionPicker } from '../mentions/MentionPicker.js';
import { useMentionPicker } from '../mentions/useMentionPicker.js';
import { useClient, useMe } from '../realtime/ChatContext.js';
import { useConversationUi, useUiDispatch, type ConversationUi } from './conversation-ui.js';
import { drafts } from './drafts.js';
import { lastEditable } from './messages-state.js';
import { ReactionPicker } from './ReactionPicker.js';
import { ReplyBar } from './ReplyBar.js';

const selectReplyTo = (s: ConversationUi) => s.replyTo;

/** A touch screen without a mouse: Enter is the keyboard's new-line key there. */
const coarsePointer = () =>
  typeof window.matchMedia === 'function' && window.matchMedia('(pointer: coarse)').matches;
const selectEditing = (s: ConversationUi) => s.editingId;

/**
 * The message box: Enter sends, Shift+Enter starts a new line (on a touch screen Enter starts
 * a new line and the button sends); typing is signalled. Up arrow in an empty box edits my last
 * message; Escape stops replying. `@` offers members, `:` emoji; a button opens the picker.
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
  const [text, setText] = useState(() => drafts.get(me.id, conversationId));
  const ref = useRef<HTMLTextAreaElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const uploads = useUploadQueue(me.id, conversationId);
  const hasFiles = uploads.state.items.length > 0;
  const filesWaiting = sendBlocker(uploads.state);

  const update = (value: string) => {
    setText(value);
    drafts.set(me.id, conversationId, value);
    client.setTyping(conversationId, value.trim() !== '');
  };
  const mention = useMentionPicker(conversationId, ref, text, update);
  const shortcode = useShortcodePicker(ref, text, update);
  const [emojiOpen, setEmojiOpen] = useState(false);
  const emojiButton = useRef<HTMLButtonElement>(null);

  /** Puts an emoji from the picker where the caret was. */
  const insertEmoji = (emoji: string) => {
    const el = ref.current;
    const from = el?.selectionStart ?? text.length;
    const to = el?.selectionEnd ?? text.length;
    const next = text.slice(0, from) + emoji + text.slice(to);
    update(next);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(from + emoji.length, from + emoji.length);
    });
  };

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
    // The server's rules: only invisible characters count as no text, and the limit counts
    // UTF-16 units, so an emoji is two.
    const typed = trimSpace(text);
    const body = hasVisibleCharacter(typed) ? typed : '';
    if ((body === '' && !hasFiles) || storedLength(body) > LIMITS.messageBodyMax) return;
    // Files go with the message once every one of them is stored.
    const attachments = hasFiles ? uploads.queue.take() : [];
    if (attachments === null) return;
    client.send(conversationId, body, replyTo, attachments);
    client.setTyping(conversationId, false);
    setText('');
    drafts.set(me.id, conversationId, '');
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
    if (e.nativeEvent.isComposing || mention.onKeyDown(e) || shortcode.onKeyDown(e)) return;
    // On a touch screen Enter starts a new line, as on a phone's keyboard; the button sends.
    if (e.key === 'Enter' && !e.shiftKey && !coarsePointer()) {
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

  const length = storedLength(text);
  const blank = !hasVisibleCharacter(text);
  const over = length > LIMITS.messageBodyMax;
  return (
    <div className="composer-area">
      {replyTo && <ReplyBar replyTo={replyTo} />}
      <PendingUploads queue={uploads.queue} state={uploads.state} />
      <form className="composer" onSubmit={onSubmit}>
        <div className="composer__box" ref={boxRef}>
          <AttachButton
            onFiles={(files) => {
              uploads.queue.add(files);
              ref.current?.focus();
            }}
          />
          <textarea
            ref={ref}
            rows={1}
            value={text}
            placeholder={placeholder}
            aria-label="Message"
            onChange={(e) => {
              update(e.target.value);
              mention.track(e.target);
              shortcode.onChange(e.target);
            }}
            onKeyDown={onKeyDown}
            onPaste={(e) => {
              const files = filesFromPaste(e.clipboardData);
              if (files.length === 0) return;
              e.preventDefault();
              uploads.queue.add(files);
            }}
            onBlur={() => {
              client.setTyping(conversationId, false);
              mention.close();
              shortcode.close();
            }}
            {...mention.inputProps}
            onSelect={(e) => {
              mention.inputProps.onSelect(e);
              shortcode.track(e.currentTarget);
            }}
            {...shortcode.aria}
          />
          {mention.picker && <MentionPicker picker={mention.picker} anchor={boxRef.current} />}
          {shortcode.picker && !mention.picker && (
            <ShortcodePicker picker={shortcode.picker} anchor={boxRef.current} />
          )}
          <button
            type="button"
            ref={emojiButton}
            className="icon-button icon-button--small composer__emoji"
            aria-label="Insert emoji"
            title="Insert emoji"
            aria-expanded={emojiOpen}
            onClick={() => setEmojiOpen((o) => !o)}
          >
            <Icon name="smile" size={20} />
          </button>
          {emojiOpen && emojiButton.current && (
            <ReactionPicker
              anchor={emojiButton.current}
              label="Insert an emoji"
              onPick={insertEmoji}
              onClose={() => setEmojiOpen(false)}
            />
          )}
          {length > LIMITS.messageBodyMax - 500 && (
            <span className={`composer__count${over ? ' composer__count--over' : ''}`}>
              {LIMITS.messageBodyMax - length}
            </span>
          )}
        </div>
        <button
          type="submit"
          className="composer__send"
          disabled={(blank && !hasFiles) || over || filesWaiting !== null}
          aria-label="Send"
          title={filesWaiting ?? 'Send (Enter)'}
        >
          <Icon name="send" size={20} />
        </button>
      </form>
    </div>
  );
}
