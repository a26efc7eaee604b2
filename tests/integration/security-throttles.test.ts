// Security rows S2 (password guessing), S31 (nobody can lock another person out) and S27 (abuse
// throttles on sign-up and search).
import http from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { isErrorShape, registerUser, type ApiResponse } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const forwarded = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i % 250}, 203.0.113.${i}` });

function expectRateLimited(res: ApiResponse, maxSeconds: number): void {
  expect(res.status).toBe(429);
  expect(isErrorShape(res.body)).toBe(true);
  expect(res.body.error.code).toBe('rate_limited');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
}

/**
 * Signs in from a real address of the loopback net: the server listens on 127.0.0.1, and every
 * 127.x.y.z reaches it, so each is another client without trusting any proxy.
 */
function loginFrom(
  s: TestServer,
  localAddress: string,
  login: string,
  password: string,
): Promise<ApiResponse> {
  const payload = JSON.stringify({ login, password });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${s.url}/api/auth/login`,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(payload)),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
              headers.append(name, v);
            }
          }
          const json = (res.headers['content-type'] ?? '').includes('json') && text !== '';
          resolve({
            status: res.statusCode ?? 0,
            body: json ? JSON.parse(text) : text,
            headers,
            text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('S2: password guessing', () => {
  it('stops parallel guesses at the limit per login and address, by username and email, ignoring forged addresses', async () => {
    // Defaults: 10 failures per login and address and 50 per address in 15 minutes.
    const s = await startTestServer();
    try {
      const victim = await registerUser(s.api);
      const bystander = await registerUser(s.api);
      const warn = vi.spyOn(s.deps.log, 'warn');
      // The username in two cases is one login; the email is another.
      const names = [victim.username, victim.email, victim.username.toUpperCase()];
      const guesses = await Promise.all(
        Array.from({ length: 45 }, (_, i) =>
          s.api.post(
            '/api/auth/login',
            { login: names[i % names.length], password: `guess number ${i}` },
            { headers: forwarded(i) },
          ),
        ),
      );
      const checkedAs = (pick: (i: number) => boolean) =>
        guesses.filter((r, i) => pick(i) && r.status === 401).length;
      const refused = guesses.filter((r) => r.status === 429);
      expect(guesses.filter((r) => r.status === 401).length + refused.length).toBe(45);
      // Without TRUST_PROXY the peer is the one real address, so at most the limit of each
      // login reached the password check, however the guesses were timed.
      const byEmail = checkedAs((i) => i % 3 === 1);
      const byUsername = checkedAs((i) => i % 3 !== 1);
      expect(byEmail).toBeGreaterThan(0);
      expect(byEmail).toBeLessThanOrEqual(10);
      expect(byUsername).toBeGreaterThan(0);
      expect(byUsername).toBeLessThanOrEqual(10);
      for (const r of refused) expectRateLimited(r, 900);

      // Those failures lock that address out of those logins, even with the right password...
      expectRateLimited(
        await s.api.post('/api/auth/login', { login: victim.email, password: victim.password }),
        900,
      );
      // ...but not the owner elsewhere.
      expect((await loginFrom(s, '127.0.0.3', victim.email, victim.password)).status).toBe(200);
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
      expect(failures).toHaveLength(byEmail + byUsername);
    } finally {
      await s.close();
    }
  });

  it('locks the account at its hourly ceiling against guesses from rotating addresses, even in parallel', async () => {
    // The ceiling is 100 an hour by default (config.test.ts); 12 keeps this quick.
    const s = await startTestServer({
      TRUST_PROXY: '127.0.0.1',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '12',
    });
    try {
      const victim = await registerUser(s.api);
      const bystander = await registerUser(s.api);
      const from = (i: number) => ({ headers: { 'x-forwarded-for': `203.0.113.${i}` } });
      // Every guess from an address of its own: no per-address limit is ever near.
      const guesses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          s.api.post(
            '/api/auth/login',
            { login: i % 2 ? victim.username : victim.email, password: `guess ${i}` },
            from(i),
          ),
        ),
      );
      const checked = guesses.filter((r) => r.status === 401).length;
      expect(checked).toBeGreaterThan(0);
      expect(checked).toBeLessThanOrEqual(12);
      expect(guesses.filter((r) => r.status === 429)).toHaveLength(30 - checked);

      // Sequential guesses fill what parallel ones may have left; then everyone is refused.
      for (let i = 30; checked + (i - 30) < 12; i++) {
        expect(
          (
            await s.api.post(
              '/api/auth/login',
              { login: victim.username, password: 'one more guess' },
              from(i),
            )
          ).status,
        ).toBe(401);
      }
      for (const login of [victim.username, victim.email, victim.email.toUpperCase()]) {
        const res = await s.api.post(
          '/api/auth/login',
          { login, password: victim.password },
          from(200),
        );
        // Locked for the account's window (an hour), not the 15 minutes of the other limits.
        expectRateLimited(res, 3600);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(900);
      }
      expect(
        (
          await s.api.post(
            '/api/auth/login',
            { login: bystander.username, password: bystander.password },
            from(200),
          )
        ).status,
      ).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('counts wrong current passwords in password changes against the account ceiling', async () => {
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
      // And sign-in shares that ceiling.
      expectRateLimited(
        await s.api.post('/api/auth/login', { login: u.username, password: u.password }),
        3600,
      );
    } finally {
      await s.close();
    }
  });

  it('limits password-change guesses per address below the ceiling, leaving sign-in elsewhere alone', async () => {
    const s = await startTestServer({
      TRUST_PROXY: '127.0.0.1',
      LOGIN_MAX_FAILURES_PER_LOGIN: '3',
    });
    try {
      const u = await registerUser(s.api);
      const here = { 'x-forwarded-for': '203.0.113.10' };
      const change = (currentPassword: string) =>
        s.api.post(
          '/api/users/me/password',
          { currentPassword, newPassword: 'a new passphrase here' },
          { token: u.token, headers: here },
        );
      const tries = await Promise.all(Array.from({ length: 8 }, (_, i) => change(`guess ${i}`)));
      expect(tries.filter((r) => r.status === 400).length).toBeGreaterThan(0);
      expect(tries.filter((r) => r.status === 400).length).toBeLessThanOrEqual(3);
      for (const r of tries.filter((x) => x.status !== 400)) expectRateLimited(r, 900);
      // Even the right current password waits at that address...
      expectRateLimited(await change(u.password), 900);
      // ...while the owner signs in, and changes the password, from another one.
      const elsewhere = { 'x-forwarded-for': '198.51.100.20' };
      const signIn = await s.api.post(
        '/api/auth/login',
        { login: u.username, password: u.password },
        { headers: elsewhere },
      );
      expect(signIn.status).toBe(200);
      const changed = await s.api.post(
        '/api/users/me/password',
        { currentPassword: u.password, newPassword: 'a new passphrase here' },
        { token: signIn.body.accessToken, headers: elsewhere },
      );
      expect(changed.status).toBe(204);
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

describe('S31: nobody can lock another person out', () => {
  it('lets the owner in from another address, and answers for the email as for an unknown one', async () => {
    const s = await startTestServer();
    try {
      const victim = await registerUser(s.api);
      const attacker = '127.0.0.2';
      for (let i = 0; i < 10; i++) {
        const r = await loginFrom(s, attacker, victim.username, `wrong guess ${i}`);
        expect(r.status).toBe(401);
        expect(r.body.error.code).toBe('invalid_credentials');
      }
      expectRateLimited(await loginFrom(s, attacker, victim.username, 'wrong guess 10'), 900);

      const owner = await loginFrom(s, '127.0.0.3', victim.username, victim.password);
      expect(owner.status).toBe(200);
      expect(owner.body.user.id).toBe(victim.id);

      // The attacker's failures on the username say nothing about which email is the victim's:
      // both emails are answered alike, failure after failure, up to and past their own limit.
      const unknown = `nobody-${victim.username}@example.test`;
      for (let i = 0; i < 11; i++) {
        const mine = await loginFrom(s, attacker, victim.email, `another guess ${i}`);
        const theirs = await loginFrom(s, attacker, unknown, `another guess ${i}`);
        expect(theirs.status, `attempt ${i + 1}`).toBe(mine.status);
        expect(theirs.body.error.code).toBe(mine.body.error.code);
        expect(theirs.body.error.message).toBe(mine.body.error.message);
        expect(mine.status).toBe(i < 10 ? 401 : 429);
        if (mine.status === 401) expect(theirs.text).toBe(mine.text);
      }
      // Still below the account's ceiling: the owner signs in again from elsewhere.
      expect((await loginFrom(s, '127.0.0.4', victim.email, victim.password)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('keeps counting toward the ceiling when the owner signs in between guesses', async () => {
    // Were a success to clear the account's count, each sign-in of the owner would hand
    // whoever is guessing a fresh budget, beyond the ceiling of an hour.
    const s = await startTestServer({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '6' });
    try {
      const victim = await registerUser(s.api);
      for (let i = 0; i < 3; i++) {
        expect((await loginFrom(s, `127.0.3.${i + 1}`, victim.username, 'guess')).status).toBe(401);
      }
      expect((await loginFrom(s, '127.0.3.50', victim.username, victim.password)).status).toBe(200);
      let more = 0;
      for (; more < 6; more++) {
        const r = await loginFrom(s, `127.0.3.${more + 10}`, victim.username, 'guess');
        if (r.status === 429) break;
        expect(r.status).toBe(401);
      }
      expect(3 + more).toBeLessThanOrEqual(6);
    } finally {
      await s.close();
    }
  });

  it('locks an account for every address once the failures of an hour reach its ceiling', async () => {
    // The ceiling is 100 an hour by default (config.test.ts); 15 keeps this quick.
    const s = await startTestServer({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '15' });
    try {
      const victim = await registerUser(s.api);
      const ghost = `ghost-${victim.username}`;
      // Three failures from each of five addresses, on the account and on a name nobody has:
      // they are answered alike, so the ceiling does not tell real accounts apart.
      for (let i = 0; i < 16; i++) {
        const address = `127.0.1.${10 + Math.floor(i / 3)}`;
        const mine = await loginFrom(s, address, victim.username, `guess ${i}`);
        const theirs = await loginFrom(s, address, ghost, `guess ${i}`);
        expect(mine.status, `attempt ${i + 1}`).toBe(i < 15 ? 401 : 429);
        expect(theirs.status, `attempt ${i + 1}`).toBe(mine.status);
      }
      // Now the right password fails from a fresh address too, by username or email, for the hour.
      for (const login of [victim.username, victim.email]) {
        const res = await loginFrom(s, '127.0.2.99', login, victim.password);
        expectRateLimited(res, 3600);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(900);
      }
    } finally {
      await s.close();
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
