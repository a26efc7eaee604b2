import { useId, useMemo, useState, type KeyboardEvent } from 'react';
import type { Conversation } from '../../../../protocol/schemas/conversations.js';
import { navigate } from '../../lib/router.js';
import { Avatar } from '../../ui/Avatar.js';
import { Dialog } from '../../ui/Dialog.js';
import { conversationTitle, sortByActivity } from '../conversations/conversations-state.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat } from '../realtime/ChatContext.js';

const selectConversations = (s: ChatState) => s.conversations;
const MAX_SHOWN = 12;

/**
 * The conversations that fit what was typed, best first: names that start with it, then names
 * with a word that starts with it, then any that contain it (usernames count too); otherwise
 * in the order of the sidebar.
 */
export function switcherMatches(list: readonly Conversation[], query: string): Conversation[] {
  const q = query.trim().toLowerCase();
  if (!q) return list.slice(0, MAX_SHOWN);
  const rank = (c: Conversation): number => {
    const names = [conversationTitle(c), c.otherUser?.username ?? ''].map((n) => n.toLowerCase());
    if (names.some((n) => n.startsWith(q))) return 0;
    if (names.some((n) => n.split(/[\s._-]+/).some((w) => w.startsWith(q)))) return 1;
    if (names.some((n) => n.includes(q))) return 2;
    return -1;
  };
  return list
    .map((c, i) => ({ c, i, r: rank(c) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .slice(0, MAX_SHOWN)
    .map((x) => x.c);
}

/** Ctrl+K (Cmd+K): type a few letters of a conversation, Enter opens it. */
export function QuickSwitcher({ onClose }: { onClose: () => void }) {
  const map = useChat(selectConversations);
  const all = useMemo(() => sortByActivity(map), [map]);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const matches = useMemo(() => switcherMatches(all, query), [all, query]);
  const listId = useId();
  const current = Math.min(active, Math.max(0, matches.length - 1));

  const open = (c: Conversation) => {
    onClose();
    navigate(`/c/${c.id}`);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (matches.length === 0) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((current + step + matches.length) % matches.length);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const c = matches[current];
      if (c) open(c);
    }
  };

  return (
    <Dialog title="Jump to a conversation" onClose={onClose} className="dialog--switcher">
      <div className="search-box search-box--large">
        <input
          type="text"
          role="combobox"
          aria-expanded={matches.length > 0}
          aria-controls={listId}
          aria-activedescendant={matches.length ? `${listId}-${current}` : undefined}
          aria-autocomplete="list"
          aria-label="Conversation name"
          placeholder="Type a name"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <ul className="switcher" id={listId} role="listbox" aria-label="Conversations">
        {matches.map((c, i) => {
          const title = conversationTitle(c);
          return (
            <li
              key={c.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === current}
              className={`switcher__option${i === current ? ' switcher__option--active' : ''}`}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => open(c)}
              onMouseMove={() => i !== current && setActive(i)}
            >
              {c.kind === 'direct' ? (
                <Avatar
                  name={title}
                  url={c.otherUser?.avatarUrl}
                  seed={c.otherUser?.id ?? c.id}
                  size={28}
                />
              ) : (
                <Avatar name={title} seed={c.id + 7} size={28} square />
              )}
              <span className="switcher__name">{title}</span>
              {c.unreadCount > 0 && (
                <span className="badge" aria-label={`${c.unreadCount} unread`}>
                  {c.unreadCount > 99 ? '99+' : c.unreadCount}
                </span>
              )}
            </li>
          );
        })}
        {matches.length === 0 && <li className="switcher__empty">No conversation matches.</li>}
      </ul>
      <p className="switcher__hint">
        <kbd>↑</kbd> <kbd>↓</kbd> to choose, <kbd>Enter</kbd> to open, <kbd>Alt</kbd>+<kbd>↑</kbd>/
        <kbd>↓</kbd> for the previous or next conversation at any time.
      </p>
    </Dialog>
  );
}
