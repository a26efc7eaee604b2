import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, refreshAccessToken, tokens } from './http.js';

type Call = { url: string; headers: Record<string, string> };
let calls: Call[];
let refreshes: number;

function reply(status: number, body: unknown): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

const soon = () => new Date(Date.now() + 15 * 60_000).toISOString();
const past = () => new Date(Date.now() - 1000).toISOString();

beforeEach(() => {
  calls = [];
  refreshes = 0;
  tokens.clear();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const headers = (init.headers ?? {}) as Record<string, string>;
      calls.push({ url, headers });
      if (url === '/api/auth/refresh') {
        refreshes++;
        await new Promise((r) => setTimeout(r, 5));
        return reply(200, { accessToken: `fresh-${refreshes}`, expiresAt: soon() });
      }
      if (headers.authorization === 'Bearer stale')
        return reply(401, { error: { code: 'unauthorized', message: 'expired token' } });
      if (headers.authorization === 'Bearer gone')
        return reply(401, {
          error: { code: 'session_expired', message: 'Your session has expired' },
        });
      return reply(200, { ok: true, auth: headers.authorization });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('http', () => {
  it('a refused access token is refreshed once, silently, and the call retried', async () => {
    tokens.set('stale', soon());
    const r = await api<{ auth: string }>('GET', '/api/users/me');
    expect(r.auth).toBe('Bearer fresh-1');
    const refresh = calls.find((c) => c.url === '/api/auth/refresh')!;
    expect(refresh.headers['x-parley-client']).toBe('web');
    expect(refreshes).toBe(1);
  });

  it('concurrent calls with an expired token share one refresh (a reused cookie ends the session)', async () => {
    tokens.set('old', past());
    const results = await Promise.all([
      api<{ auth: string }>('GET', '/api/a'),
      api<{ auth: string }>('GET', '/api/b'),
      api<{ auth: string }>('GET', '/api/c'),
    ]);
    expect(refreshes).toBe(1);
    expect(results.map((r) => r.auth)).toEqual(Array(3).fill('Bearer fresh-1'));
  });

  it('refreshes across tabs run under one Web Lock', async () => {
    const names: string[] = [];
    vi.stubGlobal('navigator', {
      locks: {
        request: (name: string, fn: () => Promise<unknown>) => {
          names.push(name);
          return fn();
        },
      },
    });
    await refreshAccessToken();
    expect(names).toEqual(['parley-refresh']);
  });

  it('an ended session is reported once and the token forgotten', async () => {
    const ended = vi.fn();
    tokens.onSessionEnded(ended);
    tokens.set('gone', soon());
    await expect(api('GET', '/api/users/me')).rejects.toMatchObject({ code: 'session_expired' });
    expect(ended).toHaveBeenCalledTimes(1);
    expect(tokens.has()).toBe(false);
  });

  it('server errors keep their code, message and field details', () => {
    const e = new ApiError('validation_failed', 'Invalid value for username', 400, {
      fields: { 'body.username': 'is too short' },
    });
    expect(e.fields).toEqual({ username: 'is too short' });
    expect(e.transient).toBe(false);
    expect(new ApiError('unavailable', 'busy').transient).toBe(true);
  });
});
