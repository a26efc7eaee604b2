import { useEffect, useRef, useState } from 'react';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import { errorMessage } from '../../lib/http.js';
import { formatPresence } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { useClient, useMe } from '../realtime/ChatContext.js';
import { usersApi } from './api.js';

/** Searches people by name or username as you type (debounced). */
export function useUserSearch(query: string, exclude: ReadonlySet<number>) {
  const client = useClient();
  const [results, setResults] = useState<PublicUser[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = { cancelled: false };
    setLoading(true);
    const t = setTimeout(() => {
      usersApi.search(query.trim(), 20).then(
        (users) => {
          if (ctl.cancelled) return;
          client.store.dispatch({ type: 'users', users });
          setResults(users);
          setError(null);
          setLoading(false);
        },
        (err: unknown) => {
          if (ctl.cancelled) return;
          setError(errorMessage(err));
          setLoading(false);
        },
      );
    }, 200);
    return () => {
      ctl.cancelled = true;
      clearTimeout(t);
    };
  }, [client, query]);
  return { results: results.filter((u) => !exclude.has(u.id)), loading, error };
}

/** A search box with a list of people to pick from. */
export function UserSearch({
  onPick,
  exclude = new Set<number>(),
  placeholder = 'Search people by name or username',
  autoFocus,
  actionLabel,
}: {
  onPick: (user: PublicUser) => void;
  exclude?: ReadonlySet<number>;
  placeholder?: string;
  autoFocus?: boolean;
  actionLabel?: string;
}) {
  const me = useMe();
  const [query, setQuery] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const skip = new Set([...exclude, me.id]);
  // After a pick the box is cleared and keeps the focus, ready for the next person.
  const pick = (u: PublicUser) => {
    onPick(u);
    setQuery('');
    input.current?.focus();
  };
  const { results, loading, error } = useUserSearch(query, skip);
  return (
    <div className="user-search">
      <div className="search-box">
        <Icon name="search" size={18} />
        <input
          ref={input}
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder={placeholder}
          aria-label={placeholder}
          autoFocus={autoFocus}
        />
        {loading && <Spinner label="Searching" />}
      </div>
      {error && <p className="form-error">{error}</p>}
      <ul className="people" aria-label="People">
        {results.map((u) => (
          <li key={u.id}>
            <button type="button" className="person" onClick={() => pick(u)}>
              <Avatar
                name={u.displayName}
                url={u.avatarUrl}
                seed={u.id}
                size={36}
                online={u.online}
              />
              <span className="person__text">
                <span className="person__name">{u.displayName}</span>
                <span className="person__sub">
                  @{u.username} · {formatPresence(u.online, u.lastSeenAt)}
                </span>
              </span>
              {actionLabel && <span className="person__action">{actionLabel}</span>}
            </button>
          </li>
        ))}
        {!loading && results.length === 0 && (
          <li className="people__empty">
            {query.trim() ? 'No one matches that search.' : 'No one else here yet.'}
          </li>
        )}
      </ul>
    </div>
  );
}
