import { memo, useCallback, useEffect, useRef, useState } from 'react';
import type { MessageStatus } from '../../../../protocol/schemas/conversations.js';
import { formatClock, formatDay, formatFull } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Icon } from '../../ui/Icon.js';
import { readersOf, statusOf, type ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import { MessageText } from './MessageText.js';
import type { Row } from './rows.js';
import { systemText, systemUserIds } from './system-text.js';

const STATUS_LABEL: Record<MessageStatus | 'sending' | 'failed', string> = {
  sending: 'Sending',
  failed: 'Not sent',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
};

/** The tick after my own message: clock, one check, two checks, two coloured checks. */
export function Ticks({ status }: { status: MessageStatus | 'sending' | 'failed' }) {
  const icon =
    status === 'sending'
      ? 'clock'
      : status === 'failed'
        ? 'alert'
        : status === 'sent'
          ? 'check'
          : 'checks';
  return (
    <span
      className={`ticks ticks--${status}`}
      data-status={status}
      title={STATUS_LABEL[status]}
      role="img"
      aria-label={STATUS_LABEL[status]}
    >
      <Icon name={icon} size={16} strokeWidth={2} />
    </span>
  );
}

/** A user's display name from the cache (asking the server for unknown ones). */
function useName(id: number): string {
  const client = useClient();
  const me = useMe();
  const name = useChat(useCallback((s: ChatState) => s.users[id]?.displayName, [id]));
  useEffect(() => {
    if (name === undefined) client.wantUser(id);
  }, [client, id, name]);
  if (id === me.id) return 'You';
  return name ?? 'Someone';
}

function SystemMessage({ row }: { row: Extract<Row, { kind: 'message' }> }) {
  const m = row.message;
  const ids = systemUserIds(m);
  // Two hooks, always called in the same order (ids has at most two entries).
  const a = useName(ids[0] ?? m.senderId);
  const b = useName(ids[1] ?? m.senderId);
  const names = new Map<number, string>([
    [ids[0] ?? m.senderId, a],
    [ids[1] ?? m.senderId, b],
  ]);
  const text = systemText(m, (id) => names.get(id) ?? 'Someone');
  return (
    <div className="system-msg" data-testid="system-message" title={formatFull(m.createdAt)}>
      <span>{text}</span>
    </div>
  );
}

/** "Read by N" under my message in a group, with the names on hover or click. */
function ReadBy({ conversationId, seq }: { conversationId: number; seq: number }) {
  const readers = useChat(
    useCallback(
      (s: ChatState) => readersOf(s, conversationId, seq).join(','),
      [conversationId, seq],
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

function Sender({ id, isGroup }: { id: number; isGroup: boolean }) {
  const user = useChat(useCallback((s: ChatState) => s.users[id], [id]));
  const name = useName(id);
  if (!isGroup) return null;
  return (
    <div className="msg__avatar">
      <Avatar name={name} url={user?.avatarUrl} seed={id} size={32} />
    </div>
  );
}

/** One row of the message list: a day separator, then a system line or a bubble. */
export const MessageItem = memo(function MessageItem({
  row,
  isGroup,
  conversationId,
}: {
  row: Row;
  isGroup: boolean;
  conversationId: number;
}) {
  const me = useMe();
  const client = useClient();
  const mine = row.senderId === me.id;
  const message = row.kind === 'message' ? row.message : null;
  const status = useChat(
    useCallback((s: ChatState) => (message && mine ? statusOf(s, message) : null), [message, mine]),
  );
  const senderName = useName(row.senderId);

  const separator = row.dayOf && (
    <div className="day-sep" role="separator">
      <span>{formatDay(row.dayOf)}</span>
    </div>
  );
  const marker = row.kind === 'message' && row.newMarker && (
    <div className="new-marker" role="separator">
      <span>New messages</span>
    </div>
  );

  if (row.kind === 'message' && row.message.kind === 'system') {
    return (
      <div className="row">
        {separator}
        {marker}
        <SystemMessage row={row} />
      </div>
    );
  }

  const body = row.kind === 'message' ? row.message.body : row.pending.body;
  const createdAt = row.kind === 'message' ? row.message.createdAt : row.pending.createdAt;
  const tick = row.kind === 'pending' ? row.pending.state : status;
  const failed = row.kind === 'pending' && row.pending.state === 'failed';
  const classes = [
    'msg',
    mine ? 'msg--mine' : 'msg--theirs',
    row.first ? 'msg--first' : '',
    row.last ? 'msg--last' : '',
    failed ? 'msg--failed' : '',
    isGroup ? 'msg--group' : '',
  ]
    .filter(Boolean)
    .join(' ');

  return (
    <div className="row">
      {separator}
      {marker}
      <div
        className={classes}
        data-testid="message"
        data-seq={row.kind === 'message' ? row.message.seq : undefined}
        data-pending={row.kind === 'pending' ? row.pending.state : undefined}
      >
        {!mine &&
          (row.first ? (
            <Sender id={row.senderId} isGroup={isGroup} />
          ) : (
            isGroup && <div className="msg__avatar" />
          ))}
        <div className="msg__column">
          {!mine && isGroup && row.first && <div className="msg__sender">{senderName}</div>}
          <div className="bubble">
            <span className="bubble__text" data-testid="message-text">
              <MessageText text={body} />
            </span>
            {/* An invisible copy of the time keeps room for it at the end of the last line. */}
            <span className="bubble__spacer" aria-hidden="true">
              {formatClock(createdAt)}
              {mine && <span className="bubble__tick-space" />}
            </span>
            <span className="bubble__meta">
              <time dateTime={createdAt} title={formatFull(createdAt)}>
                {formatClock(createdAt)}
              </time>
              {mine && tick && <Ticks status={tick} />}
            </span>
          </div>
          {mine && isGroup && row.kind === 'message' && (
            <ReadBy conversationId={conversationId} seq={row.message.seq} />
          )}
          {failed && (
            <div className="msg__failed" role="alert">
              <span>{row.pending.error ?? 'Not sent'}</span>
              <button
                type="button"
                className="link-button"
                onClick={() => client.retry(conversationId, row.pending.clientId)}
              >
                Retry
              </button>
              <button
                type="button"
                className="link-button link-button--muted"
                onClick={() => client.discard(conversationId, row.pending.clientId)}
              >
                Delete
              </button>
            </div>
          )}
        </div>
      </div>
    </div>
  );
});
