import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/api.js';
import {
  Chat,
  ISO_MS,
  eventsAbout,
  expectAckError,
  expectConversation,
  expectMessage,
  expectPublicUser,
  sleep,
} from '../helpers/chat.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, disconnected, waitForNew, type TestSocket } from '../helpers/socket.js';

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

const users = async (n: number) =>
  (await Promise.all(Array.from({ length: n }, () => registerUser(t.api)))).sort(
    (p, q) => p.id - q.id,
  );

async function connect(u: TestUser): Promise<TestSocket> {
  const s = await connectSocket(t.url, u.token);
  open.push(s);
  return s;
}

async function close(s: TestSocket): Promise<void> {
  const gone = disconnected(s);
  s.close();
  await gone;
}

const cid = () => randomBytes(8).toString('hex');

/** How long to listen before concluding an event did not come. */
const QUIET_MS = 300;

describe('message fan-out', () => {
  it('sends message:new to every socket of every member, the sender included, and to no one else', async () => {
    const [a, b, c] = await users(3);
    const g = await chat.group(a!, { name: 'Fan', memberIds: [b!.id] });
    const [a1, a2, b1, b2, c1] = await Promise.all([
      connect(a!),
      connect(a!),
      connect(b!),
      connect(b!),
      connect(c!),
    ]);

    const ack = await a1.request('message:send', {
      conversationId: g.id,
      clientId: cid(),
      body: 'to everyone',
    });
    expect(Object.keys(ack).sort()).toEqual(['data', 'ok']);
    expect(ack.ok).toBe(true);
    expectMessage(ack.data, {
      conversationId: g.id,
      seq: 2,
      senderId: a!.id,
      body: 'to everyone',
      kind: 'text',
      status: 'sent',
    });
    for (const s of [a1, a2, b1, b2]) {
      const m = await s.waitFor('message:new', (p) => p.id === ack.data.id);
      expectMessage(m);
      expect(m).toEqual(ack.data);
    }
    const viaRest = await chat.send(b!, g.id, 'over rest');
    for (const s of [a1, a2, b1, b2]) await s.waitFor('message:new', (p) => p.id === viaRest.id);

    // Each socket gets each message once; the outsider gets nothing about the group.
    await sleep(QUIET_MS);
    for (const s of [a1, a2, b1, b2]) {
      expect(s.eventsOf('message:new').filter((m) => m.conversationId === g.id)).toHaveLength(2);
    }
    expect(eventsAbout(c1, g.id)).toEqual([]);
  });

  it("sends receipts to every member's sockets, the reader's other devices included", async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    await chat.send(a!, dm.id, 'x');
    const [a1, b1, b2] = await Promise.all([connect(a!), connect(b!), connect(b!)]);
    expect(await b1.request('conversation:read', { conversationId: dm.id, seq: 1 })).toEqual({
      ok: true,
      data: {},
    });
    const expected = { conversationId: dm.id, userId: b!.id, deliveredSeq: 1, readSeq: 1 };
    for (const s of [a1, b1, b2]) expect(await s.waitFor('receipt')).toEqual(expected);
  });
});

describe('writes per turn', () => {
  it('sends an ack, its message:new and its receipt to a socket in one TCP write', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [ra, rb] = await Promise.all([
      RawSocket.open(t.url, a!.token),
      RawSocket.open(t.url, b!.token),
    ]);
    try {
      await sleep(QUIET_MS); // presence and the like are over
      // Count the writes each user's server-side TCP socket hands to the kernel.
      const writesTo = (userId: number) => {
        const sock = [...t.server.realtime.io.sockets.sockets.values()].find(
          (x) => (x.data as { actor: { userId: number } }).actor.userId === userId,
        )!;
        const tcp = (sock.conn as unknown as { transport: { socket: { _socket: any } } }).transport
          .socket._socket;
        const writes: string[] = [];
        for (const m of ['_write', '_writev'] as const) {
          const orig = tcp[m].bind(tcp);
          tcp[m] = (chunk: unknown, ...rest: unknown[]) => {
            const parts = Array.isArray(chunk)
              ? chunk.map((c: { chunk: Buffer | string }) => String(c.chunk))
              : [String(chunk)];
            writes.push(parts.join(''));
            return orig(chunk, ...rest);
          };
        }
        return writes;
      };
      const [ca, cb] = [writesTo(a!.id), writesTo(b!.id)];
      const ack = await ra.emit('message:send', {
        conversationId: dm.id,
        clientId: cid(),
        body: 'one write',
      });
      expect(ack.ok).toBe(true);
      await rb.waitFrame((f) => f.includes('"receipt"'));
      await ra.waitFrame((f) => f.includes('"receipt"'));
      await sleep(100);
      // The sender: ack, message:new, receipt; the peer: message:new, receipt. One write each.
      expect(ca).toHaveLength(1);
      expect(cb).toHaveLength(1);
      for (const part of ['"message:new"', '"receipt"', 'one write']) expect(ca[0]).toContain(part);
      for (const part of ['"message:new"', '"receipt"']) expect(cb[0]).toContain(part);
    } finally {
      ra.close();
      rb.close();
    }
  });
});

describe('typing', () => {
  it('is relayed to the other members only, not to the typist or outsiders', async () => {
    const [a, b, c, d] = await users(4);
    const g = await chat.group(a!, { name: 'Typing', memberIds: [b!.id, c!.id] });
    const [a1, a2, b1, c1, d1] = await Promise.all([
      connect(a!),
      connect(a!),
      connect(b!),
      connect(c!),
      connect(d!),
    ]);

    expect(await a1.request('typing', { conversationId: g.id, typing: true })).toEqual({
      ok: true,
      data: {},
    });
    const on = { conversationId: g.id, userId: a!.id, typing: true };
    expect(await b1.waitFor('typing')).toEqual(on);
    expect(await c1.waitFor('typing')).toEqual(on);
    // Repeating typing: true while typing relays nothing new.
    await a1.request('typing', { conversationId: g.id, typing: true });
    await a1.request('typing', { conversationId: g.id, typing: false });
    const off = { ...on, typing: false };
    expect(await b1.waitFor('typing', (p) => p.typing === false)).toEqual(off);
    await c1.waitFor('typing', (p) => p.typing === false);
    await sleep(QUIET_MS);
    expect(b1.eventsOf('typing')).toEqual([on, off]);
    expect(a1.eventsOf('typing')).toEqual([]);
    expect(a2.eventsOf('typing')).toEqual([]);
    expect(eventsAbout(d1, g.id)).toEqual([]);
  });

  it('ends by itself 6 s after the last typing: true', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [a1, b1] = await Promise.all([connect(a!), connect(b!)]);
    await a1.request('typing', { conversationId: dm.id, typing: true });
    await b1.waitFor('typing', (p) => p.typing === true);
    await sleep(1500);
    await a1.request('typing', { conversationId: dm.id, typing: true });
    const lastTrue = Date.now();
    await b1.waitFor('typing', (p) => p.typing === false, 9000);
    const ended = b1.received.find((r) => r.event === 'typing' && r.payload.typing === false)!;
    expect(ended.payload).toEqual({ conversationId: dm.id, userId: a!.id, typing: false });
    expect(ended.at - lastTrue).toBeGreaterThanOrEqual(5800);
    expect(ended.at - lastTrue).toBeLessThan(7500);
    expect(b1.eventsOf('typing')).toHaveLength(2);
  }, 15_000);

  it("ends when the typist's message arrives", async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [a1, b1] = await Promise.all([connect(a!), connect(b!)]);
    await a1.request('typing', { conversationId: dm.id, typing: true });
    await b1.waitFor('typing', (p) => p.typing === true);
    const sent = Date.now();
    await a1.request('message:send', { conversationId: dm.id, clientId: cid(), body: 'done' });
    await b1.waitFor('message:new');
    const off = await b1.waitFor('typing', (p) => p.typing === false, 2000);
    expect(off).toEqual({ conversationId: dm.id, userId: a!.id, typing: false });
    const at = b1.received.find((r) => r.event === 'typing' && !r.payload.typing)!.at;
    expect(at - sent).toBeLessThan(2000);
  });

  it('ends when the typist’s last socket disconnects, not before', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [a1, a2, b1] = await Promise.all([connect(a!), connect(a!), connect(b!)]);
    await a1.request('typing', { conversationId: dm.id, typing: true });
    await b1.waitFor('typing', (p) => p.typing === true);
    await close(a2);
    await sleep(QUIET_MS);
    expect(b1.eventsOf('typing')).toHaveLength(1);
    const gone = Date.now();
    await close(a1);
    expect(await b1.waitFor('typing', (p) => p.typing === false, 3000)).toEqual({
      conversationId: dm.id,
      userId: a!.id,
      typing: false,
    });
    expect(Date.now() - gone).toBeLessThan(3000);
  });

  it('ends for the others when the typist leaves the group', async () => {
    const [a, b, c] = await users(3);
    const g = await chat.group(a!, { name: 'Leaving', memberIds: [b!.id, c!.id] });
    const [b1, c1] = await Promise.all([connect(b!), connect(c!)]);
    await b1.request('typing', { conversationId: g.id, typing: true });
    await c1.waitFor('typing', (p) => p.typing === true);
    await chat.leave(b!, g.id);
    expect(await c1.waitFor('typing', (p) => p.typing === false, 2000)).toEqual({
      conversationId: g.id,
      userId: b!.id,
      typing: false,
    });
  });

  it('is rate limited per socket', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [a1, a2] = await Promise.all([connect(a!), connect(a!)]);
    const acks = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        a1.request('typing', { conversationId: dm.id, typing: i % 2 === 0 }),
      ),
    );
    const limited = acks.filter((x) => !x.ok);
    expect(limited.length).toBeGreaterThan(0);
    expect(acks.filter((x) => x.ok).length).toBeGreaterThan(0);
    for (const x of limited) expectAckError(x, 'rate_limited');
    // The limit is per socket: another socket of the same user is unaffected.
    expect(await a2.request('typing', { conversationId: dm.id, typing: false })).toEqual({
      ok: true,
      data: {},
    });
    await sleep(Math.max(...limited.map((x) => x.error.details.retryAfterMs as number)) + 50);
    expect(await a1.request('typing', { conversationId: dm.id, typing: false })).toEqual({
      ok: true,
      data: {},
    });
  });
});

describe('presence', () => {
  it('is online from the first socket to the last, and told only to contacts', async () => {
    const [a, b, stranger] = await users(3);
    const dm = await chat.direct(a!, b!);
    const [b1, s1] = await Promise.all([connect(b!), connect(stranger!)]);
    const presenceOfA = () => b1.eventsOf('presence').filter((p) => p.userId === a!.id);

    const a1 = await connect(a!);
    const on = await b1.waitFor('presence', (p) => p.userId === a!.id);
    expect(Object.keys(on).sort()).toEqual(['lastSeenAt', 'online', 'userId']);
    expect(on).toMatchObject({ userId: a!.id, online: true });
    const a2 = await connect(a!);
    const conv = await chat.view(b!, dm.id);
    expectConversation(conv, { otherUser: { id: a!.id, online: true } });
    const members = (await chat.get(b!, dm.id)).members;
    expect(members.find((m: any) => m.user.id === a!.id).user.online).toBe(true);

    await close(a1);
    await sleep(QUIET_MS);
    expect(presenceOfA()).toHaveLength(1);
    expect((await t.api.get(`/api/users/${a!.id}`, { token: b!.token })).body.online).toBe(true);

    const before = Date.now();
    await close(a2);
    const offline = await b1.waitFor('presence', (p) => p.userId === a!.id && !p.online);
    expect(offline.lastSeenAt).toMatch(ISO_MS);
    expect(Math.abs(Date.parse(offline.lastSeenAt) - before)).toBeLessThan(2000);
    const seen = await t.api.get(`/api/users/${a!.id}`, { token: b!.token });
    expectPublicUser(seen.body, { id: a!.id, online: false, lastSeenAt: offline.lastSeenAt });
    expectConversation(await chat.view(b!, dm.id), {
      otherUser: { id: a!.id, online: false, lastSeenAt: offline.lastSeenAt },
    });

    // Coming back reports the last time seen until then.
    const back = waitForNew(b1, 'presence', (p) => p.userId === a!.id && p.online);
    await connect(a!);
    const again = await back;
    expect(again.lastSeenAt).toBe(offline.lastSeenAt);
    await sleep(QUIET_MS);
    expect(s1.eventsOf('presence').filter((p) => p.userId === a!.id)).toEqual([]);
  });

  it('publishes the changes of rapid connects and disconnects in order, ending offline', async () => {
    const people = await users(16);
    for (let i = 0; i < people.length; i += 2) {
      const [a, b] = [people[i]!, people[i + 1]!];
      await chat.direct(a, b);
      const b1 = await connectSocket(t.url, b.token);
      for (let k = 0; k < 8; k++) {
        const s = await connectSocket(t.url, a.token);
        s.close();
      }
      await b1.waitFor('presence', (p) => p.userId === a.id && !p.online);
      await sleep(400);
      // Each change crosses between no socket and one, so the states must alternate.
      const seen = b1
        .eventsOf('presence')
        .filter((p) => p.userId === a.id)
        .map((p) => p.online);
      expect(seen.length % 2).toBe(0);
      expect(seen).toEqual(seen.map((_, k) => k % 2 === 0));
      const u = await t.api.get(`/api/users/${a.id}`, { token: b.token });
      expect(u.body.online).toBe(false);
      b1.close();
    }
  });
});
