import { memo, useCallback, useEffect, useRef, type KeyboardEvent } from 'react';
import type { SearchResult } from '../../../../protocol/schemas/search.js';
import { formatFull, formatListTime } from '../../lib/time.js';
import { Spinner } from '../../ui/Field.js';
import { conversationTitle } from '../conversations/conversations-state.js';
import { useName } from '../messages/MessageParts.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat } from '../realtime/ChatContext.js';
import { buildSnippet } from './snippet.js';

/** A result's text around its highlighted words; hits are <mark> around slices of the body. */
export function Snippet({
  body,
  highlights,
}: {
  body: string;
  highlights: SearchResult['highlights'];
}) {
  const { parts, cutStart, cutEnd } = buildSnippet(body, highlights);
  return (
    <span className="search-result__snippet" data-testid="search-snippet">
      {cutStart && '…'}
      {parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
      {cutEnd && '…'}
    </span>
  );
}

const Result = memo(function Result({
  result,
  busy,
  onOpen,
}: {
  result: SearchResult;
  busy: boolean;
  onOpen: (r: SearchResult) => void;
}) {
  const m = result.message;
  const c = useChat(useCallback((s: ChatState) => s.conversations[m.conversationId], [m]));
  const sender = useName(m.senderId);
  return (
    <li>
      <button
        type="button"
        className="search-result"
        data-testid="search-result"
        onClick={() => onOpen(result)}
        aria-busy={busy || undefined}
      >
        <span className="search-result__top">
          <span className="search-result__where">{c ? conversationTitle(c) : 'Conversation'}</span>
          <span className="search-result__who">{sender}</span>
          <time dateTime={m.createdAt} title={formatFull(m.createdAt)}>
            {formatListTime(m.createdAt)}
          </time>
          {busy && <Spinner label="Opening" />}
        </span>
        <Snippet body={m.body} highlights={result.highlights} />
      </button>
    </li>
  );
});

/** Up and Down move between results. */
function moveFocus(e: KeyboardEvent<HTMLUListElement>): void {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const items = [...e.currentTarget.querySelectorAll<HTMLElement>('.search-result')];
  const i = items.indexOf(document.activeElement as HTMLElement);
  const j = e.key === 'ArrowDown' ? i + 1 : i - 1;
  if (j < 0 || j >= items.length) return;
  e.preventDefault();
  items[j]!.focus();
}

/**
 * The results, newest first. The next page loads when the end of the list scrolls into view,
 * or with the button there.
 */
export function SearchResults({
  results,
  hasMore,
  loadingMore,
  opening,
  onOpen,
  onMore,
}: {
  results: SearchResult[];
  hasMore: boolean;
  loadingMore: boolean;
  opening: number | null;
  onOpen: (r: SearchResult) => void;
  onMore: () => void;
}) {
  const more = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const el = more.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) onMore();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [onMore, hasMore, loadingMore, results.length]);
  return (
    <ul className="search-results" aria-label="Search results" onKeyDown={moveFocus}>
      {results.map((r) => (
        <Result key={r.message.id} result={r} busy={opening === r.message.id} onOpen={onOpen} />
      ))}
      {hasMore && (
        <li className="search-results__more">
          {loadingMore ? (
            <Spinner label="Loading more results" />
          ) : (
            <button ref={more} type="button" className="button button--ghost" onClick={onMore}>
              Load more results
            </button>
          )}
        </li>
      )}
    </ul>
  );
}
