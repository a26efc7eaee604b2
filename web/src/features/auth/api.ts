import type {
  AuthResult,
  LoginInput,
  RegisterInput,
  SessionInfo,
} from '../../../../protocol/schemas/auth.js';
import type { User } from '../../../../protocol/schemas/users.js';
import { CLIENT_HEADER } from '../../../../protocol/limits.js';
import { api } from '../../lib/http.js';

export const authApi = {
  register: (input: RegisterInput) =>
    api<AuthResult>('POST', '/api/auth/register', input, { anonymous: true }),
  login: (input: { login: string; password: string; remember: boolean }) =>
    api<AuthResult>('POST', '/api/auth/login', input satisfies LoginInput, { anonymous: true }),
  /** Ends this session; the header lets the server also honour the refresh cookie. */
  logout: () =>
    api<void>('POST', '/api/auth/logout', undefined, { headers: { [CLIENT_HEADER]: 'web' } }),
  me: () => api<User>('GET', '/api/users/me'),
  sessions: () => api<SessionInfo[]>('GET', '/api/auth/sessions'),
  revokeSession: (id: number) => api<void>('DELETE', `/api/auth/sessions/${id}`),
};
