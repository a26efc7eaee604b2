import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type ApiResponse, type TestUser } from '../helpers/api.js';
import {
  Chat,
  concerns,
  eventsAbout,
  expectAckError,
  expectError,
  sleep,
} from '../helpers/chat.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';

/**
 * Who may do what to a private group, and what outsiders and removed members learn: status
 * codes for every route and socket event, and no event of the group on their sockets.
 */
let t: TestServer;
let chat: Chat;
const open: TestSocket[] = [];

type Role = 'owner' | 'admin' | 'member' | 'removed' | 'outsider';
const ROLES: Role[] = ['owner', 'admin', 'member', 'removed', 'outsider'];
const who = {} as Record<Role, TestUser>;
const sockets = {} as Record<Role, TestSocket[]>;
let spare: TestUser[] = [];
let group: any;
let pub: any;
let dm: any;
/** Where each removed-member socket's log stood when the removal reached it. */
const removedFrom: number[] = [];

const MISSING = 987654321;

async function connect(u: TestUser): Promise<TestSocket> {
  const s = await connectSocket(t.url, u.token);
  open.push(s);
  return s;
}

beforeAll(async () => {
  t = await startTestServer();
  chat = new Chat(t.api);
  const people = (await Promise.all(Array.from({ length: 9 }, () => registerUser(t.api)))).sort(
    (p, q) => p.id - q.id,
  );
  ROLES.forEach((r, i) => (who[r] = people[i]!));
  spare = people.slice(ROLES.length);
  const { owner, admin, member, removed, outsider } = who;

  group = await chat.group(owner, {
    name: 'Private',
    isPrivate: true,
    memberIds: [admin.id, member.id, removed.id, ...spare.map((u) => u.id)],
  });
  await chat.role(owner, group.id, admin.id, 'admin');
  pub = await chat.group(owner, { name: 'Public', isPrivate: false, memberIds: [member.id] });
  dm = await chat.direct(owner, member);
  await chat.send(member, group.id, 'before the removal');

  sockets.owner = [await connect(owner)];
  sockets.admin = [await connect(admin)];
  sockets.member = [await connect(member)];
  sockets.outsider = [await connect(outsider)];
  sockets.removed = [await connect(removed), await connect(removed)];

  // The member is typing when the removal happens: its end must not reach the removed user.
  await sockets.member[0]!.request('typing', { conversationId: group.id, typing: true });
  await sockets.removed[0]!.waitFor('typing', (p) => p.conversationId === group.id);

  await chat.remove(owner, group.id, removed.id);
  for (const s of sockets.removed) {
    await s.waitFor('conversation:removed', (p) => p.conversationId === group.id);
    removedFrom.push(s.received.length);
  }
});

afterAll(async () => {
  for (const s of open) s.close();
  await t?.close();
});

const base = () => `/api/conversations/${group.id}`;

/** Calls a route as each role and checks the status each one gets. */
async function matrix(
  expected: Record<Role, number>,
  call: (u: TestUser, role: Role) => Promise<ApiResponse>,
): Promise<void> {
  const got = {} as Record<Role, number>;
  for (const role of ROLES) {
    const res = await call(who[role], role);
    got[role] = res.status;
    if (res.status >= 400) {
      expect(res.body.error.code).toBe(
        { 400: 'validation_failed', 403: 'forbidden', 404: 'not_found' }[res.status],
      );
    }
  }
  expect(got).toEqual(expected);
}

const cid = () => randomBytes(8).toString('hex');

describe('REST authorization matrix on a private group', () => {
  it('reads the group and its history', async () => {
    const ok = { owner: 200, admin: 200, member: 200, removed: 404, outsider: 404 };
    await matrix(ok, (u) => t.api.get(base(), { token: u.token }));
    await matrix(ok, (u) => t.api.get(`${base()}/messages`, { token: u.token }));
    await matrix(ok, (u) => t.api.get(`${base()}/messages?after=0`, { token: u.token }));
    const listed = async (u: TestUser) => (await chat.list(u)).some((c: any) => c.id === group.id);
    expect(await listed(who.removed)).toBe(false);
    expect(await listed(who.outsider)).toBe(false);
    const browse = await t.api.get('/api/conversations/public?query=Private', {
      token: who.outsider.token,
    });
    expect(browse.body.map((c: any) => c.id)).not.toContain(group.id);
  });

  it('sends and marks read', async () => {
    await matrix({ owner: 201, admin: 201, member: 201, removed: 404, outsider: 404 }, (u) =>
      t.api.post(`${base()}/messages`, { body: 'hi', clientId: cid() }, { token: u.token }),
    );
    await matrix({ owner: 204, admin: 204, member: 204, removed: 404, outsider: 404 }, (u) =>
      t.api.post(`${base()}/read`, { seq: 1 }, { token: u.token }),
    );
  });

  it('changes settings', async () => {
    await matrix({ owner: 200, admin: 200, member: 403, removed: 404, outsider: 404 }, (u) =>
      t.api.patch(base(), { topic: `set by ${u.id}` }, { token: u.token }),
    );
    expect((await chat.get(who.owner, group.id)).topic).toBe(`set by ${who.admin.id}`);
  });

  it('adds members', async () => {
    const [p, q] = spare;
    await chat.remove(who.owner, group.id, p!.id);
    await chat.remove(who.owner, group.id, q!.id);
    const target = { owner: p!, admin: q!, member: p!, removed: p!, outsider: p! };
    await matrix({ owner: 200, admin: 200, member: 403, removed: 404, outsider: 404 }, (u, r) =>
      t.api.post(`${base()}/members`, { userIds: [target[r].id] }, { token: u.token }),
    );
  });

  it('removes members', async () => {
    const [p, q, x] = spare;
    await chat.add(who.owner, group.id, [p!.id, q!.id, x!.id].filter(Boolean));
    const target = { owner: p!, admin: q!, member: x!, removed: x!, outsider: x! };
    await matrix({ owner: 204, admin: 204, member: 403, removed: 404, outsider: 404 }, (u, r) =>
      t.api.delete(`${base()}/members/${target[r].id}`, { token: u.token }),
    );
    await chat.add(who.owner, group.id, [p!.id, q!.id]);
  });

  it('changes roles', async () => {
    const [p] = spare;
    await matrix({ owner: 200, admin: 403, member: 403, removed: 404, outsider: 404 }, (u) =>
      t.api.patch(`${base()}/members/${p!.id}`, { role: 'member' }, { token: u.token }),
    );
  });

  it('joins and leaves', async () => {
    // Joining a private group is impossible from outside; from inside it changes nothing.
    await matrix({ owner: 200, admin: 200, member: 200, removed: 404, outsider: 404 }, (u) =>
      t.api.post(`${base()}/join`, undefined, { token: u.token }),
    );
    const leave = (u: TestUser) => t.api.post(`${base()}/leave`, undefined, { token: u.token });
    expectError(await leave(who.removed), 404, 'not_found');
    expectError(await leave(who.outsider), 404, 'not_found');
    expect((await chat.get(who.owner, group.id)).memberCount).toBe(7);
  });

  it('deletes the group: owner only', async () => {
    const del = (u: TestUser) => t.api.delete(base(), { token: u.token });
    expectError(await del(who.admin), 403, 'forbidden');
    expectError(await del(who.member), 403, 'forbidden');
    expectError(await del(who.removed), 404, 'not_found');
    expectError(await del(who.outsider), 404, 'not_found');
    expect((await chat.get(who.owner, group.id)).id).toBe(group.id);
  });

  it('reads, edits, deletes, reacts to and pins messages (v1.1)', async () => {
    const ok = { owner: 200, admin: 200, member: 200, removed: 404, outsider: 404 };
    const by = async (u: TestUser, body: string) => (await chat.send(u, group.id, body)).id;
    const theirs = await by(who.member, 'the member wrote this');
    await matrix(ok, (u) => t.api.get(`/api/messages/${theirs}`, { token: u.token }));
    await matrix(ok, (u) => t.api.get(`${base()}/pins`, { token: u.token }));
    await matrix(ok, (u) => t.api.get(`${base()}/changes?since=0`, { token: u.token }));
    await matrix(ok, (u) => t.api.get(`${base()}/messages?around=1`, { token: u.token }));
    // Only the sender edits.
    await matrix({ owner: 403, admin: 403, member: 200, removed: 404, outsider: 404 }, (u) =>
      t.api.patch(`/api/messages/${theirs}`, { body: `edited by ${u.id}` }, { token: u.token }),
    );
    // Any member reacts.
    await matrix(ok, (u) =>
      t.api.put(`/api/messages/${theirs}/reactions/%F0%9F%91%8D`, undefined, { token: u.token }),
    );
    // In a group, the owner and admins pin.
    await matrix({ owner: 200, admin: 200, member: 403, removed: 404, outsider: 404 }, (u) =>
      t.api.put(`/api/messages/${theirs}/pin`, undefined, { token: u.token }),
    );
    // The sender, the owner and admins delete a member's message; a member not another's.
    const mine = {
      owner: await by(who.member, 'a'),
      admin: await by(who.member, 'b'),
      member: await by(who.member, 'c'),
      removed: await by(who.member, 'd'),
      outsider: await by(who.member, 'e'),
    };
    await matrix({ owner: 200, admin: 200, member: 200, removed: 404, outsider: 404 }, (u, r) =>
      t.api.delete(`/api/messages/${mine[r]}`, { token: u.token }),
    );
    const owners = await by(who.owner, 'the owner wrote this');
    expectError(
      await t.api.delete(`/api/messages/${owners}`, { token: who.member.token }),
      403,
      'forbidden',
    );
    const m = (await t.api.get(`/api/messages/${theirs}`, { token: who.owner.token })).body;
    expect(m.body).toBe(`edited by ${who.member.id}`);
    expect(m.reactions).toEqual([
      { emoji: '👍', count: 3, userIds: [who.owner.id, who.admin.id, who.member.id] },
    ]);
    expect(m.pinned.by).toBe(who.owner.id);
  });

  it('gives outsiders of a public group read access but no write access', async () => {
    const x = who.outsider;
    expect((await t.api.get(`/api/conversations/${pub.id}`, { token: x.token })).status).toBe(200);
    expect(
      (await t.api.get(`/api/conversations/${pub.id}/messages`, { token: x.token })).status,
    ).toBe(200);
    const tries = [
      t.api.post(`/api/conversations/${pub.id}/messages`, { body: 'x' }, { token: x.token }),
      t.api.post(`/api/conversations/${pub.id}/read`, { seq: 1 }, { token: x.token }),
      t.api.patch(`/api/conversations/${pub.id}`, { name: 'x' }, { token: x.token }),
      t.api.delete(`/api/conversations/${pub.id}`, { token: x.token }),
      t.api.post(`/api/conversations/${pub.id}/members`, { userIds: [x.id] }, { token: x.token }),
      t.api.delete(`/api/conversations/${pub.id}/members/${who.member.id}`, { token: x.token }),
      t.api.patch(
        `/api/conversations/${pub.id}/members/${who.member.id}`,
        { role: 'admin' },
        { token: x.token },
      ),
      t.api.post(`/api/conversations/${pub.id}/leave`, undefined, { token: x.token }),
    ];
    for (const r of await Promise.all(tries)) expectError(r, 403, 'forbidden');
    const c = await chat.get(who.owner, pub.id);
    expect([c.name, c.memberCount, c.lastSeq]).toEqual(['Public', 2, 1]);
  });

  it('keeps direct conversations to their two members', async () => {
    const x = who.outsider;
    const m = who.member;
    for (const r of [
      await t.api.get(`/api/conversations/${dm.id}`, { token: x.token }),
      await t.api.get(`/api/conversations/${dm.id}/messages`, { token: x.token }),
      await t.api.post(`/api/conversations/${dm.id}/messages`, { body: 'x' }, { token: x.token }),
      await t.api.post(`/api/conversations/${dm.id}/join`, undefined, { token: x.token }),
    ]) {
      expectError(r, 404, 'not_found');
    }
    // Group controls do not apply to a direct conversation, even for its members.
    for (const r of [
      await t.api.patch(`/api/conversations/${dm.id}`, { name: 'x' }, { token: m.token }),
      await t.api.post(
        `/api/conversations/${dm.id}/members`,
        { userIds: [x.id] },
        { token: m.token },
      ),
      await t.api.delete(`/api/conversations/${dm.id}/members/${who.owner.id}`, {
        token: m.token,
      }),
    ]) {
      expectError(r, 403, 'forbidden');
    }
    expect((await chat.get(m, dm.id)).memberCount).toBe(2);
  });
});

describe('no existence oracle (S13)', () => {
  it('answers identically for a private group, a direct conversation and a missing id', async () => {
    const x = who.outsider;
    const calls: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['GET', '/messages'],
      ['GET', '/messages?before=5'],
      ['POST', '/messages', { body: 'x' }],
      ['POST', '/read', { seq: 1 }],
      ['PATCH', '', { name: 'x' }],
      ['DELETE', ''],
      ['POST', '/join'],
      ['POST', '/leave'],
      ['POST', '/members', { userIds: [x.id] }],
      ['DELETE', `/members/${who.member.id}`],
      ['PATCH', `/members/${who.member.id}`, { role: 'admin' }],
      ['GET', '/pins'],
      ['GET', '/changes?since=0'],
      ['GET', '/messages?around=3'],
    ];
    for (const [method, path, body] of calls) {
      const answers = [];
      for (const id of [group.id, dm.id, MISSING]) {
        const r = await t.api.request(method, `/api/conversations/${id}${path}`, body, {
          token: x.token,
        });
        answers.push({ status: r.status, body: r.body });
      }
      expect(answers[0], `${method} ${path}`).toEqual(answers[2]);
      expect(answers[1], `${method} ${path}`).toEqual(answers[2]);
      expect(answers[2]!.status, `${method} ${path}`).toBe(404);
    }
    const del = await t.api.delete(`/api/conversations/${group.id}/members/${MISSING}`, {
      token: x.token,
    });
    expectError(del, 404, 'not_found');
  });
});

describe('socket events from non-members (S12)', () => {
  const events: Array<[string, (id: number) => unknown]> = [
    ['message:send', (id) => ({ conversationId: id, clientId: cid(), body: 'intrusion' })],
    ['typing', (id) => ({ conversationId: id, typing: true })],
    ['conversation:read', (id) => ({ conversationId: id, seq: 1 })],
    ['message:delivered', (id) => ({ conversationId: id, seq: 1 })],
  ];

  it('answers not_found, persists nothing and broadcasts nothing', async () => {
    const inDm = (await chat.send(who.owner, dm.id, 'for the two of us')).id;
    const inPub = (await chat.send(who.owner, pub.id, 'public words')).id;
    await sleep(100);
    const before = await chat.get(who.owner, group.id);
    const cursors = before.members.map((m: any) => [m.user.id, m.deliveredSeq, m.readSeq]);
    const memberLogs = [...sockets.owner, ...sockets.admin, ...sockets.member].map(
      (s) => s.received.length,
    );
    for (const role of ['removed', 'outsider'] as const) {
      for (const s of sockets[role]) {
        for (const [event, payload] of events) {
          for (const id of [group.id, dm.id, MISSING]) {
            const ack = await s.request(event, payload(id));
            expectAckError(ack, 'not_found');
          }
        }
      }
    }
    // A public group is visible, so there the answer is forbidden instead.
    for (const [event, payload] of events)
      expectAckError(await sockets.outsider[0]!.request(event, payload(pub.id)), 'forbidden');

    // The message events of v1.1, on a message of each conversation and on a missing one.
    const inGroup = (await chat.history(who.owner, group.id)).messages.at(-1);
    const changes: Array<[string, (id: number) => unknown]> = [
      ['message:edit', (id) => ({ messageId: id, body: 'intrusion' })],
      ['message:delete', (id) => ({ messageId: id })],
      ['reaction:set', (id) => ({ messageId: id, emoji: '👍', on: true })],
      ['message:pin', (id) => ({ messageId: id, pinned: true })],
    ];
    for (const role of ['removed', 'outsider'] as const) {
      for (const [event, payload] of changes) {
        const answers = [];
        for (const id of [inGroup.id, inDm, MISSING]) {
          const ack = await sockets[role][0]!.request(event, payload(id));
          expectAckError(ack, 'not_found');
          answers.push(ack);
        }
        expect(answers[0]).toEqual(answers[2]);
        expect(answers[1]).toEqual(answers[2]);
      }
    }
    for (const [event, payload] of changes)
      expectAckError(await sockets.outsider[0]!.request(event, payload(inPub)), 'forbidden');
    const untouched = (await t.api.get(`/api/messages/${inGroup.id}`, { token: who.owner.token }))
      .body;
    expect([untouched.body, untouched.reactions, untouched.pinned, untouched.deletedAt]).toEqual([
      inGroup.body,
      inGroup.reactions,
      inGroup.pinned,
      null,
    ]);

    await sleep(300);
    const after = await chat.get(who.owner, group.id);
    expect(after.lastSeq).toBe(before.lastSeq);
    expect(after.members.map((m: any) => [m.user.id, m.deliveredSeq, m.readSeq])).toEqual(cursors);
    const intruders = [who.removed.id, who.outsider.id];
    const stored = await t.deps.db
      .selectFrom('messages')
      .select('id')
      .where('sender_id', 'in', intruders)
      .execute();
    expect(stored).toEqual([]);
    [...sockets.owner, ...sockets.admin, ...sockets.member].forEach((s, i) => {
      const fresh = s.received.slice(memberLogs[i]);
      expect(fresh.filter((r) => intruders.includes(r.payload?.userId))).toEqual([]);
      expect(fresh.filter((r) => r.event === 'message:new')).toEqual([]);
    });
  });
});

describe('what removed members and outsiders receive', () => {
  it('removed member: nothing of the group on any socket after the removal', async () => {
    const { owner, admin, member } = who;
    // Activity of every kind in the group, after the removal.
    const m = await chat.send(owner, group.id, 'after the removal');
    await sockets.member[0]!.request('message:send', {
      conversationId: group.id,
      clientId: cid(),
      body: 'member speaks',
    });
    await sockets.admin[0]!.request('typing', { conversationId: group.id, typing: true });
    await sockets.admin[0]!.request('conversation:read', {
      conversationId: group.id,
      seq: m.seq,
    });
    await t.api.patch(base(), { name: 'Private renamed' }, { token: admin.token });
    await chat.role(owner, group.id, member.id, 'admin');
    await chat.role(owner, group.id, member.id, 'member');
    const extra = spare[2]!;
    await chat.remove(owner, group.id, extra.id);
    await chat.add(owner, group.id, [extra.id]);
    // The member reconnects: presence goes only to people who share a conversation.
    sockets.member[0]!.close();
    sockets.member = [await connect(member)];
    await sockets.owner[0]!.waitFor('message:new', (x) => x.meta?.event === 'member_added');
    await sleep(500);

    sockets.removed.forEach((s, i) => {
      const after = s.received.slice(removedFrom[i]);
      expect(after.filter((r) => concerns(r, group.id))).toEqual([]);
      expect(after.filter((r) => r.event === 'presence')).toEqual([]);
    });
    // The typing that was going on at the removal did not leak its end either.
    for (const s of sockets.removed) {
      const typing = s.eventsOf('typing').filter((p) => p.conversationId === group.id);
      expect(typing).toEqual([{ conversationId: group.id, userId: member.id, typing: true }]);
    }
  });

  it('outsider: nothing of the private group or the direct conversation, ever', async () => {
    const s = sockets.outsider[0]!;
    expect(eventsAbout(s, group.id)).toEqual([]);
    expect(eventsAbout(s, dm.id)).toEqual([]);
    expect(s.eventsOf('presence')).toEqual([]);
  });

  it('the owner finally deletes the group; nobody outside hears of it', async () => {
    const res = await t.api.delete(base(), { token: who.owner.token });
    expect(res.status).toBe(204);
    await sockets.admin[0]!.waitFor('conversation:removed', (p) => p.conversationId === group.id);
    await sleep(300);
    expect(eventsAbout(sockets.outsider[0]!, group.id)).toEqual([]);
    sockets.removed.forEach((s, i) =>
      expect(s.received.slice(removedFrom[i]).filter((r) => concerns(r, group.id))).toEqual([]),
    );
  });
});

describe('membership changes racing sends', () => {
  const post = (u: TestUser, id: number, body: string) =>
    t.api.post(`/api/conversations/${id}/messages`, { body }, { token: u.token });
  const seqOf = (msgs: any[], event: string) =>
    msgs.find((m) => m.meta?.event === event)?.seq as number;

  it('a removal never deadlocks with sends, and nothing reaches or comes from the removed member after it', async () => {
    for (let round = 0; round < 4; round++) {
      const [o, m, x] = (
        await Promise.all([registerUser(t.api), registerUser(t.api), registerUser(t.api)])
      ).sort((p, q) => p.id - q.id);
      const g = await chat.group(o, { name: `race ${round}`, memberIds: [m.id, x.id] });
      const xs = await Promise.all([connect(x), connect(x)]);
      const calls = [
        ...Array.from({ length: 20 }, (_, i) => post(m, g.id, `m${i}`)),
        t.api.delete(`/api/conversations/${g.id}/members/${x.id}`, { token: o.token }),
        ...Array.from({ length: 20 }, (_, i) => post(x, g.id, `x${i}`)),
      ];
      const res = await Promise.all(calls);
      const [fromM, removal, fromX] = [res.slice(0, 20), res[20]!, res.slice(21)];
      expect(removal.status).toBe(204);
      expect(fromM.map((r) => r.status)).toEqual(Array<number>(20).fill(201));
      for (const r of fromX) expect([201, 404]).toContain(r.status);

      const msgs = (await chat.history(o, g.id, '?limit=200')).messages;
      expect(msgs.map((x: any) => x.seq)).toEqual(msgs.map((_: any, i: number) => i + 1));
      const removedAt = seqOf(msgs, 'member_removed');
      const late = msgs.filter((q: any) => q.senderId === x.id && q.seq > removedAt);
      expect(late).toEqual([]);
      await sleep(200);
      for (const s of xs) {
        const after = s.eventsOf('message:new').filter((q) => q.seq > removedAt);
        expect(after).toEqual([]);
      }
    }
  });

  it('leaving, role changes and duplicate adds under load answer cleanly', async () => {
    const [o, m, y, z] = (await Promise.all([1, 2, 3, 4].map(() => registerUser(t.api)))).sort(
      (p, q) => p.id - q.id,
    );
    const g = await chat.group(o!, { name: 'busy', memberIds: [m!.id, y!.id] });
    await chat.role(o!, g.id, y!.id, 'admin');
    const res = await Promise.all([
      ...Array.from({ length: 15 }, (_, i) => post(m!, g.id, `m${i}`)),
      t.api.patch(
        `/api/conversations/${g.id}/members/${m!.id}`,
        { role: 'admin' },
        { token: o!.token },
      ),
      t.api.post(`/api/conversations/${g.id}/members`, { userIds: [z!.id] }, { token: o!.token }),
      t.api.post(`/api/conversations/${g.id}/members`, { userIds: [z!.id] }, { token: o!.token }),
      ...Array.from({ length: 15 }, (_, i) => post(y!, g.id, `y${i}`)),
      t.api.post(`/api/conversations/${g.id}/members`, { userIds: [z!.id] }, { token: y!.token }),
      t.api.post(`/api/conversations/${g.id}/leave`, undefined, { token: y!.token }),
    ]);
    const statuses = res.map((r) => r.status);
    expect(statuses.slice(0, 15)).toEqual(Array<number>(15).fill(201));
    expect(statuses.slice(15, 18)).toEqual([200, 200, 200]);
    // The leaver's own requests race its leave: done before it, or refused after it.
    for (const s of statuses.slice(18, 34)) expect([200, 201, 404]).toContain(s);
    expect(statuses[34]).toBe(204);
    const msgs = (await chat.history(o!, g.id, '?limit=200')).messages;
    expect(msgs.map((x: any) => x.seq)).toEqual(msgs.map((_: any, i: number) => i + 1));
    const leftAt = seqOf(msgs, 'member_left');
    expect(msgs.filter((q: any) => q.senderId === y!.id && q.seq > leftAt)).toEqual([]);
    expect(msgs.filter((q: any) => q.meta?.event === 'member_added')).toHaveLength(1);
    const full = await chat.get(o!, g.id);
    expect(full.members.map((x: any) => [x.user.id, x.role])).toEqual([
      [o!.id, 'owner'],
      [m!.id, 'admin'],
      [z!.id, 'member'],
    ]);
  });

  it('an admin removed or demoted mid-request cannot act after it', async () => {
    for (let round = 0; round < 3; round++) {
      const people = (await Promise.all([1, 2, 3, 4, 5, 6].map(() => registerUser(t.api)))).sort(
        (p, q) => p.id - q.id,
      );
      const [o, a, m, ...newcomers] = people as [TestUser, TestUser, TestUser, ...TestUser[]];
      const g = await chat.group(o, { name: `coup ${round}`, memberIds: [a.id, m.id] });
      await chat.role(o, g.id, a.id, 'admin');
      const byAdmin = [
        ...newcomers.map((n) =>
          t.api.post(`/api/conversations/${g.id}/members`, { userIds: [n.id] }, { token: a.token }),
        ),
        t.api.patch(
          `/api/conversations/${g.id}`,
          { name: `renamed ${round}` },
          {
            token: a.token,
          },
        ),
        t.api.delete(`/api/conversations/${g.id}/members/${m.id}`, { token: a.token }),
      ];
      const removal = t.api.delete(`/api/conversations/${g.id}/members/${a.id}`, {
        token: o.token,
      });
      const res = await Promise.all([removal, ...byAdmin]);
      expect(res[0].status).toBe(204);
      for (const r of res.slice(1)) expect([200, 204, 403, 404]).toContain(r.status);
      const msgs = (await chat.history(o, g.id, '?limit=200')).messages;
      const removedAt = msgs.find(
        (q: any) => q.meta?.event === 'member_removed' && q.meta.userId === a.id,
      ).seq;
      expect(msgs.filter((q: any) => q.senderId === a.id && q.seq > removedAt)).toEqual([]);
    }
  });
});
