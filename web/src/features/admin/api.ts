import type {
  AdminUserPage,
  CreateInviteInput,
  Invite,
  RevokedSessions,
  ServerSettings,
  ServerStats,
} from '../../../../protocol/schemas/admin.js';
import type { RegistrationMode } from '../../../../protocol/schemas/server-info.js';
import type { AdminUpdateUserInput, User } from '../../../../protocol/schemas/users.js';
import { api } from '../../lib/http.js';

/** The admin console's calls (server admins only). */
export const adminApi = {
  users: (query: string, cursor: string | null, limit = 50) => {
    const q = new URLSearchParams({ query, limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return api<AdminUserPage>('GET', `/api/admin/users?${q.toString()}`);
  },
  updateUser: (id: number, input: AdminUpdateUserInput) =>
    api<User>('PATCH', `/api/admin/users/${id}`, input),
  signOutEverywhere: (id: number) =>
    api<RevokedSessions>('DELETE', `/api/admin/users/${id}/sessions`),
  stats: () => api<ServerStats>('GET', '/api/admin/stats'),
  settings: () => api<ServerSettings>('GET', '/api/admin/settings'),
  setRegistrationMode: (registrationMode: RegistrationMode) =>
    api<ServerSettings>('PUT', '/api/admin/settings', { registrationMode }),
  invites: () => api<Invite[]>('GET', '/api/admin/invites'),
  createInvite: (input: CreateInviteInput) => api<Invite>('POST', '/api/admin/invites', input),
  revokeInvite: (id: number) => api<void>('DELETE', `/api/admin/invites/${id}`),
};

/** The sign-up link of an invite, on the address this page was opened at. */
export const inviteLink = (token: string) =>
  `${location.origin}/signup?invite=${encodeURIComponent(token)}`;
