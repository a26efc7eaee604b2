// The admin's figures count the sockets of every node (presence kept in Redis), not only the
// node that answers.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let db: TestDatabase;
let a: TestServer;
let b: TestServer;
let prefix: string;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = `parley-test-${randomBytes(4).toString('hex')}`;
  const env = { REDIS_URL, REDIS_PREFIX: prefix, JWT_SECRET: randomBytes(32).toString('hex') };
  a = await startTestServer(env, { db });
  b = await startTestServer(env, { db });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await a?.stop();
  await b?.stop();
  await db?.drop();
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

/** Polls node A's figures until the online counts are `want` (or gives the last ones). */
async function onlineOnA(token: string, want: { users: number; sockets: number }) {
  let online: unknown;
  for (let i = 0; i < 100; i++) {
    const res = await a.api.get('/api/admin/stats', { token });
    expect(res.status).toBe(200);
    online = res.body.online;
    if (JSON.stringify(online) === JSON.stringify(want)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return online;
}

describe('admin figures on two nodes', () => {
  it('count the users and sockets online on every node', async () => {
    const admin = await registerUser(a.api);
    const bob = await registerUser(b.api);
    sockets.push(await connectSocket(a.url, admin.token));
    sockets.push(await connectSocket(b.url, bob.token));
    sockets.push(await connectSocket(b.url, bob.token));
    expect(await onlineOnA(admin.token, { users: 2, sockets: 3 })).toEqual({
      users: 2,
      sockets: 3,
    });
    sockets.pop()!.close();
    sockets.pop()!.close();
    expect(await onlineOnA(admin.token, { users: 1, sockets: 1 })).toEqual({
      users: 1,
      sockets: 1,
    });
  });
});
