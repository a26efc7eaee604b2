import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { registerUser, type TestUser } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket } from '../helpers/socket.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let db: TestDatabase;
let a: TestServer;
let b: TestServer;
let prefix: string;
const secret = randomBytes(32).toString('hex');

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = `parley-test-${randomBytes(4).toString('hex')}`;
  const env = { REDIS_URL, REDIS_PREFIX: prefix, JWT_SECRET: secret };
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
    // Failed logins on both nodes count toward one limit (default 10 per account).
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
});
