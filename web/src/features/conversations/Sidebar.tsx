import { useMemo, useState } from 'react';
import { Link } from '../../lib/router.js';
import { Avatar } from '../../ui/Avatar.js';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { signOut } from '../auth/session.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useMe, useNow } from '../realtime/ChatContext.js';
import { ConversationItem } from './ConversationItem.js';
import { conversationTitle, sortByActivity } from './conversations-state.js';
import { NewDirectDialog } from './NewDirectDialog.js';
import { NewGroupDialog } from './NewGroupDialog.js';

const selectConversations = (s: ChatState) => s.conversations;
const selectListLoaded = (s: ChatState) => s.listLoaded;

/** The left column: me, actions, and my conversations by latest activity. */
export function Sidebar({ activeId, onSearch }: { activeId: number | null; onSearch: () => void }) {
  const me = useMe();
  const map = useChat(selectConversations);
  const loaded = useChat(selectListLoaded);
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
            onClick={onSearch}
            aria-label="Search messages"
            title="Search messages (Ctrl+F)"
            aria-keyshortcuts="Control+F Meta+F"
          >
            <Icon name="search" />
          </button>
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
          {me.isAdmin && (
            <Link
              to="/admin"
              className="icon-button"
              aria-label="Server administration"
              title="Server administration"
            >
              <Icon name="shield" />
            </Link>
          )}
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
                muted={c.muted}
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
