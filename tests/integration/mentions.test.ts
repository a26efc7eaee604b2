// v1.1 "Mentions and notification settings": @username parsed on send and edit from the
// members at that moment, mentionCount derived like unreadCount (reads, edits and deletions
// move it, on every device), and each member's own muted/notify preferences.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/api.js';
import { Chat, expectConversation, expectError, expectMessage, sleep } from '../helpers/chat.js';
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

const tag = () => randomBytes(3).toString('hex');
async function named(prefix: string): Promise<TestUser> {
  return registerUser(t.api, { username: `${prefix}${tag()}` });
}
async function connect(u: TestUser): Promise<TestSocket> {
  const s = await connectSocket(t.url, u.token);
  open.push(s);
  return s;
}
const counts = async (u: TestUser, id: number) => {
  const c = await chat.view(u, id);
  expectConversation(c);
  return { unread: c.unreadCount as number, mentions: c.mentionCount as number };
};

describe('mentions', () => {
  it('parse members only, ignoring case, by the longest run with trailing punctuation dropped', async () => {
    const alice = await named('alice');
    const bob = await named('b.o-b_');
    const outsider = await named('zed');
    const g = await chat.group(alice, { memberIds: [bob.id] });
    const at = (u: TestUser) => `@${u.username}`;
    const cases: Array<[string, number[]]> = [
      [`${at(bob)} hello`, [bob.id]],
      [`thanks ${at(bob).toUpperCase()}.`, [bob.id]],
      [`thanks ${at(bob)}...`, [bob.id]],
      [`(${at(alice)}, ${at(bob)}) and ${at(alice)} again`, [alice.id, bob.id]],
      [`mail ${alice.username}@example.com`, []],
      [`${at(outsider)} is not here`, []],
      [`@nobody-${tag()} @ ${at(bob)}x`, []],
      [`${at(bob)}:ok`, [bob.id]],
      ['no at sign at all', []],
    ];
    for (const [body, want] of cases) {
      const m = await chat.send(alice, g.id, body);
      expectMessage(m);
      expect(m.mentions, body).toEqual(want);
      const read = (await t.api.get(`/api/messages/${m.id}`, { token: bob.token })).body;
      expect(read.mentions, body).toEqual(want);
    }
  });

  it('count unread mentions of me, lowered by reading, by deletion, and moved by edits', async () => {
    const a = await named('ann');
    const b = await named('ben');
    const g = await chat.group(a, { memberIds: [b.id] });
    const [sb1, sb2] = await Promise.all([connect(b), connect(b)]);
    const m1 = await chat.send(a, g.id, `hi @${b.username}`);
    await chat.send(a, g.id, 'no mention');
    const m3 = await chat.send(a, g.id, `@${b.username} again`);
    expect(await counts(b, g.id)).toEqual({ unread: 3, mentions: 2 });
    // The sender's own mention of themselves never counts for them.
    await chat.send(b, g.id, `note to @${b.username}`);
    expect(await counts(b, g.id)).toEqual({ unread: 0, mentions: 0 });

    const m5 = await chat.send(a, g.id, 'plain');
    const m6 = await chat.send(a, g.id, `@${b.username} third`);
    expect(await counts(b, g.id)).toEqual({ unread: 2, mentions: 1 });
    // An edit that adds a mention to an unread message raises the count on every device.
    const up = waitForNew(
      sb2,
      'conversation:updated',
      (c) => c.id === g.id && c.mentionCount === 2,
    );
    const edited = await t.api.patch(
      `/api/messages/${m5.id}`,
      { body: `plain, @${b.username}` },
      { token: a.token },
    );
    expect(edited.body.mentions).toEqual([b.id]);
    expect((await up).unreadCount).toBe(2);
    // One that removes it lowers it again.
    const down = waitForNew(
      sb1,
      'conversation:updated',
      (c) => c.id === g.id && c.mentionCount === 1,
    );
    await t.api.patch(`/api/messages/${m5.id}`, { body: 'plain again' }, { token: a.token });
    await down;
    // A deletion lowers both counts.
    const gone = waitForNew(
      sb1,
      'conversation:updated',
      (c) => c.id === g.id && c.unreadCount === 1,
    );
    await t.api.delete(`/api/messages/${m6.id}`, { token: a.token });
    expect((await gone).mentionCount).toBe(0);
    // Reading on one device clears the count everywhere.
    expect(await counts(b, g.id)).toEqual({ unread: 1, mentions: 0 });
    await chat.read(b, g.id, m6.seq);
    expect(await counts(b, g.id)).toEqual({ unread: 0, mentions: 0 });
    // Old mentions were read: their messages still list the mention.
    expect((await t.api.get(`/api/messages/${m1.id}`, { token: b.token })).body.mentions).toEqual([
      b.id,
    ]);
    expect((await t.api.get(`/api/messages/${m3.id}`, { token: b.token })).body.mentions).toEqual([
      b.id,
    ]);
  });

  it('are computed from the members at the moment of the send or the edit', async () => {
    const a = await named('amy');
    const late = await named('lou');
    const g = await chat.group(a);
    const before = await chat.send(a, g.id, `@${late.username} are you there?`);
    expect(before.mentions).toEqual([]);
    await chat.add(a, g.id, [late.id]);
    expect(
      (await t.api.get(`/api/messages/${before.id}`, { token: a.token })).body.mentions,
    ).toEqual([]);
    const edited = await t.api.patch(
      `/api/messages/${before.id}`,
      { body: `@${late.username} are you there now?` },
      { token: a.token },
    );
    expect(edited.body.mentions).toEqual([late.id]);
    // Joined after the message: it is not unread for them, so it does not count.
    expect(await counts(late, g.id)).toEqual({ unread: 0, mentions: 0 });
  });

  it('keep the first 50 distinct members mentioned', async () => {
    const owner = await named('own');
    const many = await Promise.all(Array.from({ length: 55 }, () => named('m')));
    const g = await chat.group(owner, { memberIds: many.map((u) => u.id) });
    const body = many.map((u) => `@${u.username}`).join(' ');
    const m = await chat.send(owner, g.id, body);
    expect(m.mentions).toEqual(many.slice(0, 50).map((u) => u.id));
  });
});

describe('notification settings', () => {
  it('are the caller’s own, change no count, and reach every socket of the caller only', async () => {
    const a = await named('sam');
    const b = await named('tim');
    const g = await chat.group(a, { memberIds: [b.id] });
    await chat.send(b, g.id, `@${a.username} ping`);
    const [sa1, sa2, sb] = await Promise.all([connect(a), connect(a), connect(b)]);
    const other = waitForNew(sa2, 'conversation:updated', (c) => c.id === g.id && c.muted);
    const res = await t.api.patch(
      `/api/conversations/${g.id}/settings`,
      { muted: true, notify: 'mentions' },
      { token: a.token },
    );
    expect(res.status).toBe(200);
    expectConversation(res.body, {
      muted: true,
      notify: 'mentions',
      unreadCount: 1,
      mentionCount: 1,
    });
    expect(await other).toMatchObject({ muted: true, notify: 'mentions' });
    await sa1.waitFor('conversation:updated', (c) => c.id === g.id && c.notify === 'mentions');
    await sleep(200);
    expect(sb.eventsOf('conversation:updated').filter((c) => c.id === g.id)).toEqual([]);
    // Another session sees it in the list; the other member's view is untouched.
    expect(await chat.view(a, g.id)).toMatchObject({ muted: true, notify: 'mentions' });
    expect(await chat.view(b, g.id)).toMatchObject({ muted: false, notify: 'all' });
    // Partial changes keep the rest.
    const partial = await t.api.patch(
      `/api/conversations/${g.id}/settings`,
      { notify: 'none' },
      { token: a.token },
    );
    expect(partial.body).toMatchObject({ muted: true, notify: 'none' });
    for (const body of [{ notify: 'loud' }, { muted: 'yes' }, { extra: 1 }]) {
      expectError(
        await t.api.patch(`/api/conversations/${g.id}/settings`, body, { token: a.token }),
        400,
        'validation_failed',
      );
    }
  });

  it('need membership: not_found where the conversation is hidden, forbidden in a public group', async () => {
    const a = await named('uma');
    const outsider = await named('out');
    const priv = await chat.group(a);
    const pub = await chat.group(a, { isPrivate: false, name: 'open' });
    expectError(
      await t.api.patch(
        `/api/conversations/${priv.id}/settings`,
        { muted: true },
        { token: outsider.token },
      ),
      404,
      'not_found',
    );
    expectError(
      await t.api.patch(
        `/api/conversations/${pub.id}/settings`,
        { muted: true },
        { token: outsider.token },
      ),
      403,
      'forbidden',
    );
  });
});
