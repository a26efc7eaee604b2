// v1.1 "Changes, not only new messages": edit, delete, reply, react, pin, one message, the
// page around a seq, and the change stream, over REST and the socket, with exact shapes and
// the events every member gets (and nobody else).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/api.js';
import {
  Chat,
  expectAckError,
  expectConversation,
  expectError,
  expectMessage,
  sleep,
} from '../helpers/chat.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, waitForNew, type TestSocket } from '../helpers/socket.js';

let t: TestServer;
let chat: Chat;
const open: TestSocket[] = [];

beforeAll(async () => {
  t = await startTestServer({ MESSAGES_PER_SECOND: '10000', SOCKET_EVENTS_PER_SECOND: '10000' });
  chat = new Chat(t.api);
});
afterAll(async () => {
  for (const s of open) s.close();
  await t?.close();
});

const users = (n: number) => Promise.all(Array.from({ length: n }, () => registerUser(t.api)));
async function connect(u: TestUser): Promise<TestSocket> {
  const s = await connectSocket(t.url, u.token);
  open.push(s);
  return s;
}
const cid = () => randomBytes(6).toString('hex');

async function sendOn(s: TestSocket, conversationId: number, body: string, extra = {}) {
  const ack = await s.request('message:send', { conversationId, clientId: cid(), body, ...extra });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  expectMessage(ack.data);
  return ack.data;
}

const lastVersion = async (u: TestUser, id: number) =>
  (await chat.view(u, id)).lastVersion as number;

/** Events of one kind that arrive within a short wait (to show that none came). */
async function quietFor(s: TestSocket, event: string, pred: (p: any) => boolean, ms = 300) {
  const from = s.received.length;
  await sleep(ms);
  return s.received.slice(from).filter((r) => r.event === event && pred(r.payload));
}

describe('edit', () => {
  it('replaces the body for the sender, raises the version once and tells every member', async () => {
    const [a, b, c] = await users(3);
    const g = await chat.group(a!, { memberIds: [b!.id] });
    const [sa, sa2, sb, sc] = await Promise.all([
      connect(a!),
      connect(a!),
      connect(b!),
      connect(c!),
    ]);
    const m = await sendOn(sa, g.id, 'first words');
    const v0 = await lastVersion(a!, g.id);
    expect(m.version).toBe(v0);

    const gotB = waitForNew(sb, 'message:updated', (x) => x.id === m.id);
    const gotA2 = waitForNew(sa2, 'message:updated', (x) => x.id === m.id);
    const ack = await sa.request('message:edit', { messageId: m.id, body: '  better words  ' });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    expectMessage(ack.data, {
      id: m.id,
      seq: m.seq,
      body: 'better words',
      version: v0 + 1,
      createdAt: m.createdAt,
    });
    expect(ack.data.editedAt).not.toBeNull();
    expect(await gotB).toEqual({ ...ack.data, status: (await gotB).status });
    expect((await gotA2).version).toBe(v0 + 1);
    expect(await lastVersion(b!, g.id)).toBe(v0 + 1);
    // Not a member: nothing.
    expect(await quietFor(sc, 'message:updated', (x) => x.id === m.id, 50)).toEqual([]);

    // The same body again changes nothing: no version, no event, the message as it is.
    const same = await t.api.patch(
      `/api/messages/${m.id}`,
      { body: 'better words' },
      { token: a!.token },
    );
    expect(same.status).toBe(200);
    expect(same.body.version).toBe(v0 + 1);
    expect(await quietFor(sb, 'message:updated', (x) => x.id === m.id)).toEqual([]);
    expect(await lastVersion(a!, g.id)).toBe(v0 + 1);

    // Over REST too; history shows the edit.
    const rest = await t.api.patch(`/api/messages/${m.id}`, { body: 'final' }, { token: a!.token });
    expect(rest.status).toBe(200);
    expectMessage(rest.body, { body: 'final', version: v0 + 2 });
    const page = await chat.history(b!, g.id);
    expect(page.messages.find((x: any) => x.id === m.id)).toMatchObject({
      body: 'final',
      version: v0 + 2,
    });
  });

  it('refuses others, system messages, deleted messages and empty bodies', async () => {
    const [a, b] = await users(2);
    const g = await chat.group(a!, { memberIds: [b!.id] });
    const m = await chat.send(a!, g.id, 'mine');
    const sb = await connect(b!);
    expectAckError(
      await sb.request('message:edit', { messageId: m.id, body: 'hijack' }),
      'forbidden',
    );
    const system = (await chat.history(a!, g.id)).messages.find((x: any) => x.kind === 'system');
    expectError(
      await t.api.patch(`/api/messages/${system.id}`, { body: 'x' }, { token: a!.token }),
      403,
      'forbidden',
    );
    expectError(
      await t.api.patch(`/api/messages/${m.id}`, { body: '   ' }, { token: a!.token }),
      400,
      'validation_failed',
    );
    expectError(
      await t.api.patch(`/api/messages/${m.id}`, { body: 'x'.repeat(8001) }, { token: a!.token }),
      400,
      'validation_failed',
    );
    await t.api.delete(`/api/messages/${m.id}`, { token: a!.token });
    expectError(
      await t.api.patch(`/api/messages/${m.id}`, { body: 'back' }, { token: a!.token }),
      403,
      'forbidden',
    );
    expect((await chat.history(b!, g.id)).messages.find((x: any) => x.id === m.id).body).toBe('');
  });
});

describe('delete', () => {
  it('leaves a tombstone, lowers unread counts at once and never shows the text again', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [sa, sb] = await Promise.all([connect(a!), connect(b!)]);
    const m1 = await sendOn(sa, dm.id, 'one');
    const m2 = await sendOn(sa, dm.id, 'two');
    expectConversation(await chat.view(b!, dm.id), { unreadCount: 2 });
    const conv = waitForNew(
      sb,
      'conversation:updated',
      (c) => c.id === dm.id && c.unreadCount === 1,
    );
    const upd = waitForNew(sb, 'message:updated', (x) => x.id === m2.id);
    const ack = await sa.request('message:delete', { messageId: m2.id });
    expect(ack.ok).toBe(true);
    expectMessage(ack.data, { id: m2.id, seq: m2.seq, senderId: a!.id, body: '' });
    expect(ack.data.deletedAt).not.toBeNull();
    expect((await upd).deletedAt).toBe(ack.data.deletedAt);
    const view = await conv;
    expectConversation(view, { unreadCount: 1, lastSeq: 2 });
    // The last message may be a tombstone.
    expect(view.lastMessage).toMatchObject({ id: m2.id, body: '', deletedAt: ack.data.deletedAt });
    // Deleting again changes nothing and answers the tombstone.
    const again = await t.api.delete(`/api/messages/${m2.id}`, { token: a!.token });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...ack.data, status: again.body.status });
    const page = await chat.history(b!, dm.id);
    expect(page.messages.map((x: any) => [x.seq, x.body])).toEqual([
      [1, 'one'],
      [2, ''],
    ]);
    // Others may not delete in a direct conversation.
    expectError(
      await t.api.delete(`/api/messages/${m1.id}`, { token: b!.token }),
      403,
      'forbidden',
    );
  });

  it('lets a group’s owner and admins delete anyone’s message, members only their own', async () => {
    const [owner, admin, m1, m2] = await users(4);
    const g = await chat.group(owner!, { memberIds: [admin!.id, m1!.id, m2!.id] });
    await t.api.patch(
      `/api/conversations/${g.id}/members/${admin!.id}`,
      { role: 'admin' },
      { token: owner!.token },
    );
    const a = await chat.send(m1!, g.id, 'a');
    const b = await chat.send(m1!, g.id, 'b');
    const c = await chat.send(owner!, g.id, 'c');
    expectError(
      await t.api.delete(`/api/messages/${a.id}`, { token: m2!.token }),
      403,
      'forbidden',
    );
    expect((await t.api.delete(`/api/messages/${a.id}`, { token: admin!.token })).status).toBe(200);
    expect((await t.api.delete(`/api/messages/${b.id}`, { token: owner!.token })).status).toBe(200);
    expect((await t.api.delete(`/api/messages/${c.id}`, { token: admin!.token })).status).toBe(200);
    const system = (await chat.history(owner!, g.id)).messages.find(
      (x: any) => x.kind === 'system',
    );
    expectError(
      await t.api.delete(`/api/messages/${system.id}`, { token: owner!.token }),
      403,
      'forbidden',
    );
  });
});

describe('replies', () => {
  it('quote the current excerpt, follow edits and deletions of the original, with versions', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [sa, sb] = await Promise.all([connect(a!), connect(b!)]);
    const long = '😀'.repeat(150) + 'x'.repeat(100);
    const original = await sendOn(sa, dm.id, long);
    const reply = await sendOn(sb, dm.id, 'answer', { replyToId: original.id });
    expect(reply.replyTo).toEqual({
      id: original.id,
      seq: original.seq,
      senderId: a!.id,
      excerpt: [...long].slice(0, 200).join(''),
    });
    const rest = await t.api.post(
      `/api/conversations/${dm.id}/messages`,
      { body: 'also', replyToId: original.id },
      { token: a!.token },
    );
    expect(rest.status).toBe(201);
    expect(rest.body.replyTo.id).toBe(original.id);

    const before = await lastVersion(a!, dm.id);
    const updates = [reply.id, rest.body.id].map((id) =>
      waitForNew(sb, 'message:updated', (x) => x.id === id),
    );
    await sa.request('message:edit', { messageId: original.id, body: 'short now' });
    const [r1, r2] = await Promise.all(updates);
    expect(r1.replyTo.excerpt).toBe('short now');
    // The original first, then each reply, each with the next value.
    expect([r1.version, r2.version]).toEqual([before + 2, before + 3]);
    expect(await lastVersion(b!, dm.id)).toBe(before + 3);

    const gone = waitForNew(sb, 'message:updated', (x) => x.id === reply.id);
    await sa.request('message:delete', { messageId: original.id });
    expect((await gone).replyTo).toEqual({
      id: original.id,
      seq: original.seq,
      senderId: a!.id,
      excerpt: '',
    });
  });

  it('refuses to answer a message of another conversation, a system message or a deleted one', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const g = await chat.group(a!, { memberIds: [b!.id] });
    const elsewhere = await chat.send(a!, g.id, 'elsewhere');
    const system = (await chat.history(a!, g.id)).messages.find((x: any) => x.kind === 'system');
    const deleted = await chat.send(a!, dm.id, 'soon gone');
    await t.api.delete(`/api/messages/${deleted.id}`, { token: a!.token });
    const s = await connect(a!);
    for (const replyToId of [elsewhere.id, system.id, deleted.id, 999_999_999]) {
      const ack = await s.request('message:send', {
        conversationId: dm.id,
        clientId: cid(),
        body: 'x',
        replyToId,
      });
      expectAckError(ack, 'validation_failed');
      expect(ack.error.details.fields.replyToId).toBeTruthy();
    }
    const page = await chat.history(a!, dm.id);
    expect(page.messages).toHaveLength(1);
  });

  it('answers a repeated clientId with the stored reply even once the original is deleted', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const original = await chat.send(a!, dm.id, 'q');
    const s = await connect(b!);
    const key = cid();
    const first = await s.request('message:send', {
      conversationId: dm.id,
      clientId: key,
      body: 'a',
      replyToId: original.id,
    });
    await t.api.delete(`/api/messages/${original.id}`, { token: a!.token });
    const repeat = await s.request('message:send', {
      conversationId: dm.id,
      clientId: key,
      body: 'a',
      replyToId: original.id,
    });
    expect(repeat.ok).toBe(true);
    expect(repeat.data.id).toBe(first.data.id);
  });
});

describe('reactions', () => {
  it('list emoji in first-use order with users in reaction order, toggled idempotently', async () => {
    const [a, b, c] = await users(3);
    const g = await chat.group(a!, { memberIds: [b!.id, c!.id] });
    const [sa, sb] = await Promise.all([connect(a!), connect(b!)]);
    const m = await sendOn(sa, g.id, 'react to me');
    const v0 = m.version;
    const got = waitForNew(sa, 'message:updated', (x) => x.id === m.id && x.version === v0 + 1);
    const r1 = await sb.request('reaction:set', { messageId: m.id, emoji: '👍', on: true });
    expect(r1.ok).toBe(true);
    expect(r1.data.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [b!.id] }]);
    expect((await got).reactions).toEqual(r1.data.reactions);
    const enc = encodeURIComponent('👨‍👩‍👧‍👦');
    const r2 = await t.api.put(`/api/messages/${m.id}/reactions/${enc}`, undefined, {
      token: c!.token,
    });
    expect(r2.status).toBe(200);
    const r3 = await t.api.put(
      `/api/messages/${m.id}/reactions/${encodeURIComponent('👍')}`,
      undefined,
      { token: a!.token },
    );
    expect(r3.body.reactions).toEqual([
      { emoji: '👍', count: 2, userIds: [b!.id, a!.id] },
      { emoji: '👨‍👩‍👧‍👦', count: 1, userIds: [c!.id] },
    ]);
    expect(r3.body.version).toBe(v0 + 3);
    // Already set: nothing changes.
    const again = await sb.request('reaction:set', { messageId: m.id, emoji: '👍', on: true });
    expect(again.data.version).toBe(v0 + 3);
    // The last user of an emoji removes it: it disappears.
    const off = await t.api.delete(`/api/messages/${m.id}/reactions/${enc}`, { token: c!.token });
    expect(off.body.reactions).toEqual([{ emoji: '👍', count: 2, userIds: [b!.id, a!.id] }]);
    const offAgain = await t.api.delete(`/api/messages/${m.id}/reactions/${enc}`, {
      token: c!.token,
    });
    expect(offAgain.body.version).toBe(off.body.version);
  });

  it('take one emoji only, at most 20 different ones, and never on system or deleted messages', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const m = await chat.send(a!, dm.id, 'many');
    const s = await connect(b!);
    for (const emoji of ['a', '👍👍', ':)', '', ' 👍', '❤', '\u{1F44D}\u200B']) {
      expectAckError(
        await s.request('reaction:set', { messageId: m.id, emoji, on: true }),
        'validation_failed',
      );
    }
    const twenty = [
      '😀',
      '😁',
      '😂',
      '🤣',
      '😃',
      '😄',
      '😅',
      '😆',
      '😉',
      '😊',
      '😋',
      '😎',
      '😍',
      '😘',
      '🥰',
      '😗',
      '😙',
      '🥲',
      '😚',
      '🙂',
    ];
    for (const emoji of twenty) {
      expect((await s.request('reaction:set', { messageId: m.id, emoji, on: true })).ok).toBe(true);
    }
    expectAckError(
      await s.request('reaction:set', { messageId: m.id, emoji: '🤗', on: true }),
      'validation_failed',
    );
    // Another user may still use one already there.
    const r = await t.api.put(
      `/api/messages/${m.id}/reactions/${encodeURIComponent('🙂')}`,
      undefined,
      { token: a!.token },
    );
    expect(r.status).toBe(200);
    expect(r.body.reactions).toHaveLength(20);
    expectError(
      await t.api.put(`/api/messages/${m.id}/reactions/not-an-emoji`, undefined, {
        token: a!.token,
      }),
      400,
      'validation_failed',
    );
    await t.api.delete(`/api/messages/${m.id}`, { token: a!.token });
    expectAckError(
      await s.request('reaction:set', { messageId: m.id, emoji: '👍', on: true }),
      'forbidden',
    );
  });
});

describe('pins', () => {
  it('any member pins in a direct conversation; in a group the owner and admins; listed latest first', async () => {
    const [a, b, c] = await users(3);
    const dm = await chat.direct(a!, b!);
    const m1 = await chat.send(a!, dm.id, 'one');
    const m2 = await chat.send(a!, dm.id, 'two');
    const sb = await connect(b!);
    const p1 = await sb.request('message:pin', { messageId: m1.id, pinned: true });
    expect(p1.ok).toBe(true);
    expect(p1.data.pinned).toMatchObject({ by: b!.id });
    await sleep(5);
    const p2 = await t.api.put(`/api/messages/${m2.id}/pin`, undefined, { token: a!.token });
    expect(p2.body.pinned.by).toBe(a!.id);
    const pins = await t.api.get(`/api/conversations/${dm.id}/pins`, { token: b!.token });
    expect(pins.body.map((x: any) => x.id)).toEqual([m2.id, m1.id]);
    for (const x of pins.body) expectMessage(x);
    const un = await t.api.delete(`/api/messages/${m1.id}/pin`, { token: a!.token });
    expect(un.body.pinned).toBeNull();
    // A deleted message is no longer pinned.
    await t.api.delete(`/api/messages/${m2.id}`, { token: a!.token });
    expect((await t.api.get(`/api/conversations/${dm.id}/pins`, { token: a!.token })).body).toEqual(
      [],
    );

    const g = await chat.group(a!, { memberIds: [c!.id] });
    const gm = await chat.send(c!, g.id, 'pin me');
    expectError(
      await t.api.put(`/api/messages/${gm.id}/pin`, undefined, { token: c!.token }),
      403,
      'forbidden',
    );
    expect(
      (await t.api.put(`/api/messages/${gm.id}/pin`, undefined, { token: a!.token })).status,
    ).toBe(200);
    expectError(
      await t.api.get(`/api/conversations/${g.id}/pins`, { token: b!.token }),
      404,
      'not_found',
    );
  });
});

describe('who may see a message', () => {
  it('answers not_found alike for a message that does not exist and one the caller cannot read', async () => {
    const [a, b, outsider] = await users(3);
    const dm = await chat.direct(a!, b!);
    const m = await chat.send(a!, dm.id, 'secret');
    const pub = await chat.group(a!, { isPrivate: false, name: 'open' });
    const pm = await chat.send(a!, pub.id, 'public');
    const ours = await t.api.get(`/api/messages/${m.id}`, { token: b!.token });
    expect(ours.status).toBe(200);
    expectMessage(ours.body, { id: m.id, body: 'secret' });

    const calls: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['PATCH', '', { body: 'x' }],
      ['DELETE', ''],
      ['PUT', '/reactions/%F0%9F%91%8D'],
      ['DELETE', '/reactions/%F0%9F%91%8D'],
      ['PUT', '/pin'],
      ['DELETE', '/pin'],
    ];
    for (const [method, suffix, body] of calls) {
      const hidden = await t.api.request(method, `/api/messages/${m.id}${suffix}`, body, {
        token: outsider!.token,
      });
      const missing = await t.api.request(method, `/api/messages/999999999${suffix}`, body, {
        token: outsider!.token,
      });
      expect(hidden.status, `${method} ${suffix}`).toBe(404);
      expect(hidden.body, `${method} ${suffix}`).toEqual(missing.body);
    }
    const so = await connect(outsider!);
    for (const [event, payload] of [
      ['message:edit', { messageId: m.id, body: 'x' }],
      ['message:delete', { messageId: m.id }],
      ['reaction:set', { messageId: m.id, emoji: '👍', on: true }],
      ['message:pin', { messageId: m.id, pinned: true }],
    ] as const) {
      const hidden = await so.request(event, payload);
      const missing = await so.request(event, { ...payload, messageId: 999_999_999 });
      expectAckError(hidden, 'not_found');
      expect(hidden).toEqual(missing);
    }
    // A public group: readable by anyone signed in, changed by members only.
    expect((await t.api.get(`/api/messages/${pm.id}`, { token: outsider!.token })).status).toBe(
      200,
    );
    expectAckError(
      await so.request('reaction:set', { messageId: pm.id, emoji: '👍', on: true }),
      'forbidden',
    );
    // Nothing changed anywhere.
    expect((await t.api.get(`/api/messages/${m.id}`, { token: a!.token })).body).toMatchObject({
      body: 'secret',
      reactions: [],
      pinned: null,
      deletedAt: null,
    });
  });
});

describe('around', () => {
  it('returns floor((limit - 1) / 2) before, the message, then the rest, clamped and not refilled', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    for (let i = 1; i <= 30; i++) await chat.send(a!, dm.id, `m${i}`);
    const page = await chat.history(b!, dm.id, '?around=15&limit=10');
    expect(page.messages.map((m: any) => m.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(page).toMatchObject({ hasMore: true, hasMoreBefore: true, hasMoreAfter: true });
    const start = await chat.history(b!, dm.id, '?around=2&limit=10');
    expect(start.messages.map((m: any) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(start).toMatchObject({ hasMoreBefore: false, hasMoreAfter: true });
    const end = await chat.history(b!, dm.id, '?around=999&limit=10');
    expect(end.messages.map((m: any) => m.seq)).toEqual([26, 27, 28, 29, 30]);
    expect(end).toMatchObject({ hasMore: true, hasMoreBefore: true, hasMoreAfter: false });
    const zero = await chat.history(b!, dm.id, '?around=0&limit=3');
    expect(zero.messages.map((m: any) => m.seq)).toEqual([1, 2]);
    const whole = await chat.history(b!, dm.id, '?around=10&limit=200');
    expect(whole).toMatchObject({ hasMore: false, hasMoreBefore: false, hasMoreAfter: false });
    expect(whole.messages).toHaveLength(30);
    for (const q of ['?around=5&before=3', '?around=5&after=3', '?around=-1', '?around=x']) {
      expectError(
        await t.api.get(`/api/conversations/${dm.id}/messages${q}`, { token: b!.token }),
        400,
        'validation_failed',
      );
    }
  });
});

describe('changes', () => {
  it('pages new and changed messages by version; one at or above lastVersion is empty', async () => {
    const [a, b, outsider] = await users(3);
    const dm = await chat.direct(a!, b!);
    const ms = [];
    for (let i = 1; i <= 5; i++) ms.push(await chat.send(a!, dm.id, `m${i}`));
    const v = await lastVersion(a!, dm.id);
    await t.api.patch(`/api/messages/${ms[1].id}`, { body: 'edited' }, { token: a!.token });
    await t.api.put(`/api/messages/${ms[0].id}/reactions/${encodeURIComponent('🎉')}`, undefined, {
      token: b!.token,
    });
    await t.api.delete(`/api/messages/${ms[3].id}`, { token: a!.token });
    const six = await chat.send(b!, dm.id, 'm6');

    const all = await t.api.get(`/api/conversations/${dm.id}/changes?since=0`, { token: b!.token });
    expect(all.status).toBe(200);
    expect(Object.keys(all.body).sort()).toEqual(['hasMore', 'lastVersion', 'messages']);
    expect(all.body.lastVersion).toBe(v + 4);
    const versions = all.body.messages.map((m: any) => m.version);
    expect(versions).toEqual([...versions].sort((x: number, y: number) => x - y));
    expect(new Set(all.body.messages.map((m: any) => m.id)).size).toBe(6);
    for (const m of all.body.messages) expectMessage(m);

    const since = await t.api.get(`/api/conversations/${dm.id}/changes?since=${v}`, {
      token: b!.token,
    });
    expect(since.body.messages.map((m: any) => [m.id, m.version])).toEqual([
      [ms[1].id, v + 1],
      [ms[0].id, v + 2],
      [ms[3].id, v + 3],
      [six.id, v + 4],
    ]);
    expect(since.body.messages[2]).toMatchObject({ body: '', deletedAt: expect.any(String) });

    // Paging: hasMore until the last page; the next `since` is the last version returned.
    const seen: number[] = [];
    let from = 0;
    for (;;) {
      const p = await t.api.get(`/api/conversations/${dm.id}/changes?since=${from}&limit=2`, {
        token: a!.token,
      });
      seen.push(...p.body.messages.map((m: any) => m.version));
      if (!p.body.hasMore) break;
      from = p.body.messages.at(-1).version;
    }
    expect(seen).toEqual(versions);
    for (const s of [v + 4, v + 100]) {
      const none = await t.api.get(`/api/conversations/${dm.id}/changes?since=${s}`, {
        token: a!.token,
      });
      expect(none.body).toEqual({ messages: [], lastVersion: v + 4, hasMore: false });
    }
    for (const q of ['', '?since=-1', '?since=1.5', '?since=0&limit=0', '?since=0&limit=501']) {
      expectError(
        await t.api.get(`/api/conversations/${dm.id}/changes${q}`, { token: a!.token }),
        400,
        'validation_failed',
      );
    }
    expectError(
      await t.api.get(`/api/conversations/${dm.id}/changes?since=0`, { token: outsider!.token }),
      404,
      'not_found',
    );
  });
});

describe('profiles live', () => {
  it('sends user:updated to the people who share a conversation, and to the user’s own sockets', async () => {
    const [a, b, stranger] = await users(3);
    await chat.direct(a!, b!);
    const [sa, sb, ss] = await Promise.all([connect(a!), connect(b!), connect(stranger!)]);
    const atB = waitForNew(sb, 'user:updated', (u) => u.id === a!.id);
    const atA = waitForNew(sa, 'user:updated', (u) => u.id === a!.id);
    const res = await t.api.patch(
      '/api/users/me',
      { displayName: 'Ada Renamed' },
      { token: a!.token },
    );
    expect(res.status).toBe(200);
    const seen = await atB;
    expect(Object.keys(seen).sort()).toEqual([
      'avatarUrl',
      'displayName',
      'id',
      'lastSeenAt',
      'online',
      'username',
    ]);
    expect(seen).toMatchObject({ id: a!.id, displayName: 'Ada Renamed', online: true });
    await atA;
    expect(await quietFor(ss, 'user:updated', () => true, 100)).toEqual([]);
    // A change only the user sees (the bio) tells nobody.
    await t.api.patch('/api/users/me', { bio: 'hello' }, { token: a!.token });
    expect(await quietFor(sb, 'user:updated', (u) => u.id === a!.id)).toEqual([]);
  });
});
