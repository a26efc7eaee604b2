import type {
  Conversation,
  ConversationWithMembers,
  ConversationSettingsInput,
  CreateGroupInput,
  Member,
  Role,
  UpdateGroupInput,
} from '../../../../protocol/schemas/conversations.js';
import { api } from '../../lib/http.js';

const base = '/api/conversations';

export const conversationsApi = {
  list: () => api<Conversation[]>('GET', base),
  get: (id: number) => api<ConversationWithMembers>('GET', `${base}/${id}`),
  openDirect: (userId: number) => api<Conversation>('POST', `${base}/direct`, { userId }),
  createGroup: (input: CreateGroupInput) => api<Conversation>('POST', base, input),
  publicGroups: (query: string) =>
    api<Conversation[]>('GET', `${base}/public?query=${encodeURIComponent(query)}`),
  update: (id: number, input: UpdateGroupInput) =>
    api<Conversation>('PATCH', `${base}/${id}`, input),
  remove: (id: number) => api<void>('DELETE', `${base}/${id}`),
  join: (id: number) => api<Conversation>('POST', `${base}/${id}/join`),
  leave: (id: number) => api<void>('POST', `${base}/${id}/leave`),
  addMembers: (id: number, userIds: number[]) =>
    api<Member[]>('POST', `${base}/${id}/members`, { userIds }),
  removeMember: (id: number, userId: number) =>
    api<void>('DELETE', `${base}/${id}/members/${userId}`),
  changeRole: (id: number, userId: number, role: Role) =>
    api<Member>('PATCH', `${base}/${id}/members/${userId}`, { role }),
  /** My own preferences for the conversation: muted, notification level. */
  settings: (id: number, input: ConversationSettingsInput) =>
    api<Conversation>('PATCH', `${base}/${id}/settings`, input),
};
