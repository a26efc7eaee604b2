import type { HistoryPage } from '../../../../protocol/schemas/conversations.js';
import { LIMITS } from '../../../../protocol/limits.js';
import { api } from '../../lib/http.js';

export const messagesApi = {
  /** A page of history, ascending by seq: the newest, or before/after a seq. */
  history: (
    conversationId: number,
    q: { before?: number; after?: number; limit?: number } = {},
  ): Promise<HistoryPage> => {
    const params = new URLSearchParams();
    if (q.before !== undefined) params.set('before', String(q.before));
    if (q.after !== undefined) params.set('after', String(q.after));
    params.set('limit', String(q.limit ?? LIMITS.historyLimitDefault));
    return api<HistoryPage>('GET', `/api/conversations/${conversationId}/messages?${params}`);
  },
  /** Moves my read cursor (the REST twin of the socket event, for when the socket is down). */
  read: (conversationId: number, seq: number) =>
    api<void>('POST', `/api/conversations/${conversationId}/read`, { seq }),
};
