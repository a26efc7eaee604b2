// Security rows S2 (password guessing) and S27 (abuse throttles on sign-up and search).
import { describe, expect, it, vi } from 'vitest';
import { isErrorShape, registerUser, type ApiResponse } from '../helpers/api.js';
import { startTestServer } from '../helpers/server.js';

const forwarded = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i % 250}, 203.0.113.${i}` });

function expectRateLimited(res: ApiResponse, maxSeconds: number): void {
  expect(res.status).toBe(429);
  expect(isErrorShape(res.body)).toBe(true);
  expect(res.body.error.code).toBe('rate_limited');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
}

describe('S2: password guessing', () => {
  it('stops guesses on one account at the limit, even in parallel, by username and email, from forged addresses', async () => {
    // Defaults: 10 failures per account per 15 minutes, 50 per address.
    const s = await startTestServer();
    try {
      const victim = await registerUser(s.api);
      const bystander = await registerUser(s.api);
      const warn = vi.spyOn(s.deps.log, 'warn');
      const names = [victim.username, victim.email, victim.username.toUpperCase()];
      const guesses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          s.api.post(
            '/api/auth/login',
            { login: names[i % names.length], password: `guess number ${i}` },
            { headers: forwarded(i) },
          ),
        ),
      );
      const checked = guesses.filter((r) => r.status === 401);
      const refused = guesses.filter((r) => r.status === 429);
      expect(checked.length + refused.length).toBe(guesses.length);
      // At most the limit reached the password check, however the guesses were spread.
      expect(checked.length).toBeGreaterThan(0);
      expect(checked.length).toBeLessThanOrEqual(10);
      for (const r of refused) expectRateLimited(r, 900);

      // The account stays locked, even for the right password and a "new" address.
      expectRateLimited(
        await s.api.post(
          '/api/auth/login',
          { login: victim.email, password: victim.password },
          { headers: forwarded(99) },
        ),
        900,
      );
      // Others on the same address are unaffected.
      const other = await s.api.post('/api/auth/login', {
        login: bystander.username,
        password: bystander.password,
      });
      expect(other.status).toBe(200);

      // Every failed check was logged as a security event.
      const failures = warn.mock.calls.filter(
        ([obj]) => (obj as { event?: string } | undefined)?.event === 'login_failed',
      );
      expect(failures).toHaveLength(checked.length);
    } finally {
      await s.close();
    }
  });

  it('spends the same budget on password changes: guessing the current password is throttled too', async () => {
    const s = await startTestServer({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' });
    try {
      const u = await registerUser(s.api);
      const tries = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          s.api.post(
            '/api/users/me/password',
            { currentPassword: `guess ${i}`, newPassword: 'a new passphrase here' },
            { token: u.token },
          ),
        ),
      );
      expect(tries.filter((r) => r.status === 400).length).toBeLessThanOrEqual(3);
      expect(tries.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(5);
      // And sign-in shares that budget.
      expectRateLimited(
        await s.api.post('/api/auth/login', { login: u.username, password: u.password }),
        900,
      );
    } finally {
      await s.close();
    }
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY names the proxy', async () => {
    const direct = await startTestServer({ LOGIN_MAX_FAILURES_PER_IP: '5' });
    const proxied = await startTestServer({
      LOGIN_MAX_FAILURES_PER_IP: '5',
      TRUST_PROXY: '127.0.0.1',
    });
    try {
      const signUp = (srv: typeof direct, name: string) =>
        srv.api.post(
          '/api/auth/register',
          { username: name, email: `${name}@example.test`, password: 'a fine passphrase' },
          { headers: { 'x-forwarded-for': '203.0.113.77' } },
        );
      const ipOfSession = async (srv: typeof direct, res: ApiResponse) =>
        (await srv.api.get('/api/auth/sessions', { token: res.body.accessToken })).body[0].ip;
      // The address recorded on a session is the peer's, not the forged one...
      expect(await ipOfSession(direct, await signUp(direct, 'direct_user'))).toMatch(
        /^(::ffff:)?127\.0\.0\.1$/,
      );
      // ...unless the request came through a trusted proxy.
      expect(await ipOfSession(proxied, await signUp(proxied, 'proxied_user'))).toBe(
        '203.0.113.77',
      );

      // Without a trusted proxy, every forged address is the one real peer: 5 and out.
      for (let i = 0; i < 5; i++) {
        const r = await direct.api.post(
          '/api/auth/login',
          { login: `ghost-${i}`, password: 'wrong guess' },
          { headers: forwarded(i) },
        );
        expect(r.status).toBe(401);
      }
      expectRateLimited(
        await direct.api.post(
          '/api/auth/login',
          { login: 'ghost-next', password: 'wrong guess' },
          { headers: forwarded(42) },
        ),
        900,
      );

      // Behind a trusted proxy the client address is honoured, so the limit is per client.
      for (let i = 0; i < 8; i++) {
        const r = await proxied.api.post(
          '/api/auth/login',
          { login: `ghost-${i}`, password: 'wrong guess' },
          { headers: { 'x-forwarded-for': `203.0.113.${i}` } },
        );
        expect(r.status).toBe(401);
      }
    } finally {
      await direct.close();
      await proxied.close();
    }
  });
});

describe('S27: abuse throttles', () => {
  it('limits sign-ups per address, whatever X-Forwarded-For says', async () => {
    const s = await startTestServer({ RATE_LIMIT_SIGNUPS_PER_HOUR: '3' });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await s.api.post(
          '/api/auth/register',
          {
            username: `signup_${i}`,
            email: `signup_${i}@example.test`,
            password: 'a fine passphrase',
          },
          { headers: forwarded(i) },
        );
        expect(r.status).toBe(201);
      }
      const over = await s.api.post(
        '/api/auth/register',
        { username: 'signup_x', email: 'signup_x@example.test', password: 'a fine passphrase' },
        { headers: forwarded(50) },
      );
      expectRateLimited(over, 3600);
      // Nothing was created by the refused request.
      expect(
        (
          await s.api.post('/api/auth/login', {
            login: 'signup_x',
            password: 'a fine passphrase',
          })
        ).status,
      ).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('limits searches per user, leaving other users alone', async () => {
    const s = await startTestServer({ RATE_LIMIT_SEARCHES_PER_MINUTE: '5' });
    try {
      const a = await registerUser(s.api);
      const b = await registerUser(s.api);
      for (let i = 0; i < 5; i++) {
        expect((await s.api.get(`/api/users?query=u${i}`, { token: a.token })).status).toBe(200);
      }
      expectRateLimited(await s.api.get('/api/users?query=u', { token: a.token }), 60);
      expect((await s.api.get('/api/users?query=u', { token: b.token })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
