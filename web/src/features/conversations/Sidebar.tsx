import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import type { Conversation } from '../../../../protocol/schemas/conversations.js';
import { Link } from '../../lib/router.js';
import { formatListTime } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { signOut } from '../auth/session.js';
import { systemText } from '../messages/system-text.js';
import { typingText, useTypingNames } from '../messages/TypingIndicator.js';
import { useMuted } from '../notifications/preferences.js';
import { statusOf } from '../realtime/chat-selectors.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe, useNow } from '../realtime/ChatContext.js';
import { Ticks } from '../messages/MessageParts.js';
import { conversationTitle, sortByActivity } from './conversations-state.js';
import { NewDirectDialog } from './NewDirectDialog.js';
import { NewGroupDialog } from './NewGroupDialog.js';

const selectConversations = (s: ChatState) => s.conversations;
const selectListLoaded = (s: ChatState) => s.listLoaded;

/** What the list shows under a conversation's name. */
function usePreview(c: Conversation): { text: string; mine: boolean; typing?: boolean } {
  const me = useMe();
  const client = useClient();
  const typing = useTypingNames(c.id);
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
  const body = m.deletedAt ? 'This message was deleted' : m.body.replace(/\s+/g, ' ');
  return { text: prefix + body, mine };
}

const ConversationItem = memo(function ConversationItem({
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
  const title = conversationTitle(c);
  const last = c.lastMessage;
  const status = useChat(
    useCallback(
      (s: ChatState) => (last && preview.mine ? statusOf(s, last) : null),
      [last, preview.mine],
    ),
  );
  const unread = c.unreadCount > 0;
  return (
    <li>
      <Link
        to={`/c/${c.id}`}
        className={`conv${active ? ' conv--active' : ''}${unread ? ' conv--unread' : ''}`}
        aria-current={active ? 'page' : undefined}
        data-testid="conversation-item"
      >
        {c.kind === 'direct' ? (
          <Avatar
            name={title}
            url={c.otherUser?.avatarUrl}
            seed={c.otherUser?.id ?? c.id}
            size={46}
            online={c.otherUser?.online ?? false}
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
            {muted && <Icon name="bellOff" size={14} className="conv__muted" aria-label="Muted" />}
            {unread && (
              <span className="badge" aria-label={`${c.unreadCount} unread`}>
                {c.unreadCount > 99 ? '99+' : c.unreadCount}
              </span>
            )}
          </span>
        </span>
      </Link>
    </li>
  );
});

/** The left column: me, actions, and my conversations by latest activity. */
export function Sidebar({ activeId }: { activeId: number | null }) {
  const me = useMe();
  const map = useChat(selectConversations);
  const loaded = useChat(selectListLoaded);
  const muted = useMuted(me.id);
  const now = useNow(60_000);
  const [filter, setFilter] = useState('');
  const [dialog, setDialog] = useState<'direct' | 'group' | null>(null);
  const list = useMemo(() => {
    const all = sortByActivity(map);
    const q = filter.trim().toLowerCase();
    if (!q) return all;
    return all.filter(
      (c) =>
        conversationTitle(c).toLowerCase().includes(q) ||
        (c.otherUser?.username.toLowerCase().includes(q) ?? false),
    );
  }, [map, filter]);

  return (
    <aside className="sidebar" aria-label="Conversations">
      <header className="sidebar__header">
        <Link to="/profile" className="me" title="Your profile and settings">
          <Avatar name={me.displayName} url={me.avatarUrl} seed={me.id} size={36} />
          <span className="me__name">{me.displayName}</span>
        </Link>
        <div className="sidebar__actions">
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog('direct')}
            aria-label="New chat"
            title="New chat"
          >
            <Icon name="edit" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog('group')}
            aria-label="New group"
            title="New group"
          >
            <Icon name="users" />
          </button>
          <Link
            to="/browse"
            className="icon-button"
            aria-label="Browse groups"
            title="Browse groups"
          >
            <Icon name="compass" />
          </Link>
          <button
            type="button"
            className="icon-button"
            onClick={() => void signOut()}
            aria-label="Log out"
            title="Log out"
          >
            <Icon name="logout" />
          </button>
        </div>
      </header>
      <div className="sidebar__search">
        <div className="search-box">
          <Icon name="search" size={18} />
          <input
            type="search"
            placeholder="Search conversations"
            aria-label="Search conversations"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
        </div>
      </div>
      <nav className="sidebar__list">
        {!loaded ? (
          <div className="sidebar__empty">
            <Spinner label="Loading conversations" />
          </div>
        ) : list.length === 0 ? (
          <div className="sidebar__empty">
            {filter ? (
              <p>No conversation matches “{filter}”.</p>
            ) : (
              <>
                <p>
                  <strong>No conversations yet.</strong>
                </p>
                <p>Start a chat with someone, create a group, or join a public one.</p>
                <div className="sidebar__cta">
                  <button
                    type="button"
                    className="button button--primary"
                    onClick={() => setDialog('direct')}
                  >
                    New chat
                  </button>
                  <Link to="/browse" className="button button--ghost">
                    Browse groups
                  </Link>
                </div>
              </>
            )}
          </div>
        ) : (
          <ul className="conv-list">
            {list.map((c) => (
              <ConversationItem
                key={c.id}
                c={c}
                active={c.id === activeId}
                muted={c.muted || muted.has(c.id)}
                now={now}
              />
            ))}
          </ul>
        )}
      </nav>
      {dialog === 'direct' && <NewDirectDialog onClose={() => setDialog(null)} />}
      {dialog === 'group' && <NewGroupDialog onClose={() => setDialog(null)} />}
    </aside>
  );
}
