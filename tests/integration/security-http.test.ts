// Security rows S8 (token storage, server side), S9 (CSRF) and S26 (security headers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isErrorShape,
  refreshCookieOf,
  registerUser,
  type ApiResponse,
  type TestUser,
} from '../helpers/api.js';
import { apiRoutes, fillParams, isStateChanging } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const web = { 'x-parley-client': 'web' };

describe('S8: refresh cookie and caching', () => {
  let plain: TestServer;
  let secure: TestServer;

  beforeAll(async () => {
    plain = await startTestServer();
    secure = await startTestServer({ PUBLIC_URL: 'https://chat.example.test' });
  });
  afterAll(async () => {
    await plain?.close();
    await secure?.close();
  });

  const refreshCookies = (res: ApiResponse) =>
    res.headers.getSetCookie().filter((c) => c.startsWith('parley_refresh='));

  /** The cookie is HttpOnly, SameSite=Strict and scoped to /api/auth; Secure on https. */
  function expectCookieAttributes(res: ApiResponse, secureExpected: boolean): void {
    // The protocol fixes the cookie name as `parley_refresh`, so the `__Host-` prefix cannot be
    // used; Path=/api/auth, HttpOnly, SameSite=Strict and Secure give the protection it would.
    const cookies = refreshCookies(res);
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) {
      const attrs = c.split(';').map((a) => a.trim().toLowerCase());
      expect(attrs, c).toContain('httponly');
      expect(attrs, c).toContain('samesite=strict');
      expect(attrs, c).toContain('path=/api/auth');
      expect(attrs.includes('secure'), c).toBe(secureExpected);
      expect(
        attrs.some((a) => a.startsWith('domain=')),
        c,
      ).toBe(false);
    }
  }

  it('sets and clears the cookie with Secure when PUBLIC_URL is https', async () => {
    const u = await registerUser(secure.api);
    const reg = await secure.api.post('/api/auth/register', {
      username: 'secure_cookie',
      email: 'secure_cookie@example.test',
      password: 'a fine passphrase',
    });
    expectCookieAttributes(reg, true);
    const login = await secure.api.post('/api/auth/login', {
      login: u.username,
      password: u.password,
    });
    expectCookieAttributes(login, true);
    const rotated = await secure.api.post('/api/auth/refresh', undefined, {
      cookie: refreshCookieOf(login)!,
      headers: web,
    });
    expect(rotated.status).toBe(200);
    expectCookieAttributes(rotated, true);
    const again = await secure.api.post('/api/auth/refresh', undefined, {
      cookie: refreshCookieOf(rotated)!,
      headers: web,
    });
    expect(again.status).toBe(200);
    // Clearing sends the same attributes, or browsers may keep the Secure cookie. (The cookie
    // of two rotations ago is reuse even within the grace of the one before it.)
    const reuse = await secure.api.post('/api/auth/refresh', undefined, {
      cookie: refreshCookieOf(login)!,
      headers: web,
    });
    expect(reuse.status).toBe(401);
    expectCookieAttributes(reuse, true);
    const logout = await secure.api.post('/api/auth/logout', undefined, { token: u.token });
    expect(logout.status).toBe(204);
    expectCookieAttributes(logout, true);
  });

  it('leaves Secure off on plain http, so the cookie works at all', async () => {
    const u = await registerUser(plain.api);
    const login = await plain.api.post('/api/auth/login', {
      login: u.username,
      password: u.password,
    });
    expectCookieAttributes(login, false);
    const logout = await plain.api.post('/api/auth/logout', undefined, { token: u.token });
    expectCookieAttributes(logout, false);
  });

  it('marks every auth and API response Cache-Control: no-store, errors included', async () => {
    const u = await registerUser(plain.api);
    const responses: Record<string, ApiResponse> = {
      register: await plain.api.post('/api/auth/register', {
        username: 'no_store_user',
        email: 'no_store_user@example.test',
        password: 'a fine passphrase',
      }),
      login: await plain.api.post('/api/auth/login', { login: u.username, password: u.password }),
      'failed login': await plain.api.post('/api/auth/login', {
        login: u.username,
        password: 'wrong',
      }),
      'invalid body': await plain.api.post('/api/auth/login', { login: 1 }),
      refresh: await plain.api.post('/api/auth/refresh', undefined, {
        cookie: u.cookie,
        headers: web,
      }),
      'refresh without cookie': await plain.api.post('/api/auth/refresh', undefined, {
        headers: web,
      }),
      sessions: await plain.api.get('/api/auth/sessions', { token: u.token }),
      me: await plain.api.get('/api/users/me', { token: u.token }),
      'unauthenticated me': await plain.api.get('/api/users/me'),
      'unknown API route': await plain.api.get('/api/nope'),
      logout: await plain.api.post('/api/auth/logout', undefined, { token: u.token }),
    };
    for (const [name, res] of Object.entries(responses)) {
      expect(res.headers.get('cache-control'), name).toBe('no-store');
    }
  });
});

describe('S9: cross-site requests', () => {
  let t: TestServer;
  let victim: TestUser; // the server admin, so admin routes would work for a forged request
  let bystander: TestUser;

  beforeAll(async () => {
    t = await startTestServer({ ALLOWED_ORIGINS: 'https://app.example.test' });
    victim = await registerUser(t.api, { displayName: 'Victim' });
    bystander = await registerUser(t.api);
  });
  afterAll(async () => {
    await t?.close();
  });

  const sessionIdOf = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as number;

  function forgedBodies(): Array<[string, () => { raw: string | FormData; type?: string }]> {
    return [
      [
        'text/plain',
        () => ({ raw: '{"displayName":"pwned","isActive":false}', type: 'text/plain' }),
      ],
      [
        'urlencoded',
        () => ({
          raw: 'displayName=pwned&isActive=false',
          type: 'application/x-www-form-urlencoded',
        }),
      ],
      [
        'multipart',
        () => {
          const form = new FormData();
          form.set('displayName', 'pwned');
          form.set('file', new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])]), 'x.png');
          return { raw: form };
        },
      ],
    ];
  }

  it('refuses cross-site form posts to every state-changing API route', async () => {
    const port = new URL(t.url).port;
    const markers: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1.evil.example:${port}` },
      { origin: 'https://app.example.test.evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site', origin: t.url },
    ];
    const routes = apiRoutes(t.server.app).filter((r) => isStateChanging(r.method));
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const route of routes) {
      const url = fillParams(route.url, (name) =>
        route.url.startsWith('/api/auth/sessions') && name === 'id'
          ? sessionIdOf(victim.token)
          : bystander.id,
      );
      for (const [kind, body] of forgedBodies()) {
        for (const marker of markers) {
          const { raw, type } = body();
          // Everything the attacker could hope the browser attaches, and more.
          const res = await t.api.request(route.method, url, undefined, {
            raw,
            token: victim.token,
            cookie: victim.cookie,
            headers: { ...web, ...marker, ...(type ? { 'content-type': type } : {}) },
          });
          const what = `${route.method} ${url} ${kind} ${JSON.stringify(marker)}`;
          expect(res.status, what).toBe(403);
          expect(isErrorShape(res.body), what).toBe(true);
          expect(res.body.error.code, what).toBe('forbidden');
        }
      }
    }
    // Nothing changed: same profile, both accounts active, the victim's first refresh cookie
    // was never rotated or revoked.
    const profile = await t.api.get('/api/users/me', { token: victim.token });
    expect(profile.status).toBe(200);
    expect(profile.body.displayName).toBe('Victim');
    expect((await t.api.get('/api/users/me', { token: bystander.token })).status).toBe(200);
    const r = await t.api.post('/api/auth/refresh', undefined, {
      cookie: victim.cookie,
      headers: web,
    });
    expect(r.status).toBe(200);
    victim.cookie = refreshCookieOf(r)!;
  });

  it('lets same-origin and allowed-origin requests through', async () => {
    const allowed: Record<string, string>[] = [
      { origin: t.url, 'sec-fetch-site': 'same-origin' },
      { origin: 'https://app.example.test', 'sec-fetch-site': 'same-site' },
      {},
    ];
    for (const headers of allowed) {
      const res = await t.api.patch(
        '/api/users/me',
        { bio: `edited from ${headers.origin ?? 'a non-browser client'}` },
        { token: bystander.token, headers },
      );
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('honours the refresh cookie only with X-Parley-Client: web', async () => {
    const u = await registerUser(t.api);
    // What a cross-site form can send: the cookie, a simple content type, no custom header.
    const formLike: Record<string, string>[] = [
      {},
      { 'content-type': 'text/plain' },
      { 'x-parley-client': 'WEB' },
      { 'x-parley-client': 'mobile' },
    ];
    for (const headers of formLike) {
      const res = await t.api.request('POST', '/api/auth/refresh', undefined, {
        cookie: u.cookie,
        headers,
        ...(headers['content-type'] ? { raw: 'x' } : {}),
      });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      const out = await t.api.post('/api/auth/logout', undefined, { cookie: u.cookie, headers });
      expect(out.status, JSON.stringify(headers)).toBe(403);
    }
    // A junk bearer token alongside does not make the cookie count without the header.
    const junk = await t.api.post('/api/auth/logout', undefined, {
      cookie: u.cookie,
      headers: { authorization: 'Bearer junk' },
    });
    expect(junk.status).toBe(401);
    expect((await t.api.get('/api/users/me', { token: u.token })).status).toBe(200);
    // The cookie was neither rotated nor revoked by any of that.
    expect(
      (await t.api.post('/api/auth/refresh', undefined, { cookie: u.cookie, headers: web })).status,
    ).toBe(200);
  });

  it('changes nothing on GET or HEAD to any state-changing path', async () => {
    const u = await registerUser(t.api, { displayName: 'Unchanged' });
    const routes = apiRoutes(t.server.app).filter((r) => isStateChanging(r.method));
    for (const route of routes) {
      const url = fillParams(route.url, () => sessionIdOf(u.token));
      for (const method of ['GET', 'HEAD']) {
        const res = await t.api.request(
          method,
          `${url}?displayName=pwned&isActive=false`,
          undefined,
          {
            cookie: u.cookie,
            headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
          },
        );
        expect(res.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${method} ${url}`).toBeLessThan(500);
      }
    }
    const profile = await t.api.get('/api/users/me', { token: u.token });
    expect(profile.status).toBe(200);
    expect(profile.body.displayName).toBe('Unchanged');
    expect(
      (await t.api.post('/api/auth/refresh', undefined, { cookie: u.cookie, headers: web })).status,
    ).toBe(200);
  });

  // Known gap, fixed in server/app.ts (not owned here): the guard in the onRequest hook tests
  // `request.url.startsWith('/api/')`, but the router decodes the path, so `/%61pi/...` reaches
  // the same handlers unguarded (and without Cache-Control: no-store). Run the guard on every
  // non-GET request, or test the decoded path / `request.routeOptions.url`, then drop `.fails`.
  it('refuses cross-site requests on percent-encoded API paths too', async () => {
    const u = await registerUser(t.api);
    const res = await t.api.post('/%61pi/auth/logout', undefined, {
      token: u.token,
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect((await t.api.get('/api/users/me', { token: u.token })).status).toBe(200);
  });
});

describe('S26: security headers', () => {
  let t: TestServer;
  let u: TestUser;

  beforeAll(async () => {
    t = await startTestServer();
    u = await registerUser(t.api);
  });
  afterAll(async () => {
    await t?.close();
  });

  const REFERRER_POLICIES = [
    'no-referrer',
    'same-origin',
    'strict-origin',
    'strict-origin-when-cross-origin',
  ];

  /** What is missing or too weak in a response's security headers. */
  function headerProblems(res: ApiResponse): string[] {
    const problems: string[] = [];
    const hsts = res.headers.get('strict-transport-security') ?? '';
    if (Number(/max-age=(\d+)/i.exec(hsts)?.[1] ?? 0) < 31_536_000) {
      problems.push(`Strict-Transport-Security "${hsts}"`);
    }
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...values]) => [name!.toLowerCase(), values] as const),
    );
    for (const name of ['frame-ancestors', 'object-src', 'base-uri']) {
      if (directives.get(name)?.join(' ') !== "'none'") problems.push(`CSP ${name} in "${csp}"`);
    }
    const scripts = directives.get('script-src') ?? directives.get('default-src');
    if (!scripts || scripts.includes("'unsafe-inline'") || scripts.includes('*')) {
      problems.push(`CSP script-src in "${csp}"`);
    }
    const referrer = res.headers.get('referrer-policy') ?? '';
    if (!REFERRER_POLICIES.includes(referrer)) problems.push(`Referrer-Policy "${referrer}"`);
    if (res.headers.get('x-content-type-options') !== 'nosniff') {
      problems.push('X-Content-Type-Options');
    }
    return problems;
  }

  it('sends them on API responses, errors, health endpoints and the web client', async () => {
    const responses: Record<string, ApiResponse> = {
      'GET /api/users/me': await t.api.get('/api/users/me', { token: u.token }),
      'POST /api/auth/login (401)': await t.api.post('/api/auth/login', {
        login: u.username,
        password: 'wrong',
      }),
      'GET /api/nope (404)': await t.api.get('/api/nope'),
      'PATCH /api/users/me (400)': await t.api.patch(
        '/api/users/me',
        { bio: 1 },
        { token: u.token },
      ),
      'cross-site POST (403)': await t.api.post('/api/auth/logout', undefined, {
        headers: { origin: 'https://evil.example' },
      }),
      'POST 1 MB body (413)': await t.api.request('POST', '/api/auth/login', undefined, {
        raw: JSON.stringify({ login: 'x'.repeat(1_100_000), password: 'x' }),
        headers: { 'content-type': 'application/json' },
      }),
      'GET /healthz': await t.api.get('/healthz'),
      'GET /readyz': await t.api.get('/readyz'),
      'GET /': await t.api.get('/'),
      'GET /index.html': await t.api.get('/index.html'),
      'GET /conversations/12 (client route)': await t.api.get('/conversations/12'),
    };
    for (const [name, res] of Object.entries(responses)) {
      expect(res.status, name).toBeLessThan(500);
      expect(headerProblems(res), name).toEqual([]);
    }
  });

  // @fastify/swagger-ui's own static CSP (`frame-ancestors 'self'`, `base-uri 'self'`) replaces
  // the app's on /api/docs; the app rewrites it back to the strict values.
  it('sends them on the API docs', async () => {
    for (const path of ['/api/docs', '/api/docs/json', '/api/docs/static/swagger-ui.css']) {
      const res = await t.api.get(path);
      expect(res.status, path).toBe(200);
      expect(headerProblems(res), path).toEqual([]);
    }
  });
});
