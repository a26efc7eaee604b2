import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { registerUser, type TestUser } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket } from '../helpers/socket.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAX_SOCKETS = 4;
const MESSAGES_PER_SECOND = 5; // bursts of 10 in a 2-second window

let db: TestDatabase;
let a: TestServer;
let b: TestServer;
let prefix: string;
const secret = randomBytes(32).toString('hex');

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = `parley-test-${randomBytes(4).toString('hex')}`;
  const env = {
    REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_SECRET: secret,
    MAX_SOCKETS_PER_USER: String(MAX_SOCKETS),
    MESSAGES_PER_SECOND: String(MESSAGES_PER_SECOND),
  };
  a = await startTestServer(env, { db });
  b = await startTestServer(env, { db });
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await db?.drop();
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

describe('two nodes on one database and Redis', () => {
  let alice: TestUser;
  let bob: TestUser;

  it('a message sent on one node reaches a member connected to the other', async () => {
    alice = await registerUser(a.api);
    bob = await registerUser(b.api);
    const dm = await a.api.post(
      '/api/conversations/direct',
      { userId: bob.id },
      { token: alice.token },
    );
    expect(dm.status).toBe(201);
    const sa = await connectSocket(a.url, alice.token);
    const sb = await connectSocket(b.url, bob.token);
    try {
      const ack = await sa.request('message:send', {
        conversationId: dm.body.id,
        clientId: 'x1',
        body: 'across nodes',
      });
      expect(ack.ok).toBe(true);
      const got = await sb.waitFor('message:new', (m) => m.clientId === 'x1');
      expect(got.body).toBe('across nodes');
      // Typing and receipts cross too.
      await sb.request('typing', { conversationId: dm.body.id, typing: true });
      expect((await sa.waitFor('typing', (t) => t.userId === bob.id)).typing).toBe(true);
      await sb.request('conversation:read', { conversationId: dm.body.id, seq: ack.data.seq });
      const receipt = await sa.waitFor(
        'receipt',
        (r) => r.userId === bob.id && r.readSeq === ack.data.seq,
      );
      expect(receipt.deliveredSeq).toBe(ack.data.seq);
    } finally {
      sa.close();
      sb.close();
    }
  });

  it('presence is shared: online on either node, offline when the last socket anywhere closes', async () => {
    const sb1 = await connectSocket(b.url, bob.token);
    const sa = await connectSocket(a.url, alice.token);
    const sb2 = await connectSocket(a.url, bob.token);
    try {
      await expect
        .poll(
          async () => (await a.api.get(`/api/users/${bob.id}`, { token: alice.token })).body.online,
        )
        .toBe(true);
      sb1.close();
      await new Promise((r) => setTimeout(r, 300));
      expect((await a.api.get(`/api/users/${bob.id}`, { token: alice.token })).body.online).toBe(
        true,
      );
      expect((await b.api.get(`/api/users/${bob.id}`, { token: alice.token })).body.online).toBe(
        true,
      );
      sb2.close();
      const off = await sa.waitFor('presence', (p) => p.userId === bob.id && p.online === false);
      expect(off.lastSeenAt).toBeTruthy();
      await expect
        .poll(
          async () => (await b.api.get(`/api/users/${bob.id}`, { token: alice.token })).body.online,
        )
        .toBe(false);
    } finally {
      sa.close();
    }
  });

  it('revoking a session on one node disconnects its sockets on the other', async () => {
    const carol = await registerUser(a.api);
    const sock = await connectSocket(b.url, carol.token);
    const expired = sock.waitFor('session:expired');
    const out = await a.api.post('/api/auth/logout', undefined, { token: carol.token });
    expect(out.status).toBe(204);
    await expired;
    await expect.poll(() => sock.socket.connected).toBe(false);
  });

  it('rate limits are shared between nodes', async () => {
    const dave = await registerUser(a.api);
    // Failed logins on both nodes count toward one limit (default 10 per login and address).
    for (let i = 0; i < 10; i++) {
      const node = i % 2 === 0 ? a : b;
      expect(
        (
          await node.api.post('/api/auth/login', {
            login: dave.username,
            password: 'wrong-password',
          })
        ).status,
      ).toBe(401);
    }
    expect(
      (await a.api.post('/api/auth/login', { login: dave.username, password: dave.password }))
        .status,
    ).toBe(429);
    expect(
      (await b.api.post('/api/auth/login', { login: dave.username, password: dave.password }))
        .status,
    ).toBe(429);
  });

  it('a removed member stops receiving on the other node at once', async () => {
    const owner = await registerUser(a.api);
    const member = await registerUser(b.api);
    const g = await a.api.post(
      '/api/conversations',
      { name: 'x-node', isPrivate: true, memberIds: [member.id] },
      { token: owner.token },
    );
    const so = await connectSocket(a.url, owner.token);
    const sm = await connectSocket(b.url, member.token);
    try {
      const removed = sm.waitFor('conversation:removed', (e) => e.conversationId === g.body.id);
      expect(
        (
          await a.api.delete(`/api/conversations/${g.body.id}/members/${member.id}`, {
            token: owner.token,
          })
        ).status,
      ).toBe(204);
      await removed;
      const ack = await so.request('message:send', {
        conversationId: g.body.id,
        clientId: 'after',
        body: 'secret',
      });
      expect(ack.ok).toBe(true);
      await so.waitFor('message:new', (m) => m.clientId === 'after');
      await new Promise((r) => setTimeout(r, 300));
      expect(
        sm
          .eventsOf('message:new')
          .filter((m) => m.conversationId === g.body.id && m.kind === 'text'),
      ).toHaveLength(0);
    } finally {
      so.close();
      sm.close();
    }
  });

  it('caps a user’s sockets across both nodes, also when they arrive together', async () => {
    const u = await registerUser(a.api);
    const tries = await Promise.allSettled(
      Array.from({ length: MAX_SOCKETS + 4 }, (_, i) =>
        connectSocket((i % 2 ? a : b).url, u.token),
      ),
    );
    const open = tries.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
    try {
      expect(open).toHaveLength(MAX_SOCKETS);
      for (const t of tries) {
        if (t.status === 'rejected') expect(String(t.reason)).toMatch(/rate_limited/);
      }
      // Room again on either node once one closes, wherever it was.
      open.pop()!.close();
      await expect
        .poll(async () => {
          try {
            open.push(await connectSocket(b.url, u.token));
            return true;
          } catch {
            return false;
          }
        })
        .toBe(true);
      await expect(connectSocket(a.url, u.token)).rejects.toThrow(/rate_limited/);
    } finally {
      for (const s of open) s.close();
    }
  });

  it('ends typing held by the other node: typing false from another tab, and a removed typist', async () => {
    const owner = await registerUser(a.api);
    const typist = await registerUser(a.api);
    const g = await a.api.post(
      '/api/conversations',
      { name: 'typing', isPrivate: true, memberIds: [typist.id] },
      { token: owner.token },
    );
    const room = g.body.id as number;
    const watch = await connectSocket(b.url, owner.token);
    const tabA = await connectSocket(a.url, typist.token);
    const tabB = await connectSocket(b.url, typist.token);
    const typing = (on: boolean) =>
      watch.waitFor(
        'typing',
        (t) => t.userId === typist.id && t.typing === on && t.conversationId === room,
        2000,
      );
    try {
      const started = typing(true);
      expect((await tabA.request('typing', { conversationId: room, typing: true })).ok).toBe(true);
      await started;
      // The other tab, on the other node, says it stopped: ended now, not by the timeout.
      const at = Date.now();
      const ended = typing(false);
      expect((await tabB.request('typing', { conversationId: room, typing: false })).ok).toBe(true);
      await ended;
      expect(Date.now() - at).toBeLessThan(2000);
      expect(watch.eventsOf('typing').filter((t) => t.userId === typist.id)).toHaveLength(2);

      // Typing again on node A, then removed through node B: ended for the others at once.
      watch.received.length = 0;
      const again = typing(true);
      expect((await tabA.request('typing', { conversationId: room, typing: true })).ok).toBe(true);
      await again;
      const endedByRemoval = typing(false);
      expect(
        (
          await b.api.delete(`/api/conversations/${room}/members/${typist.id}`, {
            token: owner.token,
          })
        ).status,
      ).toBe(204);
      await endedByRemoval;
    } finally {
      watch.close();
      tabA.close();
      tabB.close();
    }
  });

  it('limits a user’s sends once, over sockets and REST, on both nodes', async () => {
    const alice2 = await registerUser(a.api);
    const bob2 = await registerUser(b.api);
    const dm = await a.api.post(
      '/api/conversations/direct',
      { userId: bob2.id },
      { token: alice2.token },
    );
    const sa = await connectSocket(a.url, alice2.token);
    try {
      const burst = MESSAGES_PER_SECOND * 2;
      const t0 = Date.now();
      const [socketAcks, restReplies] = await Promise.all([
        Promise.all(
          Array.from({ length: burst }, (_, i) =>
            sa.request('message:send', {
              conversationId: dm.body.id,
              clientId: `s${i}`,
              body: 'x',
            }),
          ),
        ),
        Promise.all(
          Array.from({ length: burst }, (_, i) =>
            b.api.post(
              `/api/conversations/${dm.body.id}/messages`,
              { clientId: `r${i}`, body: 'y' },
              { token: alice2.token },
            ),
          ),
        ),
      ]);
      const took = Date.now() - t0;
      const sent =
        socketAcks.filter((x) => x.ok).length + restReplies.filter((r) => r.status === 201).length;
      // One budget for both ways in and both nodes: exactly one burst per 2-second window (a
      // burst slower than that may reach into the next window).
      if (took < 2000) expect(sent).toBe(burst);
      else expect(sent).toBeGreaterThanOrEqual(burst);
      expect(sent).toBeLessThan(2 * burst);
      const limitedRest = restReplies.filter((r) => r.status === 429);
      const limitedSocket = socketAcks.filter((x) => !x.ok);
      expect(limitedRest.length + limitedSocket.length).toBe(2 * burst - sent);
      for (const r of limitedRest) {
        expect(r.body.error.code).toBe('rate_limited');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      for (const x of limitedSocket) expect(x.error.code).toBe('rate_limited');
      const stored = await a.deps.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('conversation_id', '=', dm.body.id)
        .executeTakeFirstOrThrow();
      expect(Number(stored.n)).toBe(sent);
    } finally {
      sa.close();
    }
  });
});
