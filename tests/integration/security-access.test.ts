// Security rows S13 (IDOR on user, session and admin routes), S16 (prototype pollution),
// S17 (injection) and S28 (data minimisation, failures that leak nothing).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isErrorShape, registerUser, type ApiResponse, type TestUser } from '../helpers/api.js';
import { apiRoutes, fillParams, paramsOf } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await startTestServer();
  admin = await registerUser(t.api); // the first account is the server admin
  alice = await registerUser(t.api);
  bob = await registerUser(t.api);
});
afterAll(async () => {
  await t?.close();
});

const sessionIdOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as number;
const MISSING_ID = 987_654_321;

/** What a caller learns from a response: status and body, nothing else may differ. */
const seen = (res: ApiResponse) => ({ status: res.status, body: res.body as unknown });

describe('S13: ids of other people', () => {
  /**
   * Every accounts-layer route with an id in its path. `foreign` is an id that exists but is
   * not the caller's to touch (or, for admin routes, any id at all); `body` makes the request
   * valid so the answer depends on the id alone. A new route here without a row fails the
   * first test.
   */
  const ID_ROUTES: Record<
    string,
    { access: 'owner' | 'admin' | 'any-user'; foreign: () => number; body?: unknown }
  > = {
    'DELETE /api/auth/sessions/:id': { access: 'owner', foreign: () => sessionIdOf(bob.token) },
    'GET /api/users/:id': { access: 'any-user', foreign: () => bob.id },
    'PATCH /api/admin/users/:id': {
      access: 'admin',
      foreign: () => bob.id,
      body: { isActive: true },
    },
    'DELETE /api/admin/users/:id/sessions': { access: 'admin', foreign: () => bob.id },
    'DELETE /api/admin/invites/:id': { access: 'admin', foreign: () => 1 },
  };
  const ACCOUNTS = /^\/api\/(auth|users|admin)\//;

  it('has a row for every accounts route that takes an id', () => {
    const routes = apiRoutes(t.server.app)
      .filter((r) => ACCOUNTS.test(r.url) && paramsOf(r.url).length > 0)
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(routes).toEqual(Object.keys(ID_ROUTES).sort());
  });

  const call = (key: string, id: number, token?: string) => {
    const [method, pattern] = key.split(' ') as [string, string];
    const row = ID_ROUTES[key]!;
    return t.api.request(
      method,
      fillParams(pattern, () => id),
      row.body,
      { token },
    );
  };

  for (const [key, row] of Object.entries(ID_ROUTES)) {
    it(`${key}: another's id and a missing id look the same`, async () => {
      // Signed out: 401 whatever the id.
      const anonForeign = await call(key, row.foreign(), undefined);
      const anonMissing = await call(key, MISSING_ID, undefined);
      expect(anonForeign.status).toBe(401);
      expect(seen(anonForeign)).toEqual(seen(anonMissing));

      const foreign = await call(key, row.foreign(), alice.token);
      const missing = await call(key, MISSING_ID, alice.token);
      expect(isErrorShape(missing.body)).toBe(true);
      switch (row.access) {
        case 'owner':
          expect(missing.status).toBe(404);
          expect(seen(foreign)).toEqual(seen(missing));
          break;
        case 'admin': {
          expect(missing.status).toBe(403);
          expect(seen(foreign)).toEqual(seen(missing));
          // Even one's own id and the admin's: a non-admin learns nothing.
          expect(seen(await call(key, alice.id, alice.token))).toEqual(seen(missing));
          expect(seen(await call(key, admin.id, alice.token))).toEqual(seen(missing));
          // An admin does get a plain 404 for a missing id.
          expect((await call(key, MISSING_ID, admin.token)).status).toBe(404);
          break;
        }
        case 'any-user':
          // Public profiles are readable by any signed-in user (PROTOCOL.md); only that.
          expect(foreign.status).toBe(200);
          expect(missing.status).toBe(404);
          break;
      }
      // Bob's things are untouched.
      expect((await t.api.get('/api/users/me', { token: bob.token })).status).toBe(200);
    });
  }
});

describe('S16: prototype pollution', () => {
  const payloads = [
    '{"__proto__":{"isAdmin":true}}',
    '{"bio":"x","__proto__":{"isAdmin":true}}',
    '{"constructor":{"prototype":{"isAdmin":true}}}',
    '{"bio":"x","constructor":{"prototype":{"isAdmin":true}}}',
    '{"displayName":"x","nested":{"__proto__":{"isAdmin":true}}}',
    '{"login":"a","password":"b","__proto__":{"isAdmin":true,"polluted":1}}',
  ];

  it('refuses __proto__ and constructor.prototype in every accounts JSON body', async () => {
    const u = await registerUser(t.api);
    const targets: Array<[string, string]> = [
      ['POST', '/api/auth/register'],
      ['POST', '/api/auth/login'],
      ['PATCH', '/api/users/me'],
      ['POST', '/api/users/me/password'],
      ['PATCH', `/api/admin/users/${u.id}`],
    ];
    for (const [method, path] of targets) {
      for (const raw of payloads) {
        const res = await t.api.request(method, path, undefined, {
          raw,
          token: u.token,
          headers: { 'content-type': 'application/json' },
        });
        expect(res.status, `${method} ${path} ${raw}`).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
      }
    }
    // With credentials that are right: still refused, and nobody was signed in.
    const sneaky = await t.api.request('POST', '/api/auth/login', undefined, {
      raw: JSON.stringify({ login: u.username, password: u.password }).replace(
        /}$/,
        ',"__proto__":{"isAdmin":true}}',
      ),
      headers: { 'content-type': 'application/json' },
    });
    expect(sneaky.status).toBe(400);
    for (const query of [
      '__proto__[isAdmin]=true',
      'constructor[prototype][isAdmin]=true',
      '__proto__.isAdmin=true&query=u',
    ]) {
      const res = await t.api.get(`/api/users?${query}`, { token: u.token });
      expect(res.status, query).toBeLessThan(500);
    }

    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('isAdmin');
    const me = await t.api.get('/api/users/me', { token: u.token });
    expect(me.body.isAdmin).toBe(false);
    expect((await t.api.get('/api/users/me', { token: alice.token })).body.isAdmin).toBe(false);
    const admins = await t.deps.db
      .selectFrom('users')
      .select('id')
      .where('is_admin', '=', 1)
      .execute();
    expect(admins.map((r) => r.id)).toEqual([admin.id]);
  });
});

describe('S17: injection', () => {
  const names = {
    snake: 'snake_case_one',
    decoy: 'snakeXcaseYone',
  };
  let searcher: TestUser;

  beforeAll(async () => {
    searcher = await registerUser(t.api);
    await registerUser(t.api, { username: names.snake, displayName: 'Plain Snake' });
    await registerUser(t.api, { username: names.decoy, displayName: 'Plain Decoy' });
    await registerUser(t.api, { username: 'pct_holder', displayName: '100% sure' });
    await registerUser(t.api, { username: 'bang_holder', displayName: 'Wow! Bang' });
    await registerUser(t.api, { username: 'slash_holder', displayName: 'back\\slash' });
    await registerUser(t.api, { username: 'quote_holder', displayName: "O'Brien" });
  });

  const search = async (query: string): Promise<string[]> => {
    const res = await t.api.get(`/api/users?limit=50&query=${encodeURIComponent(query)}`, {
      token: searcher.token,
    });
    expect(res.status, query).toBe(200);
    return (res.body as Array<{ username: string }>).map((u) => u.username).sort();
  };

  it('matches LIKE wildcards and quotes literally', async () => {
    expect(await search('snake_case')).toEqual([names.snake]);
    expect(await search('_case_')).toEqual([names.snake]);
    expect(await search('%')).toEqual(['pct_holder']);
    expect(await search('100%')).toEqual(['pct_holder']);
    expect(await search('!')).toEqual(['bang_holder']);
    expect(await search('w! b')).toEqual(['bang_holder']);
    expect(await search('\\')).toEqual(['slash_holder']);
    expect(await search("o'b")).toEqual(['quote_holder']);
    expect(await search("' OR 1=1 --")).toEqual([]);
    expect(await search("x' OR 'a'='a")).toEqual([]);
    expect(await search('%" OR 1=1; --')).toEqual([]);
    expect(await search('!%')).toEqual([]);
    expect(await search('!_')).toEqual([]);
  });

  it('ignores sort and column parameters it does not know', async () => {
    const plain = await search('holder');
    for (const extra of [
      'sort=password_hash',
      'order=email%20desc',
      'orderBy=1;DROP%20TABLE%20users',
    ]) {
      const res = await t.api.get(`/api/users?query=holder&limit=50&${extra}`, {
        token: searcher.token,
      });
      expect(res.status, extra).toBe(200);
      expect(res.body.map((u: { username: string }) => u.username).sort()).toEqual(plain);
    }
  });

  it('refuses operator objects and arrays where strings are expected', async () => {
    const u = await registerUser(t.api);
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/auth/login', { login: { $ne: null }, password: { $ne: null } }, 'login'],
      ['POST', '/api/auth/login', { login: u.username, password: { $gt: '' } }, 'password'],
      ['POST', '/api/auth/login', { login: [u.username], password: u.password }, 'login'],
      [
        'POST',
        '/api/auth/register',
        { username: { $gt: '' }, email: 'op@example.test', password: 'a fine passphrase' },
        'username',
      ],
      ['PATCH', '/api/users/me', { email: { $ne: null } }, 'email'],
      ['PATCH', '/api/users/me', { displayName: { toString: 'x' } }, 'displayName'],
      [
        'POST',
        '/api/users/me/password',
        { currentPassword: { $ne: null }, newPassword: 'another passphrase' },
        'currentPassword',
      ],
      ['PATCH', `/api/admin/users/${u.id}`, { isAdmin: { $ne: false } }, 'isAdmin'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await t.api.request(method, path, body, { token: u.token });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(Object.keys(res.body.error.details.fields).join(), JSON.stringify(body)).toContain(
        field,
      );
    }
    const arr = await t.api.get('/api/users?query=a&query=b', { token: u.token });
    expect(arr.status).toBe(400);
    expect(arr.body.error.code).toBe('validation_failed');
  });
});

describe('S28: data minimisation', () => {
  const PUBLIC_USER_KEYS = ['avatarUrl', 'displayName', 'id', 'lastSeenAt', 'online', 'username'];

  it('shows other users only their public fields', async () => {
    const hash = (
      await t.deps.db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', bob.id)
        .executeTakeFirstOrThrow()
    ).password_hash;
    const one = await t.api.get(`/api/users/${bob.id}`, { token: alice.token });
    const many = await t.api.get(`/api/users?query=${bob.username}`, { token: alice.token });
    expect(one.status).toBe(200);
    expect(many.status).toBe(200);
    expect(many.body).toHaveLength(1);
    for (const user of [one.body, many.body[0]]) {
      expect(Object.keys(user).sort()).toEqual(PUBLIC_USER_KEYS);
    }
    for (const res of [one, many]) {
      for (const secret of [bob.email, bob.password, hash, bob.token, '$argon2']) {
        expect(res.text).not.toContain(secret);
      }
    }
  });

  it('never puts a password hash or token in my own profile or session list', async () => {
    const mine = await t.api.get('/api/users/me', { token: alice.token });
    expect(mine.body.email).toBe(alice.email);
    const sessions = await t.api.get('/api/auth/sessions', { token: alice.token });
    for (const res of [mine, sessions]) {
      expect(res.text).not.toContain('$argon2');
      expect(res.text).not.toContain(alice.password);
      expect(res.text).not.toMatch(/salt|refresh|passwordHash|password_hash/i);
    }
  });

  it('answers a failing query with a bare 500: no SQL, no stack, no table names', async () => {
    const s = await startTestServer();
    try {
      const u = await registerUser(s.api);
      const logged = vi.spyOn(s.deps.log, 'error');
      await sql`ALTER TABLE sessions RENAME TO sessions_gone`.execute(s.deps.db);
      try {
        const res = await s.api.get('/api/users/me', { token: u.token });
        expect(res.status).toBe(500);
        expect(res.body).toEqual({
          error: { code: 'internal', message: expect.any(String) },
        });
        expect(res.text).not.toMatch(/sessions|select|from|sql|stack|\.ts|node_modules|\sat\s/i);
      } finally {
        await sql`ALTER TABLE sessions_gone RENAME TO sessions`.execute(s.deps.db);
      }
      // The detail went to the log, where operators look.
      expect(logged).toHaveBeenCalled();
      expect((await s.api.get('/api/users/me', { token: u.token })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('answers 503 unavailable with Retry-After when the database is gone', async () => {
    const s = await startTestServer();
    try {
      const u = await registerUser(s.api);
      await s.server.database.close();
      const calls: ApiResponse[] = [
        await s.api.get('/api/users/me', { token: u.token }),
        await s.api.post('/api/auth/login', { login: u.username, password: u.password }),
        await s.api.get(`/api/users?query=u`, { token: u.token }),
      ];
      for (const res of calls) {
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('unavailable');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(res.text).not.toMatch(/destroyed|kysely|pool|stack|\sat\s/i);
      }
      expect((await s.api.get('/readyz')).status).toBe(503);
      expect((await s.api.get('/healthz')).status).toBe(200);
    } finally {
      await s.server.app.close();
      await s.db.drop();
    }
  });
});
