// Security rows S5 (session lifecycle, REST side), S6 (refresh token reuse) and S7 (JWT forgery).
import { createHmac } from 'node:crypto';
import { SignJWT, UnsecuredJWT, decodeJwt, type JWTHeaderParameters } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorShape, refreshCookieOf, registerUser, type TestUser } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let admin: TestUser;
const web = { 'x-parley-client': 'web' };

beforeAll(async () => {
  t = await startTestServer();
  admin = await registerUser(t.api); // the first account is the server admin
});
afterAll(async () => {
  await t?.close();
});

const me = (token: string) => t.api.get('/api/users/me', { token });
const refresh = (cookie: string) =>
  t.api.post('/api/auth/refresh', undefined, { cookie, headers: web });
const login = (u: TestUser, headers: Record<string, string> = {}) =>
  t.api.post('/api/auth/login', { login: u.username, password: u.password }, { headers });
const sessionIdOf = (accessToken: string) => decodeJwt(accessToken).sid as number;

async function expectSessionDead(accessToken: string, cookie: string): Promise<void> {
  const a = await me(accessToken);
  expect(a.status).toBe(401);
  expect(a.body.error.code).toBe('session_expired');
  const r = await refresh(cookie);
  expect(r.status).toBe(401);
  expect(isErrorShape(r.body)).toBe(true);
  expect(r.body).not.toHaveProperty('accessToken');
}

async function expectSessionAlive(accessToken: string): Promise<void> {
  expect((await me(accessToken)).status).toBe(200);
}

describe('S5: every way a session ends rejects both its access token and its refresh cookie', () => {
  const endings: Record<string, (victim: TestUser) => Promise<string | null>> = {
    'logout with the access token': async (v) => {
      expect((await t.api.post('/api/auth/logout', undefined, { token: v.token })).status).toBe(
        204,
      );
      return null;
    },
    'logout with the refresh cookie (web client)': async (v) => {
      const res = await t.api.post('/api/auth/logout', undefined, {
        cookie: v.cookie,
        headers: web,
      });
      expect(res.status).toBe(204);
      return null;
    },
    'password change from another session': async (v) => {
      const other = await login(v);
      const res = await t.api.post(
        '/api/users/me/password',
        { currentPassword: v.password, newPassword: 'another long passphrase' },
        { token: other.body.accessToken },
      );
      expect(res.status).toBe(204);
      return other.body.accessToken as string;
    },
    'deactivation by an admin': async (v) => {
      const res = await t.api.patch(
        `/api/admin/users/${v.id}`,
        { isActive: false },
        { token: admin.token },
      );
      expect(res.status).toBe(200);
      return admin.token;
    },
    'DELETE /api/auth/sessions/:id from another session': async (v) => {
      const other = await login(v);
      const res = await t.api.delete(`/api/auth/sessions/${sessionIdOf(v.token)}`, {
        token: other.body.accessToken,
      });
      expect(res.status).toBe(204);
      return other.body.accessToken as string;
    },
  };

  for (const [how, end] of Object.entries(endings)) {
    it(how, async () => {
      const victim = await registerUser(t.api);
      await expectSessionAlive(victim.token);
      const survivor = await end(victim);
      await expectSessionDead(victim.token, victim.cookie);
      // The session that did it lives on.
      if (survivor) await expectSessionAlive(survivor);
    });
  }

  it('starts a new session at every login, whatever session cookie the browser holds', async () => {
    const attacker = await registerUser(t.api);
    const victim = await registerUser(t.api);
    // A cookie planted in the victim's browser (fixation) is not adopted by the victim's login.
    const res = await t.api.post(
      '/api/auth/login',
      { login: victim.username, password: victim.password },
      { cookie: attacker.cookie },
    );
    expect(res.status).toBe(200);
    const sid = sessionIdOf(res.body.accessToken);
    const cookie = refreshCookieOf(res)!;
    expect(cookie).not.toBe(attacker.cookie);
    expect(sid).not.toBe(sessionIdOf(attacker.token));
    expect(sid).not.toBe(sessionIdOf(victim.token));
    expect(cookie).toMatch(new RegExp(`^parley_refresh=${sid}\\.`));
    // The planted cookie still belongs to the attacker's own session and account only.
    const planted = await refresh(attacker.cookie);
    expect(planted.status).toBe(200);
    expect(decodeJwt(planted.body.accessToken).sub).toBe(String(attacker.id));
  });

  it('enforces the idle timeout and the absolute lifetime on access and refresh', async () => {
    const idle = await registerUser(t.api);
    const old = await registerUser(t.api);
    const now = Date.now();
    // Rather than waiting, age the sessions in the database.
    await t.deps.db
      .updateTable('sessions')
      .set({ last_active_at: now - t.deps.config.sessionIdleMs - 1000 })
      .where('id', '=', sessionIdOf(idle.token))
      .execute();
    await t.deps.db
      .updateTable('sessions')
      .set({ expires_at: now - 1000 })
      .where('id', '=', sessionIdOf(old.token))
      .execute();
    await expectSessionDead(idle.token, idle.cookie);
    await expectSessionDead(old.token, old.cookie);
  });
});

describe('S6: refresh tokens', () => {
  it('rotates, and a replayed old token kills the whole session, however old it is', async () => {
    const u = await registerUser(t.api);
    const r2 = await refresh(u.cookie);
    expect(r2.status).toBe(200);
    const c2 = refreshCookieOf(r2)!;
    const r3 = await refresh(c2);
    expect(r3.status).toBe(200);
    const c3 = refreshCookieOf(r3)!;
    expect(new Set([u.cookie, c2, c3]).size).toBe(3);

    const replay = await refresh(u.cookie); // two generations back
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('session_expired');
    for (const token of [u.token, r2.body.accessToken, r3.body.accessToken]) {
      expect((await me(token)).status).toBe(401);
    }
    expect((await refresh(c3)).status).toBe(401);
    expect((await refresh(c2)).status).toBe(401);
  });

  it('lets concurrent refreshes with one token all succeed, with one family', async () => {
    // PROTOCOL amendments of v1.1: the generation just replaced gets the new cookie again for
    // 10 seconds, so tabs refreshing at once keep the user signed in.
    const u = await registerUser(t.api);
    const sid = sessionIdOf(u.token);
    const all = await Promise.all(Array.from({ length: 6 }, () => refresh(u.cookie)));
    expect(all.map((r) => r.status)).toEqual(Array(6).fill(200));
    const cookies = new Set(all.map((r) => refreshCookieOf(r)));
    // One rotation: every answer carries generation 1 of this session.
    expect([...cookies]).toEqual([
      expect.stringMatching(new RegExp(`^parley_refresh=${sid}\\.1\\.`)),
    ]);
    for (const r of all) await expectSessionAlive(r.body.accessToken);
    const next = await refresh([...cookies][0]!);
    expect(next.status).toBe(200);
    expect(refreshCookieOf(next)).toMatch(new RegExp(`^parley_refresh=${sid}\\.2\\.`));
    await expectSessionAlive(next.body.accessToken);
    await expectSessionAlive(u.token);
  });

  it('refuses a refresh past the absolute lifetime and clears the cookie', async () => {
    const u = await registerUser(t.api);
    expect((await refresh(u.cookie)).status).toBe(200);
    const fresh = await login(u);
    const cookie = refreshCookieOf(fresh)!;
    await t.deps.db
      .updateTable('sessions')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', sessionIdOf(fresh.body.accessToken))
      .execute();
    const res = await refresh(cookie);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_expired');
    expect(res.headers.getSetCookie().some((c) => /^parley_refresh=;/.test(c))).toBe(true);
    expect((await me(fresh.body.accessToken)).status).toBe(401);
  });
});

describe('S7: forged access tokens', () => {
  let victim: TestUser;
  let other: TestUser;
  let secret: Uint8Array;

  beforeAll(async () => {
    victim = await registerUser(t.api);
    other = await registerUser(t.api);
    secret = t.deps.config.jwtSecret;
  });

  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const hmac = (input: string, key: Uint8Array | string) =>
    createHmac('sha256', key).update(input).digest('base64url');

  /** A compact JWS built by hand, so headers jose would refuse to produce can be sent. */
  function handmade(header: object, payload: object, key: Uint8Array | string | null): string {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${key === null ? '' : hmac(input, key)}`;
  }

  function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      sid: sessionIdOf(victim.token),
      sub: String(victim.id),
      iss: 'parley',
      aud: 'parley',
      iat: now,
      exp: now + 600,
      ...over,
    };
  }

  async function signed(
    header: Partial<JWTHeaderParameters>,
    payload: Record<string, unknown>,
    key: Uint8Array = secret,
  ): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
      .sign(key);
  }

  it('control: a token built like the server builds it is accepted', async () => {
    const token = await signed({}, claims());
    expect((await me(token)).status).toBe(200);
  });

  it('refuses every forged, tampered or malformed token with 401 and the error shape', async () => {
    const attackerKey = new TextEncoder().encode('an attacker key that is long enough!!');
    const now = Math.floor(Date.now() / 1000);
    const genuine = victim.token;
    const [h, , sig] = genuine.split('.');
    const tamper = (over: Record<string, unknown>) =>
      `${h}.${b64({ ...decodeJwt(genuine), ...over })}.${sig}`;
    const jwk = { kty: 'oct', k: Buffer.from(attackerKey).toString('base64url') };

    const cases: Record<string, string> = {
      'alg none (jose)': new UnsecuredJWT(claims()).encode(),
      'alg none, signature kept': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.${sig}`,
      'alg None': handmade({ alg: 'None' }, claims(), null),
      'alg HS256, empty signature': handmade({ alg: 'HS256', typ: 'JWT' }, claims(), null),
      'HS256 with another secret': await signed({}, claims(), attackerKey),
      'HS256 with an empty key': handmade({ alg: 'HS256', typ: 'JWT' }, claims(), ''),
      'HS512 with the real secret': await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS512', typ: 'JWT' })
        .sign(secret),
      'jku header': await signed({ jku: 'https://evil.example/jwks.json' }, claims()),
      'jku header, attacker key': await signed(
        { jku: 'https://evil.example/jwks.json' },
        claims(),
        attackerKey,
      ),
      'embedded jwk': handmade({ alg: 'HS256', jwk }, claims(), attackerKey),
      'embedded jwk, real secret': handmade({ alg: 'HS256', jwk }, claims(), secret),
      'x5u header': await signed({ x5u: 'https://evil.example/cert.pem' }, claims()),
      'x5c header': handmade({ alg: 'HS256', x5c: ['MIIB'] }, claims(), secret),
      'kid path traversal, empty key': handmade(
        { alg: 'HS256', kid: '../../dev/null' },
        claims(),
        '',
      ),
      'kid path traversal, real secret': await signed({ kid: '../../dev/null' }, claims()),
      'kid with SQL': await signed({ kid: "x' UNION SELECT 'secret' --" }, claims()),
      'kid with SQL, chosen key': handmade(
        { alg: 'HS256', kid: "' OR 1=1 --" },
        claims(),
        'secret',
      ),
      'crit header': handmade({ alg: 'HS256', crit: ['exp'] }, claims(), secret),
      'typ other than JWT': await signed({ typ: 'at+jwt' }, claims()),
      'wrong aud': await signed({}, claims({ aud: 'someone-else' })),
      'no aud': await signed({}, claims({ aud: undefined })),
      'wrong iss': await signed({}, claims({ iss: 'evil' })),
      'no iss': await signed({}, claims({ iss: undefined })),
      'expired exp': await signed({}, claims({ iat: now - 3600, exp: now - 60 })),
      'no exp': await signed({}, claims({ exp: undefined })),
      'no iat': await signed({}, claims({ iat: undefined })),
      'future nbf': await signed({}, claims({ nbf: now + 600 })),
      'tampered sub': tamper({ sub: String(admin.id) }),
      'tampered sid': tamper({ sid: sessionIdOf(admin.token) }),
      'tampered role claim': tamper({ role: 'admin', isAdmin: true }),
      "sid of another user's session": await signed({}, claims({ sid: sessionIdOf(other.token) })),
      "another user's sub with my sid": await signed({}, claims({ sub: String(other.id) })),
      'sid that does not exist': await signed({}, claims({ sid: 987654321 })),
      'sid as a string': await signed({}, claims({ sid: String(sessionIdOf(victim.token)) })),
      'no sid': await signed({}, claims({ sid: undefined })),
      'sub not a number': await signed({}, claims({ sub: 'admin' })),
      'sub zero': await signed({}, claims({ sub: '0' })),
      'refresh token as bearer': victim.cookie.replace(/^parley_refresh=/, ''),
      garbage: 'not-a-token',
      'three empty parts': '..',
      'truncated token': genuine.slice(0, -10),
      'oversized token': genuine + 'A'.repeat(5000),
    };

    for (const [name, token] of Object.entries(cases)) {
      const res = await me(token);
      expect(res.status, name).toBe(401);
      expect(isErrorShape(res.body), name).toBe(true);
      expect(['unauthorized', 'session_expired'], name).toContain(res.body.error.code);
    }
    // None of that harmed the real session.
    await expectSessionAlive(victim.token);
  });

  it('refuses missing, empty and non-bearer Authorization headers', async () => {
    for (const authorization of [
      '',
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      `Token ${victim.token}`,
      `Bearer ${victim.token} extra`,
    ]) {
      const res = await t.api.get('/api/users/me', { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.body.error.code, authorization).toBe('unauthorized');
    }
    const none = await t.api.get('/api/users/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
  });
});
