import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Conversation, Message } from '../../../../protocol/schemas/conversations.js';
import { errorMessage } from '../../lib/http.js';
import { formatFull, formatListTime } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { attachmentSummary } from '../attachments/format.js';
import { setPinned } from '../messages/message-actions.js';
import { useName } from '../messages/MessageParts.js';
import { messagePermissions } from '../messages/permissions.js';
import { pinnedList } from '../messages/pins-state.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';

function PinItem({ m, c, onJump }: { m: Message; c: Conversation; onJump: (seq: number) => void }) {
  const client = useClient();
  const me = useMe();
  const sender = useName(m.senderId);
  const by = useName(m.pinned!.by, 'you');
  const user = useChat(useCallback((s: ChatState) => s.users[m.senderId], [m.senderId]));
  const canUnpin = messagePermissions(m, c, me.id).pin;
  return (
    <li className="pin" data-testid="pin">
      <button type="button" className="pin__open" onClick={() => onJump(m.seq)}>
        <Avatar
          name={user?.displayName ?? sender}
          url={user?.avatarUrl}
          seed={m.senderId}
          size={32}
        />
        <span className="pin__text">
          <span className="pin__top">
            <strong>{sender}</strong>
            <time dateTime={m.createdAt} title={formatFull(m.createdAt)}>
              {formatListTime(m.createdAt)}
            </time>
          </span>
          <span className="pin__body">{m.body || attachmentSummary(m.attachments)}</span>
          <span className="pin__by" title={formatFull(m.pinned!.at)}>
            Pinned by {by}
          </span>
        </span>
      </button>
      {canUnpin && (
        <button
          type="button"
          className="icon-button icon-button--small"
          onClick={() => void setPinned(client, m, false)}
          aria-label={`Unpin the message from ${sender}`}
          title="Unpin"
        >
          <Icon name="close" size={16} />
        </button>
      )}
    </li>
  );
}

/** The pinned messages of a conversation, latest pin first; pressing one shows it in the list. */
export function PinsPanel({
  c,
  onJump,
  onClose,
}: {
  c: Conversation;
  onJump: (seq: number) => void;
  onClose: () => void;
}) {
  const client = useClient();
  const held = useChat(useCallback((s: ChatState) => s.pins[c.id], [c.id]));
  const list = useMemo(() => (held ? pinnedList(held) : []), [held]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    client.loadPins(c.id).catch((err: unknown) => setError(errorMessage(err)));
  }, [client, c.id]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented && !document.querySelector('dialog[open]'))
        onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <aside className="panel" aria-label="Pinned messages" data-testid="pins-panel">
      <header className="panel__header">
        <h2>Pinned messages</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
          <Icon name="close" />
        </button>
      </header>
      <div className="panel__body">
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : !held ? (
          <div className="panel__empty">
            <Spinner label="Loading pinned messages" />
          </div>
        ) : list.length === 0 ? (
          <div className="panel__empty">
            <Icon name="pin" size={28} />
            <p>No pinned messages yet.</p>
            <p className="muted">Pin a message from its menu to keep it here.</p>
          </div>
        ) : (
          <ul className="pins">
            {list.map((m) => (
              <PinItem key={m.id} m={m} c={c} onJump={onJump} />
            ))}
          </ul>
        )}
      </div>
    </aside>
  );
}
