import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import type { SearchResult } from '../../../../protocol/schemas/search.js';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import { navigate } from '../../lib/router.js';
import { Dialog } from '../../ui/Dialog.js';
import { Icon } from '../../ui/Icon.js';
import { conversationTitle, sortByActivity } from '../conversations/conversations-state.js';
import { requestJump } from '../messages/jump-requests.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import { SearchResults } from './SearchResults.js';
import { searchable, useSearch } from './useSearch.js';

const selectConversations = (s: ChatState) => s.conversations;
const selectUsers = (s: ChatState) => s.users;

/** Everyone the client knows of (members, direct partners, senders), by name. */
function usePeople(): PublicUser[] {
  const users = useChat(selectUsers);
  const conversations = useChat(selectConversations);
  return useMemo(() => {
    const byId = new Map<number, PublicUser>();
    for (const c of Object.values(conversations))
      if (c.otherUser) byId.set(c.otherUser.id, c.otherUser);
    for (const u of Object.values(users)) byId.set(u.id, u);
    return [...byId.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
  }, [users, conversations]);
}

const toId = (v: string) => (v === '' ? undefined : Number(v));

/**
 * Message search (Ctrl+F, or the sidebar's search button): words typed are searched after a
 * pause, optionally in one conversation and from one person; a result opens its conversation
 * at that message. Escape closes.
 */
export function SearchDialog({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const me = useMe();
  const conversations = useChat(selectConversations);
  const people = usePeople();
  const [q, setQ] = useState('');
  const [conversationId, setConversationId] = useState<number | undefined>();
  const [senderId, setSenderId] = useState<number | undefined>();
  const [opening, setOpening] = useState<number | null>(null);
  const search = useSearch(q, { conversationId, senderId });
  const statusId = useId();
  const input = useRef<HTMLInputElement>(null);
  // After the dialog has opened (showModal focuses its first button), the box takes the focus.
  useEffect(() => input.current?.focus(), []);

  const open = useCallback(
    (r: SearchResult) => {
      const { conversationId: id, seq } = r.message;
      const go = () => {
        requestJump(id, seq);
        onClose();
        navigate(`/c/${id}`);
      };
      // A conversation not opened yet is loaded around the message first, so its view opens
      // there instead of at the newest page.
      if (client.store.getState().messages[id]) return go();
      setOpening(r.message.id);
      client.reveal(id, seq).then(go, go);
    },
    [client, onClose],
  );

  const n = search.results.length;
  const status = !searchable(q)
    ? q.trim() === ''
      ? 'Type a word to search your messages.'
      : 'Type letters or digits to search.'
    : search.status === 'loading'
      ? 'Searching…'
      : search.status === 'error'
        ? `Search failed: ${search.error ?? ''}`
        : n === 0
          ? 'No messages match.'
          : `${n}${search.hasMore ? '+' : ''} ${n === 1 ? 'message' : 'messages'}`;

  return (
    <Dialog title="Search messages" onClose={onClose} wide className="dialog--search">
      <div
        className="search"
        // The dialog's own Escape (cancel) does not reach it from every control (a <select>).
        onKeyDown={(e) => {
          if (e.key === 'Escape' && !e.defaultPrevented) {
            e.preventDefault();
            onClose();
          }
        }}
      >
        <div className="search-box search-box--large">
          <Icon name="search" size={18} />
          <input
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="Search messages"
            aria-label="Search messages"
            aria-describedby={statusId}
            maxLength={LIMITS.searchQueryMax}
            ref={input}
            enterKeyHint="search"
          />
        </div>
        <div className="search__filters">
          <label className="search__filter">
            <span>In</span>
            <select
              aria-label="In conversation"
              value={conversationId ?? ''}
              onChange={(e) => setConversationId(toId(e.target.value))}
            >
              <option value="">All conversations</option>
              {sortByActivity(conversations).map((c) => (
                <option key={c.id} value={c.id}>
                  {conversationTitle(c)}
                </option>
              ))}
            </select>
          </label>
          <label className="search__filter">
            <span>From</span>
            <select
              aria-label="From person"
              value={senderId ?? ''}
              onChange={(e) => setSenderId(toId(e.target.value))}
            >
              <option value="">Anyone</option>
              {people.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.id === me.id ? `${u.displayName} (you)` : u.displayName}
                </option>
              ))}
            </select>
          </label>
        </div>
        <p className="search__status" id={statusId} role="status" data-testid="search-status">
          {status}
        </p>
        {searchable(q) && n > 0 && (
          <SearchResults
            results={search.results}
            hasMore={search.hasMore}
            loadingMore={search.loadingMore}
            opening={opening}
            onOpen={open}
            onMore={search.loadMore}
          />
        )}
      </div>
    </Dialog>
  );
}
