import { memo, useCallback, useRef, type MouseEvent } from 'react';
import type { Conversation, Message, Pinned } from '../../../../protocol/schemas/conversations.js';
import { formatDay, formatFull } from '../../lib/time.js';
import { Icon } from '../../ui/Icon.js';
import { statusOf } from '../realtime/chat-selectors.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import { useConversationUi, useUiDispatch } from './conversation-ui.js';
import { MessageBubble } from './MessageBubble.js';
import { MessageEditor } from './MessageEditor.js';
import { Sender, SystemMessage, useName } from './MessageParts.js';
import { MessageTools } from './MessageTools.js';
import { anyAction, messagePermissions } from './permissions.js';
import { Reactions } from './Reactions.js';
import { ProfileTrigger } from '../users/ProfileCard.js';
import { ReadBy } from './ReadBy.js';
import type { Row } from './rows.js';
import { useLongPress } from './useLongPress.js';
import { SEEN_ATTR } from './useSeenMessages.js';

function PinnedMark({ pinned }: { pinned: Pinned }) {
  const by = useName(pinned.by, 'you');
  return (
    <div className="msg__pinned" data-testid="pinned-mark" title={formatFull(pinned.at)}>
      <Icon name="pin" size={13} />
      Pinned by {by}
    </div>
  );
}

/** My role where the message is, as a stable string (rows re-render only when it changes). */
function useAccess(conversationId: number): Pick<Conversation, 'kind' | 'myRole'> | undefined {
  const key = useChat(
    useCallback(
      (s: ChatState) => {
        const c = s.conversations[conversationId];
        return c ? `${c.kind}:${c.myRole ?? ''}` : '';
      },
      [conversationId],
    ),
  );
  if (!key) return undefined;
  const [kind, role] = key.split(':') as [Conversation['kind'], string];
  return { kind, myRole: (role || null) as Conversation['myRole'] };
}

/** One row of the message list: a day separator, then a system line or a message. */
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
  const ui = useUiDispatch();
  const mine = row.senderId === me.id;
  const message: Message | null = row.kind === 'message' ? row.message : null;
  const id = message?.id ?? -1;
  const status = useChat(
    useCallback((s: ChatState) => (message && mine ? statusOf(s, message) : null), [message, mine]),
  );
  const senderName = useName(row.senderId);
  const access = useAccess(conversationId);
  // A message deleted meanwhile (by a moderator, or on another device) is not edited.
  const editing =
    useConversationUi(useCallback((s) => s.editingId === id, [id])) && !message?.deletedAt;
  const highlighted = useConversationUi(
    useCallback((s) => message !== null && s.highlightSeq === message.seq, [message]),
  );
  const menuOpen = useConversationUi(
    useCallback((s) => s.overlay?.messageId === id && s.overlay.kind === 'menu', [id]),
  );
  const perms = message ? messagePermissions(message, access, me.id) : null;
  const actionable = perms !== null && anyAction(perms);
  const bubbleRef = useRef<HTMLDivElement>(null);
  const openMenu = (row: HTMLElement) =>
    ui({
      type: 'overlay',
      overlay: { kind: 'menu', messageId: id, anchor: bubbleRef.current ?? row, returnTo: row },
    });
  const longPress = useLongPress((target) => actionable && !editing && openMenu(target));
  const onContextMenu = (e: MouseEvent<HTMLDivElement>) => {
    if (!actionable || editing || (e.target as Element).closest('a, textarea')) return;
    e.preventDefault();
    openMenu(e.currentTarget);
  };

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

  if (message?.kind === 'system') {
    return (
      <div className="row" {...{ [SEEN_ATTR]: message.seq }}>
        {separator}
        {marker}
        <SystemMessage row={row as Extract<Row, { kind: 'message' }>} />
      </div>
    );
  }

  const failed = row.kind === 'pending' && row.pending.state === 'failed';
  const mentionsMe =
    message !== null && !mine && message.deletedAt === null && message.mentions.includes(me.id);
  const classes = [
    'msg',
    mine ? 'msg--mine' : 'msg--theirs',
    row.first ? 'msg--first' : '',
    row.last ? 'msg--last' : '',
    failed ? 'msg--failed' : '',
    isGroup ? 'msg--group' : '',
    editing ? 'msg--editing' : '',
    highlighted ? 'msg--highlight' : '',
    menuOpen ? 'msg--menu-open' : '',
    message?.pinned ? 'msg--pinned' : '',
    mentionsMe ? 'msg--mentions-me' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const content =
    row.kind === 'message' ? row.message : { ...row.pending, editedAt: null, deletedAt: null };

  return (
    <div className="row">
      {separator}
      {marker}
      <div
        className={classes}
        data-testid="message"
        data-seq={message?.seq}
        {...(message ? { [SEEN_ATTR]: message.seq } : {})}
        data-pending={row.kind === 'pending' ? row.pending.state : undefined}
        tabIndex={message ? -1 : undefined}
        role={message ? 'article' : undefined}
        data-mentions-me={mentionsMe || undefined}
        aria-label={
          message
            ? `${senderName}, ${formatFull(message.createdAt)}${mentionsMe ? ', mentions you' : ''}`
            : undefined
        }
        aria-keyshortcuts={actionable ? 'Enter' : undefined}
        onContextMenu={onContextMenu}
        {...longPress}
      >
        {!mine &&
          (row.first ? (
            <Sender id={row.senderId} isGroup={isGroup} />
          ) : (
            isGroup && <div className="msg__avatar" />
          ))}
        <div className="msg__column">
          {!mine && isGroup && row.first && (
            <ProfileTrigger userId={row.senderId} name={senderName} className="msg__sender">
              {senderName}
            </ProfileTrigger>
          )}
          {message?.pinned && message.deletedAt === null && <PinnedMark pinned={message.pinned} />}
          {editing && message ? (
            <MessageEditor message={message} />
          ) : (
            <div className="msg__line" ref={bubbleRef}>
              <MessageBubble
                conversationId={conversationId}
                content={content}
                mine={mine}
                tick={row.kind === 'pending' ? row.pending.state : status}
              />
              {message && perms && actionable && (
                <MessageTools message={message} perms={perms} menuOpen={menuOpen} />
              )}
            </div>
          )}
          {message && <Reactions message={message} canReact={perms?.react ?? false} />}
          {mine && isGroup && message && (
            <ReadBy conversationId={conversationId} message={message} />
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
