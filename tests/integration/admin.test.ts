// The server admin's console over the API: access to every admin route, user search and
// paging, the server's figures against the database, signing a user out everywhere, and the
// registration modes with invite links (the last use raced by two sign-ups).
import { randomBytes } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isErrorShape,
  refreshCookieOf,
  registerUser,
  type ApiResponse,
  type TestUser,
} from '../helpers/api.js';
import { apiRoutes, fillParams } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, disconnected, type TestSocket } from '../helpers/socket.js';
import { upload } from '../helpers/files.js';

let t: TestServer;
let admin: TestUser;
let alice: TestUser;
const sockets: TestSocket[] = [];

// The server starts closed (REGISTRATION_MODE): its first account must still be possible.
beforeAll(async () => {
  t = await startTestServer({ REGISTRATION_MODE: 'closed' });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await t?.close();
});

const web = { 'x-parley-client': 'web' };
let counter = 0;
/** A sign-up body with fresh names (`tag` goes into the username, name and email). */
function signup(tag = 'x', extra: Record<string, unknown> = {}) {
  const n = `${tag}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;
  return {
    username: `s_${n}`,
    email: `${n}@example.test`,
    password: `pw-${randomBytes(6).toString('hex')}-Long`,
    ...extra,
  };
}

function expectRefused(res: ApiResponse, status: number, code: string, reason?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(isErrorShape(res.body)).toBe(true);
  expect(res.body.error.code).toBe(code);
  if (reason) expect(res.body.error.details?.reason).toBe(reason);
}

const setMode = async (registrationMode: string) => {
  const res = await t.api.put('/api/admin/settings', { registrationMode }, { token: admin.token });
  expect(res.status, res.text).toBe(200);
  expect(res.body).toEqual({ registrationMode });
};

const createInvite = async (maxUses: number, expiresInHours = 1) => {
  const res = await t.api.post(
    '/api/admin/invites',
    { maxUses, expiresInHours },
    { token: admin.token },
  );
  expect(res.status, res.text).toBe(201);
  return res.body as { id: number; token: string; uses: number; status: string; url: string };
};

const inviteById = async (id: number) => {
  const res = await t.api.get('/api/admin/invites', { token: admin.token });
  expect(res.status).toBe(200);
  return (res.body as Array<{ id: number; uses: number; status: string }>).find((i) => i.id === id);
};

describe('the first account', () => {
  it('registers on an empty server even while registration is closed, and becomes admin', async () => {
    const before = await t.api.get('/api/server-info');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ registrationMode: 'open' }); // what a visitor can do now
    admin = await registerUser(t.api);
    expect(admin.user.isAdmin).toBe(true);
    expect((await t.api.get('/api/server-info')).body).toMatchObject({
      registrationMode: 'closed',
    });
    expectRefused(
      await t.api.post('/api/auth/register', signup()),
      403,
      'forbidden',
      'registration_closed',
    );
    const settings = await t.api.get('/api/admin/settings', { token: admin.token });
    expect(settings.body).toEqual({ registrationMode: 'closed' });
    await setMode('open');
    alice = await registerUser(t.api, { displayName: 'Alice Admintest' });
  });
});

describe('access', () => {
  // Valid requests for each admin route, so that the answer depends on who asks alone. A new
  // admin route without a row here fails the first test.
  const VALID: Record<string, unknown> = {
    'PATCH /api/admin/users/:id': { isActive: true },
    'PUT /api/admin/settings': { registrationMode: 'open' },
    'POST /api/admin/invites': { expiresInHours: 1, maxUses: 1 },
  };
  const adminRoutes = () =>
    apiRoutes(t.server.app)
      .filter((r) => r.url.startsWith('/api/admin/'))
      .map((r) => `${r.method} ${r.url}`)
      .sort();

  it('finds every admin route in the route table', () => {
    const routes = adminRoutes();
    for (const known of [
      'GET /api/admin/users',
      'PATCH /api/admin/users/:id',
      'DELETE /api/admin/users/:id/sessions',
      'GET /api/admin/stats',
      'GET /api/admin/settings',
      'PUT /api/admin/settings',
      'GET /api/admin/invites',
      'POST /api/admin/invites',
      'DELETE /api/admin/invites/:id',
    ]) {
      expect(routes).toContain(known);
    }
    for (const key of routes) {
      if (!key.startsWith('GET') && !key.startsWith('DELETE'))
        expect(Object.keys(VALID)).toContain(key);
    }
  });

  it('answers forbidden to a non-admin and unauthorized to anyone signed out, on every one', async () => {
    const invite = await createInvite(1);
    const ids: Record<string, number> = {
      '/api/admin/users/:id': alice.id,
      '/api/admin/users/:id/sessions': admin.id,
      '/api/admin/invites/:id': invite.id,
    };
    for (const key of adminRoutes()) {
      const [method, pattern] = key.split(' ') as [string, string];
      const url = fillParams(pattern, () => ids[pattern] ?? 1);
      const asAlice = await t.api.request(method, url, VALID[key], { token: alice.token });
      expectRefused(asAlice, 403, 'forbidden');
      const anonymous = await t.api.request(method, url, VALID[key]);
      expectRefused(anonymous, 401, 'unauthorized');
      // A broken body changes nothing for them: the sign-in and admin checks come first.
      if (method !== 'GET' && key !== 'PATCH /api/admin/users/:id') {
        const junk = await t.api.request(method, url, undefined, {
          token: alice.token,
          raw: '{"nope":',
          headers: { 'content-type': 'application/json' },
        });
        expectRefused(junk, 403, 'forbidden');
      }
    }
    // Nothing changed: the admin is signed in, the invite and the mode are as they were.
    expect((await t.api.get('/api/users/me', { token: admin.token })).status).toBe(200);
    expect((await inviteById(invite.id))?.status).toBe('active');
    expect((await t.api.get('/api/server-info')).body).toMatchObject({ registrationMode: 'open' });
    // A promoted user gets in; demoted, out again.
    const promote = (isAdmin: boolean) =>
      t.api.patch(`/api/admin/users/${alice.id}`, { isAdmin }, { token: admin.token });
    expect((await promote(true)).status).toBe(200);
    expect((await t.api.get('/api/admin/stats', { token: alice.token })).status).toBe(200);
    expect((await promote(false)).status).toBe(200);
    expectRefused(await t.api.get('/api/admin/stats', { token: alice.token }), 403, 'forbidden');
  });
});

describe('users', () => {
  it('searches username, display name and email ignoring case, and pages by username', async () => {
    const tag = `q${randomBytes(3).toString('hex')}`;
    const made: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await registerUser(t.api, {
          username: `${tag}_${i}`,
          displayName: i === 4 ? 'Zed' : `Person ${i}`,
        }),
      );
    }
    const byName = await registerUser(t.api, { displayName: `Named ${tag.toUpperCase()} Here` });
    const byEmail = await registerUser(t.api, { email: `mail.${tag}@example.test` });
    const expected = [...made, byName, byEmail].map((u) => u.username.toLowerCase()).sort();

    const all: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `query=${tag.toUpperCase()}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res: ApiResponse = await t.api.get(`/api/admin/users?${q}`, { token: admin.token });
      expect(res.status, res.text).toBe(200);
      expect(res.body.users.length).toBeLessThanOrEqual(3);
      all.push(...res.body.users);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(all.map((u) => u.username.toLowerCase())).toEqual(expected);

    const one = all.find((u) => u.id === made[0]!.id);
    expect(one).toMatchObject({
      username: made[0]!.username,
      email: made[0]!.email,
      isActive: true,
      isAdmin: false,
      sessionCount: 1,
      lastSeenAt: null,
    });
    expect(typeof one.createdAt).toBe('string');
    // A second sign-in is a second live session; signing out one ends it.
    const login = await t.api.post('/api/auth/login', {
      login: made[0]!.username,
      password: made[0]!.password,
    });
    expect(login.status).toBe(200);
    const again = await t.api.get(`/api/admin/users?query=${made[0]!.username}`, {
      token: admin.token,
    });
    expect(again.body.users).toHaveLength(1);
    expect(again.body.users[0].sessionCount).toBe(2);

    const none = await t.api.get(`/api/admin/users?query=${tag}_none`, { token: admin.token });
    expect(none.body).toEqual({ users: [], nextCursor: null });
    // LIKE wildcards are text here.
    const percent = await t.api.get(`/api/admin/users?query=%25`, { token: admin.token });
    expect(percent.body.users).toEqual([]);
  });

  it('deactivates and reactivates: listed as such, signed out, sign-in refused meanwhile', async () => {
    const u = await registerUser(t.api);
    const off = await t.api.patch(
      `/api/admin/users/${u.id}`,
      { isActive: false },
      { token: admin.token },
    );
    expect(off.status).toBe(200);
    const listed = await t.api.get(`/api/admin/users?query=${u.username}`, { token: admin.token });
    expect(listed.body.users[0]).toMatchObject({ id: u.id, isActive: false, sessionCount: 0 });
    expectRefused(await t.api.get('/api/users/me', { token: u.token }), 401, 'session_expired');
    expectRefused(
      await t.api.post('/api/auth/login', { login: u.username, password: u.password }),
      403,
      'account_disabled',
    );
    const on = await t.api.patch(
      `/api/admin/users/${u.id}`,
      { isActive: true },
      { token: admin.token },
    );
    expect(on.status).toBe(200);
    const back = await t.api.post('/api/auth/login', { login: u.username, password: u.password });
    expect(back.status).toBe(200);
  });

  it('signs a user out everywhere: refresh refused, live socket told and disconnected', async () => {
    const bob = await registerUser(t.api);
    const second = await t.api.post('/api/auth/login', {
      login: bob.username,
      password: bob.password,
    });
    const socket = await connectSocket(t.url, bob.token);
    sockets.push(socket);
    const gone = disconnected(socket, 10_000);

    const res = await t.api.delete(`/api/admin/users/${bob.id}/sessions`, { token: admin.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });
    await socket.waitFor('session:expired', () => true, 10_000);
    await gone;
    for (const cookie of [bob.cookie, refreshCookieOf(second)!]) {
      const r = await t.api.post('/api/auth/refresh', undefined, { cookie, headers: web });
      expect(r.status).toBe(401);
    }
    expectRefused(await t.api.get('/api/users/me', { token: bob.token }), 401, 'session_expired');
    // Still active: signing in works.
    const back = await t.api.post('/api/auth/login', {
      login: bob.username,
      password: bob.password,
    });
    expect(back.status).toBe(200);
    // An unknown user is 404 to an admin.
    expectRefused(
      await t.api.delete('/api/admin/users/987654321/sessions', { token: admin.token }),
      404,
      'not_found',
    );
  });
});

describe('figures', () => {
  it('match what the database holds', async () => {
    const carol = await registerUser(t.api);
    const off = await registerUser(t.api);
    await t.api.patch(`/api/admin/users/${off.id}`, { isActive: false }, { token: admin.token });
    const direct = await t.api.post(
      '/api/conversations/direct',
      { userId: carol.id },
      { token: alice.token },
    );
    const group = await t.api.post(
      '/api/conversations',
      { name: 'Figures', isPrivate: false, memberIds: [carol.id] },
      { token: alice.token },
    );
    for (const id of [direct.body.id, group.body.id]) {
      const m = await t.api.post(
        `/api/conversations/${id}/messages`,
        { body: 'counted' },
        { token: carol.token },
      );
      expect(m.status).toBe(201);
    }
    expect((await upload(t.api, carol, randomBytes(3000), 'a.bin')).status).toBe(201);

    // Sockets: two of carol's, one of alice's; none of anyone else's is open now.
    for (const s of sockets.splice(0)) s.close();
    for (const token of [carol.token, carol.token, alice.token])
      sockets.push(await connectSocket(t.url, token));

    const db = t.deps.db;
    const one = async (q: RawBuilder<unknown>) =>
      Number(((await q.execute(db)).rows[0] as { n: unknown }).n);
    const want = {
      users: {
        total: await one(sql`select count(*) as n from users`),
        active: await one(sql`select count(*) as n from users where is_active = 1`),
        inactive: await one(sql`select count(*) as n from users where is_active = 0`),
        admins: await one(
          sql`select count(*) as n from users where is_active = 1 and is_admin = 1`,
        ),
      },
      conversations: {
        total: await one(sql`select count(*) as n from conversations`),
        direct: await one(sql`select count(*) as n from conversations where kind = 'direct'`),
        groups: await one(sql`select count(*) as n from conversations where kind = 'group'`),
      },
      messages: await one(sql`select count(*) as n from messages`),
      files: {
        count: await one(sql`select count(*) as n from files`),
        sizeBytes: await one(sql`select coalesce(sum(size), 0) as n from files`),
      },
    };
    expect(want.users.inactive).toBeGreaterThanOrEqual(1);
    expect(want.conversations.direct).toBeGreaterThanOrEqual(1);
    expect(want.conversations.groups).toBeGreaterThanOrEqual(1);
    expect(want.files.sizeBytes).toBeGreaterThanOrEqual(3000);

    // Sockets closed above may still be on their way out: wait for exactly the three.
    let stats: any;
    for (let i = 0; i < 100; i++) {
      stats = (await t.api.get('/api/admin/stats', { token: admin.token })).body;
      if (stats.online.sockets === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stats).toMatchObject(want);
    expect(stats.online).toEqual({ users: 2, sockets: 3 });
    expect(stats.database.kind).toBe(t.db.kind);
    expect(stats.database.sizeBytes).toBeGreaterThan(0);
    if (t.db.kind === 'sqlite') {
      const pages = await one(
        sql`select page_count * page_size as n from pragma_page_count(), pragma_page_size()`,
      );
      expect(stats.database.sizeBytes).toBeGreaterThanOrEqual(pages);
    }
    for (const s of sockets.splice(0)) s.close();
  });
});

describe('registration modes', () => {
  it('invite-only: needs a good invite; refusals say why and reveal nothing else', async () => {
    await setMode('invite-only');
    expect((await t.api.get('/api/server-info')).body).toMatchObject({
      registrationMode: 'invite-only',
    });
    // No invite, even for a username that is taken: the mode answers first.
    expectRefused(
      await t.api.post('/api/auth/register', signup('n', { username: alice.username })),
      403,
      'forbidden',
      'invite_required',
    );
    const bad = await t.api.post('/api/auth/register', signup('n', { inviteToken: 'nope' }));
    expectRefused(bad, 403, 'forbidden', 'invite_invalid');
    expect(bad.body.error.details.fields.inviteToken).toBe(bad.body.error.message);

    const invite = await createInvite(2);
    expect(invite.status).toBe('active');
    expect(invite.url).toContain(`/signup?invite=${invite.token}`);
    const ok = await t.api.post('/api/auth/register', signup('i', { inviteToken: invite.token }));
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.user.isAdmin).toBe(false);
    // A sign-up that fails for another reason uses nothing up.
    const taken = await t.api.post(
      '/api/auth/register',
      signup('i', { inviteToken: invite.token, username: alice.username }),
    );
    expectRefused(taken, 409, 'conflict');
    expect((await inviteById(invite.id))?.uses).toBe(1);
    const last = await t.api.post('/api/auth/register', signup('i', { inviteToken: invite.token }));
    expect(last.status).toBe(201);
    expect(await inviteById(invite.id)).toMatchObject({ uses: 2, status: 'used_up' });
    expectRefused(
      await t.api.post('/api/auth/register', signup('i', { inviteToken: invite.token })),
      403,
      'forbidden',
      'invite_used_up',
    );

    const expired = await createInvite(5);
    await t.deps.db
      .updateTable('invites')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', expired.id)
      .execute();
    expectRefused(
      await t.api.post('/api/auth/register', signup('e', { inviteToken: expired.token })),
      403,
      'forbidden',
      'invite_expired',
    );
    expect((await inviteById(expired.id))?.status).toBe('expired');

    const revoked = await createInvite(5);
    const del = await t.api.delete(`/api/admin/invites/${revoked.id}`, { token: admin.token });
    expect(del.status).toBe(204);
    expect(
      (await t.api.delete(`/api/admin/invites/${revoked.id}`, { token: admin.token })).status,
    ).toBe(204);
    expectRefused(
      await t.api.delete('/api/admin/invites/987654321', { token: admin.token }),
      404,
      'not_found',
    );
    expectRefused(
      await t.api.post('/api/auth/register', signup('r', { inviteToken: revoked.token })),
      403,
      'forbidden',
      'invite_revoked',
    );
    expect(await inviteById(revoked.id)).toMatchObject({ status: 'revoked', uses: 0 });
  });

  it('invite-only: of two sign-ups racing for the last use, exactly one gets in', async () => {
    await setMode('invite-only');
    for (let round = 0; round < 3; round++) {
      const invite = await createInvite(1);
      const [a, b] = await Promise.all([
        t.api.post('/api/auth/register', signup('ra', { inviteToken: invite.token })),
        t.api.post('/api/auth/register', signup('rb', { inviteToken: invite.token })),
      ]);
      const statuses = [a.status, b.status].sort();
      expect(statuses, `${a.text} / ${b.text}`).toEqual([201, 403]);
      const loser = a.status === 403 ? a : b;
      expect(loser.body.error.details.reason).toBe('invite_used_up');
      expect(await inviteById(invite.id)).toMatchObject({ uses: 1, status: 'used_up' });
    }
  });

  it('closed refuses everyone with forbidden; open takes sign-ups without an invite', async () => {
    await setMode('closed');
    const invite = await createInvite(3);
    for (const body of [signup('c'), signup('c', { inviteToken: invite.token })]) {
      const res = await t.api.post('/api/auth/register', body);
      expectRefused(res, 403, 'forbidden', 'registration_closed');
      expect(res.body.error.message).toMatch(/closed/i);
    }
    expect((await t.api.get('/api/server-info')).body).toMatchObject({
      registrationMode: 'closed',
    });
    await setMode('open');
    expect((await t.api.post('/api/auth/register', signup('o'))).status).toBe(201);
    // An invite is not needed, and not used up, while registration is open.
    const res = await t.api.post('/api/auth/register', signup('o', { inviteToken: invite.token }));
    expect(res.status).toBe(201);
    expect((await inviteById(invite.id))?.uses).toBe(0);
    // A mode that does not exist is refused, naming the field.
    const wrong = await t.api.put(
      '/api/admin/settings',
      { registrationMode: 'sometimes' },
      { token: admin.token },
    );
    expectRefused(wrong, 400, 'validation_failed');
  });
});
