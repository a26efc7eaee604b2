import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorShape, refreshCookieOf, registerUser } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
const web = { 'x-parley-client': 'web' };

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('register', () => {
  it('creates an account, signs it in and sets the refresh cookie', async () => {
    const res = await t.api.post('/api/auth/register', {
      username: 'Reg.User-1',
      email: 'Reg.User@Example.test',
      password: 'a perfectly fine passphrase',
      displayName: 'Reg User',
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({
      username: 'Reg.User-1',
      email: 'Reg.User@Example.test',
      displayName: 'Reg User',
      bio: '',
      avatarUrl: null,
    });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect(typeof res.body.accessToken).toBe('string');
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('parley_refresh='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/api\/auth/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const me = await t.api.get('/api/users/me', { token: res.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(res.body.user.id);
  });

  it('refuses a username or email taken in another case, naming the field', async () => {
    const a = await registerUser(t.api);
    const dupName = await t.api.post('/api/auth/register', {
      username: a.username.toUpperCase(),
      email: 'other1@example.test',
      password: 'another fine passphrase',
    });
    expect(dupName.status).toBe(409);
    expect(dupName.body.error.code).toBe('conflict');
    expect(dupName.body.error.details.field).toBe('username');
    const dupMail = await t.api.post('/api/auth/register', {
      username: 'someone_else',
      email: a.email.toUpperCase(),
      password: 'another fine passphrase',
    });
    expect(dupMail.status).toBe(409);
    expect(dupMail.body.error.details.field).toBe('email');
  });

  it('validates fields and names each bad one', async () => {
    const res = await t.api.post('/api/auth/register', {
      username: 'x',
      email: 'nope',
      password: 'short',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.details.fields).sort()).toEqual([
      'email',
      'password',
      'username',
    ]);
  });

  it('gives concurrent sign-ups with one name exactly one account', async () => {
    const body = {
      username: 'racer',
      email: 'racer@example.test',
      password: 'racing passphrase 1',
    };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.api.post('/api/auth/register', { ...body, email: `racer${i}@example.test` }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
  });
});

describe('login', () => {
  it('accepts username or email in any case, and refuses wrong passwords alike', async () => {
    const u = await registerUser(t.api);
    for (const login of [u.username, u.username.toUpperCase(), u.email, u.email.toUpperCase()]) {
      const res = await t.api.post('/api/auth/login', { login, password: u.password });
      expect(res.status, login).toBe(200);
      expect(res.body.user.id).toBe(u.id);
      expect(refreshCookieOf(res)).toBeTruthy();
    }
    const wrong = await t.api.post('/api/auth/login', {
      login: u.username,
      password: 'not the password',
    });
    const unknown = await t.api.post('/api/auth/login', {
      login: 'nobody-here',
      password: 'not the password',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('invalid_credentials');
  });

  it('issues a new session id at every login', async () => {
    const u = await registerUser(t.api);
    const a = await t.api.post('/api/auth/login', { login: u.username, password: u.password });
    const b = await t.api.post('/api/auth/login', { login: u.username, password: u.password });
    const sessions = await t.api.get('/api/auth/sessions', { token: b.body.accessToken });
    expect(sessions.body).toHaveLength(3);
    expect(new Set(sessions.body.map((s: { id: number }) => s.id)).size).toBe(3);
    expect(sessions.body.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(a.body.accessToken).not.toBe(b.body.accessToken);
  });
});

describe('refresh', () => {
  it('rotates the cookie and revokes the session when an older cookie comes back', async () => {
    const u = await registerUser(t.api);
    const r1 = await t.api.post('/api/auth/refresh', undefined, { cookie: u.cookie, headers: web });
    expect(r1.status).toBe(200);
    expect(typeof r1.body.accessToken).toBe('string');
    const c2 = refreshCookieOf(r1)!;
    expect(c2).toBeTruthy();
    expect(c2).not.toBe(u.cookie);
    expect((await t.api.get('/api/users/me', { token: r1.body.accessToken })).status).toBe(200);
    const r2 = await t.api.post('/api/auth/refresh', undefined, { cookie: c2, headers: web });
    expect(r2.status).toBe(200);
    const c3 = refreshCookieOf(r2)!;
    expect(c3).not.toBe(c2);

    // The first cookie is two rotations old: no grace for it (only the one just replaced has).
    const reuse = await t.api.post('/api/auth/refresh', undefined, {
      cookie: u.cookie,
      headers: web,
    });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('session_expired');
    // The whole session is gone: the newest cookie and its access token no longer work.
    const after = await t.api.post('/api/auth/refresh', undefined, { cookie: c3, headers: web });
    expect(after.status).toBe(401);
    const me = await t.api.get('/api/users/me', { token: r2.body.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('session_expired');
  });

  it('requires the client header (CSRF) and a cookie', async () => {
    const u = await registerUser(t.api);
    const noHeader = await t.api.post('/api/auth/refresh', undefined, { cookie: u.cookie });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.error.code).toBe('forbidden');
    const noCookie = await t.api.post('/api/auth/refresh', undefined, { headers: web });
    expect(noCookie.status).toBe(401);
    const forged = await t.api.post('/api/auth/refresh', undefined, {
      cookie: u.cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      headers: web,
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('unauthorized');
    // A forged cookie does not harm the real session.
    expect(
      (await t.api.post('/api/auth/refresh', undefined, { cookie: u.cookie, headers: web })).status,
    ).toBe(200);
  });
});

describe('logout and sessions', () => {
  it('logout revokes the session and clears the cookie', async () => {
    const u = await registerUser(t.api);
    const res = await t.api.post('/api/auth/logout', undefined, { token: u.token });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie().some((c) => /^parley_refresh=;/.test(c))).toBe(true);
    const me = await t.api.get('/api/users/me', { token: u.token });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('session_expired');
    const r = await t.api.post('/api/auth/refresh', undefined, { cookie: u.cookie, headers: web });
    expect(r.status).toBe(401);
  });

  it("lists and revokes own sessions; another user's session is not found", async () => {
    const u = await registerUser(t.api);
    const other = await registerUser(t.api);
    const second = await t.api.post(
      '/api/auth/login',
      { login: u.username, password: u.password },
      { headers: { 'user-agent': 'second-device' } },
    );
    const list = await t.api.get('/api/auth/sessions', { token: u.token });
    expect(list.status).toBe(200);
    const mine = list.body.find((s: { current: boolean }) => s.current);
    const theirs = list.body.find((s: { current: boolean }) => !s.current);
    expect(theirs.userAgent).toBe('second-device');
    expect(theirs.ip).toBeTruthy();
    const otherSessions = await t.api.get('/api/auth/sessions', { token: other.token });
    const foreignId = otherSessions.body[0].id;
    const notMine = await t.api.delete(`/api/auth/sessions/${foreignId}`, { token: u.token });
    const missing = await t.api.delete(`/api/auth/sessions/999999`, { token: u.token });
    expect(notMine.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(notMine.body).toEqual(missing.body);
    expect((await t.api.get('/api/users/me', { token: other.token })).status).toBe(200);

    const del = await t.api.delete(`/api/auth/sessions/${theirs.id}`, { token: u.token });
    expect(del.status).toBe(204);
    expect((await t.api.get('/api/users/me', { token: second.body.accessToken })).status).toBe(401);
    expect((await t.api.get('/api/users/me', { token: u.token })).status).toBe(200);
    expect(mine.id).not.toBe(theirs.id);
  });
});

describe('password change', () => {
  it('needs the current password and signs out every other session', async () => {
    const u = await registerUser(t.api);
    const other = await t.api.post('/api/auth/login', { login: u.username, password: u.password });
    const bad = await t.api.post(
      '/api/users/me/password',
      { currentPassword: 'wrong one', newPassword: 'brand new passphrase' },
      { token: u.token },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.currentPassword).toBeTruthy();
    const ok = await t.api.post(
      '/api/users/me/password',
      { currentPassword: u.password, newPassword: 'brand new passphrase' },
      { token: u.token },
    );
    expect(ok.status).toBe(204);
    expect((await t.api.get('/api/users/me', { token: u.token })).status).toBe(200);
    expect((await t.api.get('/api/users/me', { token: other.body.accessToken })).status).toBe(401);
    expect(
      (await t.api.post('/api/auth/login', { login: u.username, password: u.password })).status,
    ).toBe(401);
    expect(
      (await t.api.post('/api/auth/login', { login: u.username, password: 'brand new passphrase' }))
        .status,
    ).toBe(200);
  });
});

describe('admin', () => {
  it('the first account is an admin who can deactivate and reactivate users', async () => {
    const fresh = await startTestServer();
    try {
      const admin = await registerUser(fresh.api);
      const user = await registerUser(fresh.api);
      expect(admin.user.isAdmin).toBe(true);
      expect(user.user.isAdmin).toBe(false);

      const notAdmin = await fresh.api.patch(
        `/api/admin/users/${admin.id}`,
        { isActive: false },
        { token: user.token },
      );
      expect(notAdmin.status).toBe(403);
      const notAdminMissing = await fresh.api.patch(
        `/api/admin/users/99999`,
        { isActive: false },
        { token: user.token },
      );
      expect(notAdminMissing.status).toBe(403);

      const off = await fresh.api.patch(
        `/api/admin/users/${user.id}`,
        { isActive: false },
        { token: admin.token },
      );
      expect(off.status).toBe(200);
      expect(off.body.id).toBe(user.id);
      const me = await fresh.api.get('/api/users/me', { token: user.token });
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('session_expired');
      expect(
        (
          await fresh.api.post('/api/auth/refresh', undefined, {
            cookie: user.cookie,
            headers: web,
          })
        ).status,
      ).toBe(401);
      const login = await fresh.api.post('/api/auth/login', {
        login: user.username,
        password: user.password,
      });
      expect(login.status).toBe(403);
      expect(login.body.error.code).toBe('account_disabled');
      const search = await fresh.api.get(`/api/users?query=${user.username}`, {
        token: admin.token,
      });
      expect(search.body).toHaveLength(0);

      expect(
        (
          await fresh.api.patch(
            `/api/admin/users/${user.id}`,
            { isActive: true },
            { token: admin.token },
          )
        ).status,
      ).toBe(200);
      expect(
        (await fresh.api.post('/api/auth/login', { login: user.username, password: user.password }))
          .status,
      ).toBe(200);

      const promote = await fresh.api.patch(
        `/api/admin/users/${user.id}`,
        { isAdmin: true },
        { token: admin.token },
      );
      expect(promote.body.isAdmin).toBe(true);
      const self = await fresh.api.patch(
        `/api/admin/users/${admin.id}`,
        { isActive: false },
        { token: admin.token },
      );
      expect(self.status).toBe(409);
    } finally {
      await fresh.close();
    }
  });
});

describe('idle expiry', () => {
  it('expires a session after the idle time and renews it with activity', async () => {
    // 0.05 minutes = 3 s of idle time allowed.
    const s = await startTestServer({ SESSION_IDLE_MINUTES: '0.05' });
    try {
      const u = await registerUser(s.api);
      // Activity every second keeps it alive past the idle window.
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        expect((await s.api.get('/api/users/me', { token: u.token })).status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 3500));
      const me = await s.api.get('/api/users/me', { token: u.token });
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('session_expired');
      expect(isErrorShape(me.body)).toBe(true);
      const r = await s.api.post('/api/auth/refresh', undefined, {
        cookie: u.cookie,
        headers: web,
      });
      expect(r.status).toBe(401);
    } finally {
      await s.close();
    }
  });
});

describe('rate limiting', () => {
  it('throttles failed logins per account with Retry-After, leaving other accounts alone', async () => {
    const s = await startTestServer({
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
      LOGIN_MAX_FAILURES_PER_IP: '100',
    });
    try {
      const u = await registerUser(s.api);
      const v = await registerUser(s.api);
      for (let i = 0; i < 3; i++) {
        expect(
          (await s.api.post('/api/auth/login', { login: u.username, password: 'wrong guess' }))
            .status,
        ).toBe(401);
      }
      const limited = await s.api.post('/api/auth/login', {
        login: u.username,
        password: u.password,
      });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Forged X-Forwarded-For is ignored without TRUST_PROXY: still the same limit.
      const forged = await s.api.post(
        '/api/auth/login',
        { login: u.username, password: u.password },
        { headers: { 'x-forwarded-for': '203.0.113.9' } },
      );
      expect(forged.status).toBe(429);
      expect(
        (await s.api.post('/api/auth/login', { login: v.username, password: v.password })).status,
      ).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('throttles failed logins per address across accounts', async () => {
    const s = await startTestServer({
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '100',
      LOGIN_MAX_FAILURES_PER_IP: '4',
    });
    try {
      for (let i = 0; i < 4; i++) {
        expect(
          (await s.api.post('/api/auth/login', { login: `ghost${i}`, password: 'wrong guess' }))
            .status,
        ).toBe(401);
      }
      const res = await s.api.post('/api/auth/login', {
        login: 'ghost-next',
        password: 'wrong guess',
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBeTruthy();
    } finally {
      await s.close();
    }
  });
});
