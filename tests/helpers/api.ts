import { randomBytes } from 'node:crypto';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  /** A raw body (string or bytes) sent as is, instead of JSON. */
  raw?: string | Uint8Array | FormData | Blob;
  cookie?: string;
}

/** A thin HTTP client for tests: JSON in, parsed JSON (or text) out, never throws on status. */
export class Api {
  constructor(readonly base: string) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.cookie) headers.cookie = opts.cookie;
    let payload: string | Uint8Array | FormData | Blob | undefined = opts.raw;
    if (payload === undefined && body !== undefined) {
      headers['content-type'] ??= 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: payload,
      redirect: 'manual',
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '')
      parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  get<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, undefined, opts);
  }
  post<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('POST', path, body, opts);
  }
  patch<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PATCH', path, body, opts);
  }
  put<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PUT', path, body, opts);
  }
  delete<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', path, undefined, opts);
  }
}

/** The `parley_refresh=…` pair from a response's Set-Cookie, for sending back. */
export function refreshCookieOf(res: ApiResponse): string | null {
  const all = res.headers.getSetCookie();
  for (const c of all) {
    const m = /^(parley_refresh=[^;]*)/.exec(c);
    if (m) return m[1]!;
  }
  return null;
}

export interface TestUser {
  id: number;
  username: string;
  email: string;
  password: string;
  token: string;
  cookie: string;
  user: any;
}

let counter = 0;

/** Registers a fresh user with unique names; returns its tokens and password. */
export async function registerUser(
  api: Api,
  over: Partial<{ username: string; email: string; password: string; displayName: string }> = {},
): Promise<TestUser> {
  const tag = `${process.pid.toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;
  const username = over.username ?? `u${tag}`;
  const body = {
    username,
    email: over.email ?? `${username}@example.test`,
    password: over.password ?? `pw-${randomBytes(6).toString('hex')}-Long`,
    ...(over.displayName ? { displayName: over.displayName } : {}),
  };
  const res = await api.post('/api/auth/register', body);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return {
    id: res.body.user.id,
    username,
    email: body.email,
    password: body.password,
    token: res.body.accessToken,
    cookie: refreshCookieOf(res) ?? '',
    user: res.body.user,
  };
}

/** The error shape every failure must have. */
export function isErrorShape(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const e = (body as { error?: { code?: unknown; message?: unknown } }).error;
  return !!e && typeof e.code === 'string' && typeof e.message === 'string';
}
