import type { PublicUser, UpdateProfileInput, User } from '../../../../protocol/schemas/users.js';
import { api, upload } from '../../lib/http.js';

export const usersApi = {
  search: (query: string, limit = 20) =>
    api<PublicUser[]>('GET', `/api/users?query=${encodeURIComponent(query)}&limit=${limit}`),
  get: (id: number) => api<PublicUser>('GET', `/api/users/${id}`),
  me: () => api<User>('GET', '/api/users/me'),
  updateMe: (input: UpdateProfileInput) => api<User>('PATCH', '/api/users/me', input),
  changePassword: (currentPassword: string, newPassword: string) =>
    api<void>('POST', '/api/users/me/password', { currentPassword, newPassword }),
  uploadAvatar: (file: Blob, onProgress: (fraction: number) => void) =>
    upload<User>('PUT', '/api/users/me/avatar', file, onProgress),
  deleteAvatar: () => api<User>('DELETE', '/api/users/me/avatar'),
};
