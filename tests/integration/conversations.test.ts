import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/api.js';
import {
  Chat,
  expectConversation,
  expectError,
  expectMember,
  expectMessage,
  sleep,
} from '../helpers/chat.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';

let t: TestServer;
let chat: Chat;
const open: TestSocket[] = [];

beforeAll(async () => {
  t = await startTestServer();
  chat = new Chat(t.api);
});
afterAll(async () => {
  for (const s of open) s.close();
  await t?.close();
});

/** Fresh users, in ascending id order (members who joined together are listed by id). */
const users = async (n: number) =>
  (await Promise.all(Array.from({ length: n }, () => registerUser(t.api)))).sort(
    (p, q) => p.id - q.id,
  );

async function connect(u: TestUser): Promise<TestSocket> {
  const s = await connectSocket(t.url, u.token);
  open.push(s);
  return s;
}

const messagesOf = async (u: TestUser, id: number) =>
  (await chat.history(u, id, '?limit=200')).messages as any[];

describe('create a group', () => {
  it('answers 201 with the creator as owner, the listed members, and a room_created message', async () => {
    const [a, b, c] = await users(3);
    const sb = await connect(b!);
    const res = await t.api.post(
      '/api/conversations',
      { name: '  Team  ', topic: 'Plans', isPrivate: true, memberIds: [b!.id, b!.id, a!.id] },
      { token: a!.token },
    );
    expect(res.status).toBe(201);
    const g = res.body;
    expectConversation(g, {
      kind: 'group',
      name: 'Team',
      topic: 'Plans',
      isPrivate: true,
      createdBy: a!.id,
      otherUser: null,
      memberCount: 2,
      myRole: 'owner',
      lastSeq: 1,
      unreadCount: 0,
      myReadSeq: 1,
      muted: false,
    });
    expectMessage(g.lastMessage, {
      kind: 'system',
      seq: 1,
      senderId: a!.id,
      clientId: null,
      meta: { event: 'room_created', userId: a!.id, actorId: a!.id },
    });

    // The added member learns about it at once, seeing it as a plain member.
    const told = await sb.waitFor('conversation:updated', (p) => p.id === g.id);
    expectConversation(told, { id: g.id, myRole: 'member', memberCount: 2, unreadCount: 0 });

    const full = await chat.get(a!, g.id);
    expectConversation(full, { id: g.id, myRole: 'owner' }, true);
    expect(full.members.map((m: any) => [m.user.id, m.role, m.deliveredSeq, m.readSeq])).toEqual([
      [a!.id, 'owner', 1, 1],
      [b!.id, 'member', 1, 1],
    ]);
    expectError(
      await t.api.get(`/api/conversations/${g.id}`, { token: c!.token }),
      404,
      'not_found',
    );
  });

  it('validates the body and names the bad fields', async () => {
    const [a] = await users(1);
    const post = (body: unknown) => t.api.post('/api/conversations', body, { token: a!.token });
    const noName = await post({ isPrivate: true });
    expectError(noName, 400, 'validation_failed');
    expect(noName.body.error.details.fields).toHaveProperty('name');
    expectError(await post({ name: 'x' }), 400, 'validation_failed');
    expectError(await post({ name: '   ', isPrivate: true }), 400, 'validation_failed');
    expectError(await post({ name: 'x'.repeat(81), isPrivate: true }), 400, 'validation_failed');
    expectError(await post({ name: 'x', isPrivate: 'yes' }), 400, 'validation_failed');
    expectError(await post({ name: 'x', isPrivate: true, extra: 1 }), 400, 'validation_failed');
    const unknown = await post({ name: 'x', isPrivate: true, memberIds: [987654321] });
    expectError(unknown, 400, 'validation_failed');
    expect(unknown.body.error.details.fields).toHaveProperty('memberIds');
    expectError(
      await t.api.post('/api/conversations', { name: 'x', isPrivate: true }),
      401,
      'unauthorized',
    );
  });
});

describe('direct conversations', () => {
  it('answers 201 when created and 200 after, from either side', async () => {
    const [a, b] = await users(2);
    const sb = await connect(b!);
    const first = await t.api.post(
      '/api/conversations/direct',
      { userId: b!.id },
      { token: a!.token },
    );
    expect(first.status).toBe(201);
    expectConversation(first.body, {
      kind: 'direct',
      name: null,
      topic: null,
      isPrivate: true,
      createdBy: a!.id,
      memberCount: 2,
      myRole: 'member',
      lastSeq: 0,
      lastMessage: null,
      unreadCount: 0,
      myReadSeq: 0,
      muted: false,
      otherUser: { id: b!.id, username: b!.username, online: true },
    });
    const told = await sb.waitFor('conversation:updated', (p) => p.id === first.body.id);
    expect(told.otherUser.id).toBe(a!.id);

    const again = await t.api.post(
      '/api/conversations/direct',
      { userId: b!.id },
      { token: a!.token },
    );
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const mirror = await t.api.post(
      '/api/conversations/direct',
      { userId: a!.id },
      { token: b!.token },
    );
    expect(mirror.status).toBe(200);
    expect(mirror.body.id).toBe(first.body.id);
    expectConversation(mirror.body, { otherUser: { id: a!.id, online: false } });
  });

  it('stays one per pair when both users open it at the same moment', async () => {
    const [c, d] = await users(2);
    const calls = Array.from({ length: 20 }, (_, i) =>
      i % 2
        ? t.api.post('/api/conversations/direct', { userId: d!.id }, { token: c!.token })
        : t.api.post('/api/conversations/direct', { userId: c!.id }, { token: d!.token }),
    );
    const res = await Promise.all(calls);
    expect(res.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(200)].sort());
    expect(new Set(res.map((r) => r.body.id)).size).toBe(1);
    const rows = await t.deps.db
      .selectFrom('members as m1')
      .innerJoin('members as m2', 'm2.conversation_id', 'm1.conversation_id')
      .innerJoin('conversations', 'conversations.id', 'm1.conversation_id')
      .select('conversations.id')
      .where('conversations.kind', '=', 'direct')
      .where('m1.user_id', '=', c!.id)
      .where('m2.user_id', '=', d!.id)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses yourself, unknown users and bad bodies', async () => {
    const [a] = await users(1);
    const post = (body: unknown) =>
      t.api.post('/api/conversations/direct', body, { token: a!.token });
    expectError(await post({ userId: a!.id }), 400, 'validation_failed');
    expectError(await post({ userId: 987654321 }), 404, 'not_found');
    expectError(await post({ userId: '2' }), 400, 'validation_failed');
    expectError(await post({ userId: -1 }), 400, 'validation_failed');
    expectError(await post({ userId: 1.5 }), 400, 'validation_failed');
    expectError(await post({}), 400, 'validation_failed');
  });
});

describe('the conversation list', () => {
  it('lists only my conversations, newest activity first', async () => {
    const [a, b, c] = await users(3);
    const g1 = await chat.group(a!, { name: 'one', memberIds: [b!.id] });
    await sleep(3);
    const g2 = await chat.group(a!, { name: 'two' });
    await sleep(3);
    const d = await chat.direct(a!, b!);
    expect((await chat.list(a!)).map((x) => x.id)).toEqual([d.id, g2.id, g1.id]);
    await sleep(3);
    await chat.send(b!, g1.id, 'bump');
    const list = await chat.list(a!);
    expect(list.map((x) => x.id)).toEqual([g1.id, d.id, g2.id]);
    for (const x of list) expectConversation(x);
    expectConversation(list[0], { lastSeq: 2, unreadCount: 1, myReadSeq: 1 });
    expectMessage(list[0].lastMessage, { body: 'bump', senderId: b!.id, kind: 'text' });
    expect((await chat.list(b!)).map((x) => x.id)).toEqual([g1.id, d.id]);
    expect(await chat.list(c!)).toEqual([]);
  });
});

describe('public groups', () => {
  it('browses public groups by name, joined or not, with zero counters when not joined', async () => {
    const [a, b] = await users(2);
    const pub = await chat.group(a!, {
      name: 'Alpha Lounge 100%',
      topic: 'talk',
      isPrivate: false,
    });
    const priv = await chat.group(a!, { name: 'Alpha Secret', isPrivate: true });
    await chat.send(a!, pub.id, 'hello');
    await chat.send(a!, pub.id, 'again');

    const res = await t.api.get('/api/conversations/public?query=ALPHA', { token: b!.token });
    expect(res.status).toBe(200);
    const ids = res.body.map((x: any) => x.id);
    expect(ids).toContain(pub.id);
    expect(ids).not.toContain(priv.id);
    const seen = res.body.find((x: any) => x.id === pub.id);
    expectConversation(seen, {
      kind: 'group',
      isPrivate: false,
      name: 'Alpha Lounge 100%',
      myRole: null,
      unreadCount: 0,
      myReadSeq: 0,
      memberCount: 1,
      lastSeq: 3,
      muted: false,
    });
    for (const x of res.body) expect(x.isPrivate).toBe(false);

    const mine = await t.api.get('/api/conversations/public?query=alpha', { token: a!.token });
    expectConversation(
      mine.body.find((x: any) => x.id === pub.id),
      { myRole: 'owner', myReadSeq: 3 },
    );

    // LIKE wildcards in the query are plain characters.
    const pct = await t.api.get('/api/conversations/public?query=100%25', { token: b!.token });
    expect(pct.body.map((x: any) => x.id)).toContain(pub.id);
    const under = await t.api.get('/api/conversations/public?query=alph_', { token: b!.token });
    expect(under.body.map((x: any) => x.id)).not.toContain(pub.id);
    const all = await t.api.get('/api/conversations/public', { token: b!.token });
    expect(all.body.map((x: any) => x.id)).toContain(pub.id);
    expectError(
      await t.api.get(`/api/conversations/public?query=${'x'.repeat(65)}`, { token: b!.token }),
      400,
      'validation_failed',
    );
  });

  it('shows a public group with its members to anyone signed in; private and direct are 404', async () => {
    const [a, b, c] = await users(3);
    const pub = await chat.group(a!, { name: 'Open', isPrivate: false, memberIds: [c!.id] });
    const priv = await chat.group(a!, { name: 'Closed', isPrivate: true, memberIds: [c!.id] });
    const dm = await chat.direct(a!, c!);

    const seen = await t.api.get(`/api/conversations/${pub.id}`, { token: b!.token });
    expect(seen.status).toBe(200);
    expectConversation(
      seen.body,
      { id: pub.id, myRole: null, unreadCount: 0, memberCount: 2 },
      true,
    );
    expect(seen.body.members.map((m: any) => m.user.id)).toEqual([a!.id, c!.id]);
    expectMember(seen.body.members[0], { role: 'owner' });

    const missing = await t.api.get('/api/conversations/987654321', { token: b!.token });
    expectError(missing, 404, 'not_found');
    for (const id of [priv.id, dm.id]) {
      const r = await t.api.get(`/api/conversations/${id}`, { token: b!.token });
      expect(r.status).toBe(404);
      expect(r.body).toEqual(missing.body);
    }
    const d = await chat.get(c!, dm.id);
    expectConversation(d, { kind: 'direct', otherUser: { id: a!.id } }, true);
    expect(d.members.map((m: any) => m.role)).toEqual(['member', 'member']);
    expectError(
      await t.api.get('/api/conversations/0', { token: b!.token }),
      400,
      'validation_failed',
    );
    expectError(
      await t.api.get('/api/conversations/abc', { token: b!.token }),
      400,
      'validation_failed',
    );
  });
});

describe('group settings', () => {
  it('lets the owner and admins rename, set the topic and privacy; members may not', async () => {
    const [a, b, c] = await users(3);
    const g = await chat.group(a!, { name: 'Old', topic: 't0', memberIds: [b!.id, c!.id] });
    await chat.role(a!, g.id, c!.id, 'admin');
    const sb = await connect(b!);

    const res = await t.api.patch(
      `/api/conversations/${g.id}`,
      { name: 'New', topic: 'Fresh topic' },
      { token: a!.token },
    );
    expect(res.status).toBe(200);
    expectConversation(res.body, { id: g.id, name: 'New', topic: 'Fresh topic', myRole: 'owner' });
    expectMessage(res.body.lastMessage, {
      kind: 'system',
      senderId: a!.id,
      meta: { event: 'room_renamed', userId: a!.id, actorId: a!.id },
    });
    const sys = await sb.waitFor(
      'message:new',
      (m) => m.conversationId === g.id && m.meta?.event === 'room_renamed',
    );
    expectMessage(sys, { seq: res.body.lastSeq });
    const upd = await sb.waitFor('conversation:updated', (p) => p.id === g.id && p.name === 'New');
    expectConversation(upd, { myRole: 'member', topic: 'Fresh topic' });

    // An admin changes privacy; no rename, so no system message.
    const before = res.body.lastSeq;
    const priv = await t.api.patch(
      `/api/conversations/${g.id}`,
      { isPrivate: false, name: 'New' },
      { token: c!.token },
    );
    expect(priv.status).toBe(200);
    expectConversation(priv.body, { isPrivate: false, lastSeq: before, myRole: 'admin' });
    await sb.waitFor('conversation:updated', (p) => p.id === g.id && p.isPrivate === false);

    // Nothing to change is not an error.
    const empty = await t.api.patch(`/api/conversations/${g.id}`, {}, { token: a!.token });
    expect(empty.status).toBe(200);
    expectConversation(empty.body, { name: 'New', lastSeq: before });

    expectError(
      await t.api.patch(`/api/conversations/${g.id}`, { name: 'x' }, { token: b!.token }),
      403,
      'forbidden',
    );
    expectError(
      await t.api.patch(`/api/conversations/${g.id}`, { name: '' }, { token: a!.token }),
      400,
      'validation_failed',
    );
    expectError(
      await t.api.patch(
        `/api/conversations/${g.id}`,
        { topic: 'x'.repeat(251) },
        { token: a!.token },
      ),
      400,
      'validation_failed',
    );
    expectError(
      await t.api.patch(`/api/conversations/${g.id}`, { kind: 'direct' }, { token: a!.token }),
      400,
      'validation_failed',
    );
    const dm = await chat.direct(a!, b!);
    expectError(
      await t.api.patch(`/api/conversations/${dm.id}`, { name: 'x' }, { token: a!.token }),
      403,
      'forbidden',
    );
    expect((await chat.get(b!, g.id)).name).toBe('New');
  });

  it('deletes a group (owner only) and tells every member', async () => {
    const [a, b, c, d] = await users(4);
    const g = await chat.group(a!, { name: 'Doomed', memberIds: [b!.id, c!.id] });
    await chat.role(a!, g.id, b!.id, 'admin');
    await chat.send(c!, g.id, 'last words');
    const [sb, sc] = await Promise.all([connect(b!), connect(c!)]);

    expectError(
      await t.api.delete(`/api/conversations/${g.id}`, { token: b!.token }),
      403,
      'forbidden',
    );
    expectError(
      await t.api.delete(`/api/conversations/${g.id}`, { token: c!.token }),
      403,
      'forbidden',
    );
    expectError(
      await t.api.delete(`/api/conversations/${g.id}`, { token: d!.token }),
      404,
      'not_found',
    );
    const res = await t.api.delete(`/api/conversations/${g.id}`, { token: a!.token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    for (const s of [sb, sc]) {
      const removed = await s.waitFor('conversation:removed', (p) => p.conversationId === g.id);
      expect(removed).toEqual({ conversationId: g.id });
    }
    expectError(
      await t.api.get(`/api/conversations/${g.id}`, { token: a!.token }),
      404,
      'not_found',
    );
    expect((await chat.list(b!)).map((x) => x.id)).not.toContain(g.id);
    const left = await t.deps.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', g.id)
      .execute();
    expect(left).toEqual([]);
    const dm = await chat.direct(a!, b!);
    expectError(
      await t.api.delete(`/api/conversations/${dm.id}`, { token: a!.token }),
      403,
      'forbidden',
    );
    expect((await chat.get(a!, dm.id)).id).toBe(dm.id);
  });
});

describe('membership', () => {
  it('joins a public group with both cursors at lastSeq and a member_joined message', async () => {
    const [a, b] = await users(2);
    const pub = await chat.group(a!, { name: 'Lobby', isPrivate: false });
    await chat.send(a!, pub.id, 'one');
    await chat.send(a!, pub.id, 'two');
    const sa = await connect(a!);

    const res = await t.api.post(`/api/conversations/${pub.id}/join`, undefined, {
      token: b!.token,
    });
    expect(res.status).toBe(200);
    expectConversation(res.body, {
      id: pub.id,
      myRole: 'member',
      memberCount: 2,
      lastSeq: 4,
      myReadSeq: 4,
      unreadCount: 0,
    });
    expectMessage(res.body.lastMessage, {
      seq: 4,
      kind: 'system',
      senderId: b!.id,
      meta: { event: 'member_joined', userId: b!.id, actorId: b!.id },
    });
    await sa.waitFor('message:new', (m) => m.conversationId === pub.id && m.seq === 4);
    const mu = await sa.waitFor(
      'member:updated',
      (p) => p.conversationId === pub.id && p.member.user.id === b!.id,
    );
    expectMember(mu.member, { role: 'member', deliveredSeq: 4, readSeq: 4 });
    await sa.waitFor('conversation:updated', (p) => p.id === pub.id && p.memberCount === 2);
    const full = await chat.get(b!, pub.id);
    expectMember(
      full.members.find((m: any) => m.user.id === b!.id),
      { role: 'member', deliveredSeq: 4, readSeq: 4 },
    );

    // Joining again changes nothing.
    const again = await chat.join(b!, pub.id);
    expectConversation(again, { lastSeq: 4, memberCount: 2 });
  });

  it('joins once when the same user joins several times at once', async () => {
    const [a, b] = await users(2);
    const pub = await chat.group(a!, { name: 'Rush', isPrivate: false });
    const res = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.api.post(`/api/conversations/${pub.id}/join`, undefined, { token: b!.token }),
      ),
    );
    expect(res.map((r) => r.status)).toEqual(Array<number>(6).fill(200));
    for (const r of res) expectConversation(r.body, { myRole: 'member', memberCount: 2 });
    const joins = (await messagesOf(a!, pub.id)).filter((m) => m.meta?.event === 'member_joined');
    expect(joins).toHaveLength(1);
    expect((await chat.get(a!, pub.id)).memberCount).toBe(2);
  });

  it('refuses to join private groups, direct conversations and unknown ids alike', async () => {
    const [a, b, c] = await users(3);
    const priv = await chat.group(a!, { name: 'Hidden', isPrivate: true });
    const dm = await chat.direct(a!, c!);
    const missing = await t.api.post('/api/conversations/987654321/join', undefined, {
      token: b!.token,
    });
    expectError(missing, 404, 'not_found');
    for (const id of [priv.id, dm.id]) {
      const r = await t.api.post(`/api/conversations/${id}/join`, undefined, { token: b!.token });
      expect(r.status).toBe(404);
      expect(r.body).toEqual(missing.body);
    }
    expect((await chat.get(a!, priv.id)).memberCount).toBe(1);
  });

  it('hands ownership to the longest admin, else the longest member; the last one out deletes', async () => {
    const [a, x, y, d] = await users(4);
    // y joins before x although x has the lower id: seniority, not id, decides.
    const g = await chat.group(a!, { name: 'Relay', memberIds: [y!.id] });
    await sleep(5);
    await chat.add(a!, g.id, [x!.id]);
    await sleep(5);
    await chat.add(a!, g.id, [d!.id]);
    await chat.role(a!, g.id, d!.id, 'admin');
    const [sa, sy] = await Promise.all([connect(a!), connect(y!)]);

    await chat.leave(a!, g.id);
    expect(await sa.waitFor('conversation:removed', (p) => p.conversationId === g.id)).toEqual({
      conversationId: g.id,
    });
    const mu = await sy.waitFor(
      'member:updated',
      (p) => p.conversationId === g.id && p.member.user.id === d!.id,
    );
    expectMember(mu.member, { role: 'owner' });
    let full = await chat.get(y!, g.id);
    expect(full.members.map((m: any) => [m.user.id, m.role])).toEqual([
      [y!.id, 'member'],
      [x!.id, 'member'],
      [d!.id, 'owner'],
    ]);
    const msgs = await messagesOf(y!, g.id);
    expect(msgs.slice(-2).map((m) => m.meta)).toEqual([
      { event: 'member_left', userId: a!.id, actorId: a!.id },
      { event: 'role_changed', userId: d!.id, actorId: a!.id, role: 'owner' },
    ]);
    expect((await chat.list(a!)).map((c) => c.id)).not.toContain(g.id);

    // No admin left: the longest member takes over.
    await chat.leave(d!, g.id);
    full = await chat.get(y!, g.id);
    expect(full.members.map((m: any) => [m.user.id, m.role])).toEqual([
      [y!.id, 'owner'],
      [x!.id, 'member'],
    ]);
    await chat.leave(x!, g.id);
    expect((await chat.get(y!, g.id)).memberCount).toBe(1);
    await chat.leave(y!, g.id);
    expectError(
      await t.api.get(`/api/conversations/${g.id}`, { token: y!.token }),
      404,
      'not_found',
    );
    const row = await t.deps.db
      .selectFrom('conversations')
      .select('id')
      .where('id', '=', g.id)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('refuses to leave direct conversations and conversations you are not in', async () => {
    const [a, b, c] = await users(3);
    const dm = await chat.direct(a!, b!);
    expectError(
      await t.api.post(`/api/conversations/${dm.id}/leave`, undefined, { token: a!.token }),
      403,
      'forbidden',
    );
    const priv = await chat.group(a!, { name: 'P' });
    expectError(
      await t.api.post(`/api/conversations/${priv.id}/leave`, undefined, { token: c!.token }),
      404,
      'not_found',
    );
    expectError(
      await t.api.post(`/api/conversations/${dm.id}/leave`, undefined, { token: c!.token }),
      404,
      'not_found',
    );
  });

  it('adds members (owner or admin), tells them, and starts them at lastSeq', async () => {
    const [a, b, c, d, e] = await users(5);
    const g = await chat.group(a!, { name: 'Crew', memberIds: [b!.id, c!.id] });
    await chat.role(a!, g.id, b!.id, 'admin');
    await chat.send(c!, g.id, 'before they came');
    const [sd, sc] = await Promise.all([connect(d!), connect(c!)]);

    const res = await t.api.post(
      `/api/conversations/${g.id}/members`,
      { userIds: [d!.id, e!.id, c!.id, d!.id] },
      { token: b!.token },
    );
    expect(res.status).toBe(200);
    expect(res.body.map((m: any) => m.user.id).sort()).toEqual([d!.id, e!.id].sort());
    const after = await chat.get(a!, g.id);
    for (const m of res.body)
      expectMember(m, { role: 'member', deliveredSeq: after.lastSeq, readSeq: after.lastSeq });

    const told = await sd.waitFor('conversation:updated', (p) => p.id === g.id);
    expectConversation(told, {
      myRole: 'member',
      memberCount: 5,
      unreadCount: 0,
      myReadSeq: after.lastSeq,
    });
    const added = (await messagesOf(a!, g.id)).filter((m) => m.meta?.event === 'member_added');
    expect(added.map((m) => m.meta).sort((p, q) => p.userId - q.userId)).toEqual(
      [d!.id, e!.id]
        .sort((p, q) => p - q)
        .map((u) => ({ event: 'member_added', userId: u, actorId: b!.id })),
    );
    await sc.waitFor('message:new', (m) => m.meta?.event === 'member_added');
    expectConversation(await chat.view(d!, g.id), { unreadCount: 0 });

    expectError(
      await t.api.post(
        `/api/conversations/${g.id}/members`,
        { userIds: [e!.id] },
        { token: c!.token },
      ),
      403,
      'forbidden',
    );
    expectError(
      await t.api.post(
        `/api/conversations/${g.id}/members`,
        { userIds: [987654321] },
        { token: a!.token },
      ),
      400,
      'validation_failed',
    );
    expectError(
      await t.api.post(`/api/conversations/${g.id}/members`, { userIds: [] }, { token: a!.token }),
      400,
      'validation_failed',
    );
  });

  it('removes members: owner anyone, admin only plain members', async () => {
    const [a, b, b2, c, c2] = await users(5);
    const g = await chat.group(a!, { name: 'Club', memberIds: [b!.id, b2!.id, c!.id, c2!.id] });
    await chat.role(a!, g.id, b!.id, 'admin');
    await chat.role(a!, g.id, b2!.id, 'admin');
    const [sc, sa] = await Promise.all([connect(c!), connect(a!)]);

    const res = await t.api.delete(`/api/conversations/${g.id}/members/${c!.id}`, {
      token: b!.token,
    });
    expect(res.status).toBe(204);
    expect(await sc.waitFor('conversation:removed', (p) => p.conversationId === g.id)).toEqual({
      conversationId: g.id,
    });
    const sys = await sa.waitFor('message:new', (m) => m.meta?.event === 'member_removed');
    expectMessage(sys, {
      senderId: b!.id,
      meta: { event: 'member_removed', userId: c!.id, actorId: b!.id },
    });
    expectError(
      await t.api.get(`/api/conversations/${g.id}`, { token: c!.token }),
      404,
      'not_found',
    );

    const del = (actor: TestUser, target: TestUser) =>
      t.api.delete(`/api/conversations/${g.id}/members/${target.id}`, { token: actor.token });
    expectError(await del(b!, a!), 403, 'forbidden');
    expectError(await del(b!, b2!), 403, 'forbidden');
    expectError(await del(c2!, b!), 403, 'forbidden');
    expectError(await del(b!, b!), 400, 'validation_failed');
    expectError(await del(a!, c!), 404, 'not_found');
    expect((await del(a!, b2!)).status).toBe(204);
    expect((await chat.get(a!, g.id)).members.map((m: any) => m.user.id)).toEqual([
      a!.id,
      b!.id,
      c2!.id,
    ]);
  });

  it('changes roles (owner only); handing over ownership makes the old owner an admin', async () => {
    const [a, b, c] = await users(3);
    const g = await chat.group(a!, { name: 'Ranks', memberIds: [b!.id, c!.id] });
    const sc = await connect(c!);

    const up = await t.api.patch(
      `/api/conversations/${g.id}/members/${b!.id}`,
      { role: 'admin' },
      { token: a!.token },
    );
    expect(up.status).toBe(200);
    expectMember(up.body, { role: 'admin', user: { id: b!.id } });
    const mu = await sc.waitFor(
      'member:updated',
      (p) => p.conversationId === g.id && p.member.user.id === b!.id,
    );
    expect(Object.keys(mu).sort()).toEqual(['conversationId', 'member']);
    expectMember(mu.member, { role: 'admin' });
    const sys = await sc.waitFor('message:new', (m) => m.meta?.event === 'role_changed');
    expectMessage(sys, {
      meta: { event: 'role_changed', userId: b!.id, actorId: a!.id, role: 'admin' },
    });

    // An admin cannot change roles; neither can a member.
    expectError(
      await t.api.patch(
        `/api/conversations/${g.id}/members/${c!.id}`,
        { role: 'admin' },
        { token: b!.token },
      ),
      403,
      'forbidden',
    );
    expectError(
      await t.api.patch(
        `/api/conversations/${g.id}/members/${b!.id}`,
        { role: 'member' },
        { token: c!.token },
      ),
      403,
      'forbidden',
    );
    const down = await chat.role(a!, g.id, b!.id, 'member');
    expectMember(down, { role: 'member' });

    const handOver = await chat.role(a!, g.id, c!.id, 'owner');
    expectMember(handOver, { role: 'owner', user: { id: c!.id } });
    const full = await chat.get(a!, g.id);
    expect(full.members.map((m: any) => [m.user.id, m.role])).toEqual([
      [a!.id, 'admin'],
      [b!.id, 'member'],
      [c!.id, 'owner'],
    ]);
    expect(full.myRole).toBe('admin');
    expectError(
      await t.api.patch(
        `/api/conversations/${g.id}/members/${b!.id}`,
        { role: 'admin' },
        { token: a!.token },
      ),
      403,
      'forbidden',
    );
    expectError(
      await t.api.patch(
        `/api/conversations/${g.id}/members/${c!.id}`,
        { role: 'admin' },
        { token: c!.token },
      ),
      400,
      'validation_failed',
    );
    expectError(
      await t.api.patch(
        `/api/conversations/${g.id}/members/987654321`,
        { role: 'admin' },
        { token: c!.token },
      ),
      404,
      'not_found',
    );
    expectError(
      await t.api.patch(
        `/api/conversations/${g.id}/members/${b!.id}`,
        { role: 'king' },
        { token: c!.token },
      ),
      400,
      'validation_failed',
    );
  });
});

describe('system messages', () => {
  it('are real messages with gap-free seqs and meta {event, userId, actorId}', async () => {
    const [a, b, c, d] = await users(4);
    const g = await chat.group(a!, { name: 'Story', isPrivate: false, memberIds: [b!.id] });
    await chat.send(b!, g.id, 'hi');
    await chat.join(c!, g.id);
    await chat.add(a!, g.id, [d!.id]);
    await chat.role(a!, g.id, b!.id, 'admin');
    await t.api.patch(`/api/conversations/${g.id}`, { name: 'Story 2' }, { token: b!.token });
    await chat.remove(b!, g.id, d!.id);
    await chat.leave(c!, g.id);

    const msgs = await messagesOf(a!, g.id);
    expect(msgs.map((m) => m.seq)).toEqual(msgs.map((_, i) => i + 1));
    for (const m of msgs) expectMessage(m, { conversationId: g.id });
    expect(
      msgs.map((m) =>
        m.kind === 'system' ? [m.meta.event, m.meta.userId, m.meta.actorId] : m.body,
      ),
    ).toEqual([
      ['room_created', a!.id, a!.id],
      'hi',
      ['member_joined', c!.id, c!.id],
      ['member_added', d!.id, a!.id],
      ['role_changed', b!.id, a!.id],
      ['room_renamed', b!.id, b!.id],
      ['member_removed', d!.id, b!.id],
      ['member_left', c!.id, c!.id],
    ]);
    for (const m of msgs.filter((x) => x.kind === 'system'))
      expect(m.senderId).toBe(m.meta.actorId);
    // A direct conversation holds only text messages.
    const dm = await chat.direct(a!, b!);
    await chat.send(a!, dm.id, 'one');
    await chat.send(b!, dm.id, 'two');
    expect((await messagesOf(a!, dm.id)).map((m) => [m.seq, m.kind, m.body])).toEqual([
      [1, 'text', 'one'],
      [2, 'text', 'two'],
    ]);
  });
});
