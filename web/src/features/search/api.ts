import type { SearchPage } from '../../../../protocol/schemas/search.js';
import { api } from '../../lib/http.js';

export interface SearchQuery {
  q: string;
  conversationId?: number | undefined;
  senderId?: number | undefined;
  /** A message id: only older (lower) ids; the previous page's `nextBefore`. */
  before?: number | undefined;
  limit?: number | undefined;
}

export const searchApi = {
  /** Full-text search over the messages of my conversations, newest first. */
  search(query: SearchQuery): Promise<SearchPage> {
    const params = new URLSearchParams({ q: query.q });
    if (query.conversationId !== undefined)
      params.set('conversationId', String(query.conversationId));
    if (query.senderId !== undefined) params.set('senderId', String(query.senderId));
    if (query.before !== undefined) params.set('before', String(query.before));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    return api<SearchPage>('GET', `/api/search?${params}`);
  },
};
