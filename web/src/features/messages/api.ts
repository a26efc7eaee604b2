import type { ClientToServerEvents } from '../../../../protocol/events.js';
import type {
  ChangesPage,
  HistoryPage,
  Message,
  MessageEditPayload,
  MessagePinPayload,
  ReactionSetPayload,
} from '../../../../protocol/schemas/conversations.js';
import { LIMITS } from '../../../../protocol/limits.js';
import { api } from '../../lib/http.js';

const conversations = '/api/conversations';

/** The client events that change a stored message; each is answered with the new Message. */
export type MessageChange = 'message:edit' | 'message:delete' | 'reaction:set' | 'message:pin';
export type ChangePayload<E extends MessageChange> = Parameters<ClientToServerEvents[E]>[0];

export const messagesApi = {
  /** A page of history, ascending by seq: the newest, before/after a seq, or around one. */
  history: (
    conversationId: number,
    q: { before?: number; after?: number; around?: number; limit?: number } = {},
  ): Promise<HistoryPage> => {
    const params = new URLSearchParams();
    if (q.before !== undefined) params.set('before', String(q.before));
    if (q.after !== undefined) params.set('after', String(q.after));
    if (q.around !== undefined) params.set('around', String(q.around));
    params.set('limit', String(q.limit ?? LIMITS.historyLimitDefault));
    return api<HistoryPage>('GET', `${conversations}/${conversationId}/messages?${params}`);
  },
  /** Messages created or changed after a version, ascending by version. */
  changes: (conversationId: number, since: number, limit: number = LIMITS.changesLimitMax) =>
    api<ChangesPage>(
      'GET',
      `${conversations}/${conversationId}/changes?since=${since}&limit=${limit}`,
    ),
  /** The pinned messages, latest pin first. */
  pins: (conversationId: number) =>
    api<Message[]>('GET', `${conversations}/${conversationId}/pins`),
  /** Moves my read cursor (the REST twin of the socket event, for when the socket is down). */
  read: (conversationId: number, seq: number) =>
    api<void>('POST', `${conversations}/${conversationId}/read`, { seq }),
  // The REST twins of the message events, used while the socket is down.
  edit: (id: number, body: string) => api<Message>('PATCH', `/api/messages/${id}`, { body }),
  remove: (id: number) => api<Message>('DELETE', `/api/messages/${id}`),
  react: (id: number, emoji: string, on: boolean) =>
    api<Message>(
      on ? 'PUT' : 'DELETE',
      `/api/messages/${id}/reactions/${encodeURIComponent(emoji)}`,
    ),
  pin: (id: number, pinned: boolean) =>
    api<Message>(pinned ? 'PUT' : 'DELETE', `/api/messages/${id}/pin`),
  /** A message change through REST: the twin of its socket event. */
  change<E extends MessageChange>(event: E, payload: ChangePayload<E>): Promise<Message> {
    const p = payload as Partial<MessageEditPayload & ReactionSetPayload & MessagePinPayload> & {
      messageId: number;
    };
    switch (event) {
      case 'message:edit':
        return messagesApi.edit(p.messageId, p.body ?? '');
      case 'message:delete':
        return messagesApi.remove(p.messageId);
      case 'reaction:set':
        return messagesApi.react(p.messageId, p.emoji ?? '', p.on ?? true);
      case 'message:pin':
        return messagesApi.pin(p.messageId, p.pinned ?? true);
    }
  },
};
