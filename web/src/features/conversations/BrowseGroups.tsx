import { useEffect, useState } from 'react';
import type { Conversation } from '../../../../protocol/schemas/conversations.js';
import { errorMessage } from '../../lib/http.js';
import { Link, navigate } from '../../lib/router.js';
import { Avatar } from '../../ui/Avatar.js';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { useClient } from '../realtime/ChatContext.js';
import { conversationsApi } from './api.js';

/** The directory of public groups: search, then open or join. */
export function BrowseGroups() {
  const client = useClient();
  const [query, setQuery] = useState('');
  const [groups, setGroups] = useState<Conversation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [joining, setJoining] = useState<number | null>(null);

  useEffect(() => {
    let cancelled = false;
    const t = setTimeout(() => {
      conversationsApi.publicGroups(query.trim()).then(
        (list) => {
          if (!cancelled) {
            setGroups(list);
            setError(null);
          }
        },
        (err: unknown) => !cancelled && setError(errorMessage(err)),
      );
    }, 200);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [query]);

  const join = async (g: Conversation) => {
    setJoining(g.id);
    setError(null);
    try {
      const c = await conversationsApi.join(g.id);
      client.adopt(c);
      navigate(`/c/${c.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setJoining(null);
    }
  };

  return (
    <section className="page" aria-labelledby="browse-title">
      <header className="page__header">
        <Link to="/" className="icon-button page__back" aria-label="Back to conversations">
          <Icon name="back" />
        </Link>
        <h1 id="browse-title">Browse groups</h1>
      </header>
      <div className="page__body">
        <div className="search-box search-box--large">
          <Icon name="search" size={18} />
          <input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Search public groups"
            aria-label="Search public groups"
            autoFocus
          />
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {groups === null ? (
          <Spinner />
        ) : groups.length === 0 ? (
          <p className="muted">
            {query ? 'No public group matches that search.' : 'There are no public groups yet.'}
          </p>
        ) : (
          <ul className="group-cards">
            {groups.map((g) => (
              <li key={g.id} className="group-card" data-testid="public-group">
                <Avatar name={g.name ?? '#'} seed={g.id + 7} size={44} square />
                <div className="group-card__text">
                  <strong>{g.name}</strong>
                  <span className="muted">
                    {g.memberCount} {g.memberCount === 1 ? 'member' : 'members'}
                    {g.topic ? ` · ${g.topic}` : ''}
                  </span>
                </div>
                {g.myRole ? (
                  <Link to={`/c/${g.id}`} className="button button--ghost">
                    Open
                  </Link>
                ) : (
                  <button
                    type="button"
                    className="button button--primary"
                    onClick={() => void join(g)}
                    disabled={joining !== null}
                  >
                    {joining === g.id ? 'Joining…' : 'Join'}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
