import { useCallback, useEffect, useRef, useState } from 'react';
import { queryWords } from '../../../../protocol/search.js';
import type { SearchResult } from '../../../../protocol/schemas/search.js';
import { errorMessage } from '../../lib/http.js';
import { searchApi } from './api.js';

export interface SearchFilters {
  conversationId?: number | undefined;
  senderId?: number | undefined;
}

export interface SearchView {
  /** idle: nothing to search (no word typed yet). */
  status: 'idle' | 'loading' | 'done' | 'error';
  results: SearchResult[];
  /** More (older) results can be loaded. */
  hasMore: boolean;
  loadingMore: boolean;
  error: string | null;
  loadMore: () => void;
}

const DEBOUNCE_MS = 250;
const PAGE = 20;

/** Whether a query has anything to search for (the server refuses one without a word). */
export function searchable(q: string): boolean {
  return queryWords(q).length > 0;
}

/**
 * Searches messages as the user types (after a short pause), newest first; `loadMore` pages on
 * with `before = nextBefore`. An answer to an older query or filter is dropped.
 */
export function useSearch(q: string, filters: SearchFilters): SearchView {
  const [state, setState] = useState<Omit<SearchView, 'loadMore'>>({
    status: 'idle',
    results: [],
    hasMore: false,
    loadingMore: false,
    error: null,
  });
  const next = useRef<number | null>(null);
  const generation = useRef(0);
  const query = q.trim();
  const { conversationId, senderId } = filters;

  useEffect(() => {
    const gen = ++generation.current;
    next.current = null;
    if (!searchable(query)) {
      setState({ status: 'idle', results: [], hasMore: false, loadingMore: false, error: null });
      return;
    }
    setState((s) => ({ ...s, status: 'loading', error: null }));
    const t = setTimeout(() => {
      searchApi.search({ q: query, conversationId, senderId, limit: PAGE }).then(
        (page) => {
          if (gen !== generation.current) return;
          next.current = page.nextBefore;
          setState({
            status: 'done',
            results: page.results,
            hasMore: page.nextBefore !== null,
            loadingMore: false,
            error: null,
          });
        },
        (err: unknown) => {
          if (gen !== generation.current) return;
          setState({
            status: 'error',
            results: [],
            hasMore: false,
            loadingMore: false,
            error: errorMessage(err),
          });
        },
      );
    }, DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [query, conversationId, senderId]);

  const busy = useRef(false);
  const loadMore = useCallback(() => {
    const before = next.current;
    if (before === null || busy.current) return;
    busy.current = true;
    const gen = generation.current;
    setState((s) => ({ ...s, loadingMore: true }));
    searchApi.search({ q: query, conversationId, senderId, before, limit: PAGE }).then(
      (page) => {
        busy.current = false;
        if (gen !== generation.current) return;
        next.current = page.nextBefore;
        setState((s) => ({
          ...s,
          // Ids only go down from page to page; a repeat is dropped all the same.
          results: [
            ...s.results,
            ...page.results.filter((r) => !s.results.some((o) => o.message.id === r.message.id)),
          ],
          hasMore: page.nextBefore !== null,
          loadingMore: false,
        }));
      },
      (err: unknown) => {
        busy.current = false;
        if (gen !== generation.current) return;
        setState((s) => ({ ...s, loadingMore: false, error: errorMessage(err) }));
      },
    );
  }, [query, conversationId, senderId]);

  return { ...state, loadMore };
}
