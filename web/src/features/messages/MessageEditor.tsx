import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { hasVisibleCharacter, storedLength, trimSpace } from '../../../../protocol/text.js';
import type { Message } from '../../../../protocol/schemas/conversations.js';
import { errorMessage } from '../../lib/http.js';
import { MentionPicker } from '../mentions/MentionPicker.js';
import { useMentionPicker } from '../mentions/useMentionPicker.js';
import { useClient } from '../realtime/ChatContext.js';
import { useUiDispatch } from './conversation-ui.js';

/**
 * A message's text, editable in place: Enter saves (`message:edit`), Shift+Enter starts a new
 * line, Escape cancels. Emptying it asks whether to delete the message instead.
 */
export function MessageEditor({ message }: { message: Message }) {
  const client = useClient();
  const ui = useUiDispatch();
  const [text, setText] = useState(message.body);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const mention = useMentionPicker(message.conversationId, ref, text, setText);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  const close = () => ui({ type: 'edit', id: null });

  const save = async () => {
    const typed = trimSpace(text);
    const body = hasVisibleCharacter(typed) ? typed : '';
    if (body === message.body) return close();
    // Emptied: a message of text alone goes (after asking); one with files keeps its files.
    if (body === '' && message.attachments.length === 0) {
      ui({
        type: 'overlay',
        overlay: { kind: 'delete', messageId: message.id, anchor: null, returnTo: ref.current },
      });
      return;
    }
    if (storedLength(body) > LIMITS.messageBodyMax) {
      setError(`A message can be at most ${LIMITS.messageBodyMax} characters long`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await client.change('message:edit', { messageId: message.id, body });
      close();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (mention.onKeyDown(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (!busy) void save();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  };

  return (
    <div className="editor" data-testid="message-editor" ref={box}>
      <textarea
        ref={ref}
        rows={1}
        value={text}
        aria-label="Edit message"
        onChange={(e) => {
          setText(e.target.value);
          mention.track(e.target);
        }}
        onKeyDown={onKeyDown}
        onBlur={mention.close}
        disabled={busy}
        {...mention.inputProps}
      />
      {mention.picker && <MentionPicker picker={mention.picker} anchor={box.current} />}
      <div className="editor__bar">
        <span className="editor__hint">
          Escape to{' '}
          <button type="button" className="link-button" onClick={close}>
            cancel
          </button>{' '}
          · Enter to{' '}
          <button type="button" className="link-button" onClick={() => void save()} disabled={busy}>
            save
          </button>
        </span>
      </div>
      {error && (
        <p className="form-error editor__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
