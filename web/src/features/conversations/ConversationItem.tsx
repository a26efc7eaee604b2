import { memo, useCallback, useEffect } from 'react';
import type { Conversation } from '../../../../protocol/schemas/conversations.js';
import { Link } from '../../lib/router.js';
import { formatListTime } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Icon } from '../../ui/Icon.js';
import { Ticks } from '../messages/MessageParts.js';
import { useMarkdown } from '../messages/markdown-loader.js';
import { hasMarkup } from '../messages/markup.js';
import { messageSummary } from '../messages/summary.js';
import { systemText } from '../messages/system-text.js';
import { typingText, useTypingNames } from '../messages/TypingIndicator.js';
import { statusOf } from '../realtime/chat-selectors.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe, usePresenceLive } from '../realtime/ChatContext.js';
import { conversationTitle } from './conversations-state.js';

/** What the list shows under a conversation's name. */
function usePreview(c: Conversation): { text: string; mine: boolean; typing?: boolean } {
  const me = useMe();
  const client = useClient();
  const typing = useTypingNames(c.id);
  // A preview with markup is shown without it once the parser is here (read on render below).
  useMarkdown(c.lastMessage?.kind === 'text' && hasMarkup(c.lastMessage.body));
  const names = useChat(
    useCallback(
      (s: ChatState) => {
        const m = c.lastMessage;
        if (!m) return '';
        const ids = [m.senderId, m.meta?.actorId, m.meta?.userId].filter(
          (x): x is number => typeof x === 'number',
        );
        return ids
          .map((id) => `${id}:${id === me.id ? 'You' : (s.users[id]?.displayName ?? '')}`)
          .join('\n');
      },
      [c.lastMessage, me.id],
    ),
  );
  // Names of people no longer in any of my conversations are fetched once.
  useEffect(() => {
    for (const part of names.split('\n')) {
      const [id, name] = [Number(part.split(':')[0]), part.slice(part.indexOf(':') + 1)];
      if (name === '' && id > 0) client.wantUser(id);
    }
  }, [client, names]);
  if (typing.length) {
    return {
      text: c.kind === 'direct' ? 'typing…' : typingText(typing),
      mine: false,
      typing: true,
    };
  }
  const m = c.lastMessage;
  if (!m)
    return {
      text: c.kind === 'group' ? c.topic || 'No messages yet' : 'No messages yet',
      mine: false,
    };
  const nameMap = new Map(
    names.split('\n').map((p) => [Number(p.split(':')[0]), p.slice(p.indexOf(':') + 1)]),
  );
  const nameOf = (id: number) => {
    const n = nameMap.get(id);
    return n === undefined || n === '' ? 'Someone' : n;
  };
  if (m.kind === 'system') return { text: systemText(m, nameOf), mine: false };
  const mine = m.senderId === me.id;
  const prefix = mine ? 'You: ' : c.kind === 'group' ? `${nameOf(m.senderId)}: ` : '';
  // A message of files only is named by its files ("📎 report.pdf", "📷 Photo").
  return { text: prefix + messageSummary(m), mine };
}

/**
 * One conversation in the sidebar: picture, name, last message, time, an `@` badge for unread
 * mentions beside the unread count; a muted one is quieter (dimmed, grey count, no bold).
 */
export const ConversationItem = memo(function ConversationItem({
  c,
  active,
  muted,
  now,
}: {
  c: Conversation;
  active: boolean;
  muted: boolean;
  now: number;
}) {
  const preview = usePreview(c);
  const live = usePresenceLive();
  const title = conversationTitle(c);
  const last = c.lastMessage;
  const status = useChat(
    useCallback(
      (s: ChatState) => (last && preview.mine ? statusOf(s, last) : null),
      [last, preview.mine],
    ),
  );
  const unread = c.unreadCount > 0;
  const mentions = c.mentionCount;
  const classes = [
    'conv',
    active && 'conv--active',
    unread && 'conv--unread',
    muted && 'conv--muted',
  ];
  return (
    <li>
      <Link
        to={`/c/${c.id}`}
        className={classes.filter(Boolean).join(' ')}
        aria-current={active ? 'page' : undefined}
        data-testid="conversation-item"
      >
        {c.kind === 'direct' ? (
          <Avatar
            name={title}
            url={c.otherUser?.avatarUrl}
            seed={c.otherUser?.id ?? c.id}
            size={46}
            online={live && (c.otherUser?.online ?? false)}
          />
        ) : (
          <Avatar name={title} seed={c.id + 7} size={46} square />
        )}
        <span className="conv__text">
          <span className="conv__top">
            <span className="conv__name">
              {c.kind === 'group' && c.isPrivate && <Icon name="lock" size={13} />}
              {title}
            </span>
            <span className="conv__time">{last ? formatListTime(last.createdAt, now) : ''}</span>
          </span>
          <span className="conv__bottom">
            <span className={`conv__preview${preview.typing ? ' conv__preview--typing' : ''}`}>
              {status && <Ticks status={status} />}
              {preview.text}
            </span>
            {muted && (
              <span className="conv__muted" role="img" aria-label="Muted" title="Muted">
                <Icon name="bellOff" size={14} />
              </span>
            )}
            {mentions > 0 && (
              <span
                className="badge badge--mention"
                data-testid="mention-badge"
                aria-label={mentions === 1 ? '1 mention' : `${mentions} mentions`}
                title={
                  mentions === 1 ? 'You were mentioned' : `You were mentioned ${mentions} times`
                }
              >
                @{mentions > 1 ? (mentions > 99 ? '99+' : mentions) : ''}
              </span>
            )}
            {unread && (
              <span
                className={`badge${muted ? ' badge--muted' : ''}`}
                data-testid="unread-badge"
                aria-label={`${c.unreadCount} unread`}
              >
                {c.unreadCount > 99 ? '99+' : c.unreadCount}
              </span>
            )}
          </span>
        </span>
      </Link>
    </li>
  );
});
