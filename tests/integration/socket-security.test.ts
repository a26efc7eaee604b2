import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/api.js';
import { Chat, expectAckError, expectMessage, sleep } from '../helpers/chat.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, disconnected, type TestSocket } from '../helpers/socket.js';

const PUBLIC_URL = 'https://chat.example.com';
const MAX_SOCKETS = 4;

let t: TestServer;
let chat: Chat;
let admin: TestUser;
const open: Array<{ close(): void }> = [];

beforeAll(async () => {
  t = await startTestServer({
    PUBLIC_URL,
    SESSION_CHECK_SECONDS: '1',
    MAX_SOCKETS_PER_USER: String(MAX_SOCKETS),
  });
  chat = new Chat(t.api);
  admin = await registerUser(t.api); // the first account is the server admin
});
afterAll(async () => {
  for (const s of open) s.close();
  await t?.close();
});

const users = async (n: number) =>
  (await Promise.all(Array.from({ length: n }, () => registerUser(t.api)))).sort(
    (p, q) => p.id - q.id,
  );

async function connect(token: string, opts?: Parameters<typeof connectSocket>[2]) {
  const s = await connectSocket(t.url, token, opts);
  open.push(s);
  return s;
}

async function rawOpen(token?: string | null, headers?: Record<string, string>) {
  const r = await RawSocket.open(t.url, token, headers);
  open.push(r);
  return r;
}

/** The connect_error message a handshake gets (throws if it connects). */
async function refusal(token: unknown, path = ''): Promise<{ message: string; data: any }> {
  const socket = io(t.url + path, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  try {
    return await new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected')));
      socket.once('connect_error', (err: Error & { data?: unknown }) =>
        resolve({ message: err.message, data: err.data }),
      );
    });
  } finally {
    socket.close();
  }
}

async function login(u: TestUser): Promise<string> {
  const r = await t.api.post('/api/auth/login', { login: u.username, password: u.password });
  expect(r.status).toBe(200);
  return r.body.accessToken;
}

/** Resolves once the socket got `session:expired` and was disconnected; returns how long it took. */
async function expiredWithin(s: TestSocket, since: number, ms = 2000): Promise<number> {
  await s.waitFor('session:expired', () => true, ms + 500);
  await disconnected(s, ms + 500);
  expect(s.eventsOf('session:expired')).toEqual([{}]);
  const took = Date.now() - since;
  expect(took).toBeLessThan(ms);
  return took;
}

/** Proves the server is alive and still serves other clients. */
async function serverStillWorks(): Promise<void> {
  expect((await t.api.get('/healthz')).status).toBe(200);
  const [a, b] = await users(2);
  const dm = await chat.direct(a!, b!);
  const [sa, sb] = await Promise.all([connect(a!.token), connect(b!.token)]);
  const ack = await sa.request('message:send', {
    conversationId: dm.id,
    clientId: 'alive',
    body: 'still here',
  });
  expect(ack.ok).toBe(true);
  await sb.waitFor('message:new', (m) => m.id === ack.data.id);
  sa.close();
  sb.close();
}

const cid = () => randomBytes(8).toString('hex');

describe('sockets end with their session (S5)', () => {
  it('logout disconnects the sockets of that session within 2 s', async () => {
    const [u] = await users(1);
    const other = await login(u!);
    const [s1, s2, keep] = await Promise.all([
      connect(u!.token),
      connect(u!.token),
      connect(other),
    ]);
    const at = Date.now();
    const r = await t.api.post('/api/auth/logout', undefined, { token: u!.token });
    expect(r.status).toBe(204);
    await Promise.all([expiredWithin(s1, at), expiredWithin(s2, at)]);
    expect(keep.socket.connected).toBe(true);
    expect(keep.eventsOf('session:expired')).toEqual([]);
    const again = await refusal(u!.token);
    expect(['session_expired', 'unauthorized']).toContain(again.message);
  });

  it('a password change disconnects the other sessions only', async () => {
    const [u] = await users(1);
    const other = await login(u!);
    const [mine, theirs] = await Promise.all([connect(u!.token), connect(other)]);
    const at = Date.now();
    const r = await t.api.post(
      '/api/users/me/password',
      { currentPassword: u!.password, newPassword: 'a brand new passphrase 42' },
      { token: u!.token },
    );
    expect(r.status).toBe(204);
    await expiredWithin(theirs, at);
    await sleep(1500); // longer than the session sweep
    expect(mine.socket.connected).toBe(true);
    expect(await mine.request('typing', { conversationId: 987654321, typing: true })).toMatchObject(
      { ok: false, error: { code: 'not_found' } },
    );
  });

  it('an admin deactivating the account disconnects every socket', async () => {
    const [u] = await users(1);
    const other = await login(u!);
    const sockets = await Promise.all([connect(u!.token), connect(u!.token), connect(other)]);
    const at = Date.now();
    const r = await t.api.patch(
      `/api/admin/users/${u!.id}`,
      { isActive: false },
      { token: admin.token },
    );
    expect(r.status).toBe(200);
    await Promise.all(sockets.map((s) => expiredWithin(s, at)));
    const again = await refusal(other);
    expect(['session_expired', 'unauthorized']).toContain(again.message);
  });

  it('deleting a session from the sessions list disconnects its sockets', async () => {
    const [u] = await users(1);
    const other = await login(u!);
    const [mine, theirs] = await Promise.all([connect(u!.token), connect(other)]);
    const list = await t.api.get('/api/auth/sessions', { token: u!.token });
    const target = list.body.find((s: any) => !s.current);
    const at = Date.now();
    const r = await t.api.delete(`/api/auth/sessions/${target.id}`, { token: u!.token });
    expect(r.status).toBe(204);
    await expiredWithin(theirs, at);
    await sleep(300);
    expect(mine.socket.connected).toBe(true);
  });

  it('an idle session expires its sockets; socket events keep a session alive', async () => {
    const s2 = await startTestServer({ SESSION_IDLE_MINUTES: '0.05', SESSION_CHECK_SECONDS: '1' });
    try {
      const [u, v] = (await Promise.all([registerUser(s2.api), registerUser(s2.api)])).sort(
        (p, q) => p.id - q.id,
      );
      const dm = await new Chat(s2.api).direct(u, v);
      const idle = await connectSocket(s2.url, u.token);
      const busy = await connectSocket(s2.url, v.token);
      const start = Date.now();
      const timer = setInterval(() => {
        void busy.request('typing', { conversationId: dm.id, typing: false }).catch(() => {});
      }, 300);
      try {
        await idle.waitFor('session:expired', () => true, 6000);
        await disconnected(idle);
        // Idle for 3 s, found by a sweep every second.
        expect(Date.now() - start).toBeGreaterThan(2500);
        expect(Date.now() - start).toBeLessThan(5500);
        await sleep(1500);
        expect(busy.socket.connected).toBe(true);
      } finally {
        clearInterval(timer);
        idle.close();
        busy.close();
      }
    } finally {
      await s2.close();
    }
  }, 20_000);
});

describe('session renewal by socket activity', () => {
  it('an event finds a session ended behind the server’s back (no event, no sweep yet)', async () => {
    // Renewal every 600 ms (idle / 20); the sweep is an hour away, so only the events can tell.
    const s2 = await startTestServer({
      SESSION_IDLE_MINUTES: '0.2',
      SESSION_CHECK_SECONDS: '3600',
    });
    try {
      const [u, v, w] = (
        await Promise.all([registerUser(s2.api), registerUser(s2.api), registerUser(s2.api)])
      ).sort((p, q) => p.id - q.id);
      const dm = await new Chat(s2.api).direct(u, v);
      const dm2 = await new Chat(s2.api).direct(w, v);
      const [revoked, disabled, alive] = (await Promise.all(
        [u, w, v].map((x) => connectSocket(s2.url, x.token)),
      )) as [TestSocket, TestSocket, TestSocket];
      try {
        await s2.deps.db
          .updateTable('sessions')
          .set({ revoked_at: Date.now() })
          .where('user_id', '=', u.id)
          .execute();
        await s2.deps.db
          .updateTable('users')
          .set({ is_active: 0 })
          .where('id', '=', w.id)
          .execute();
        await sleep(700);
        // After the renewal interval, the next event renews, finds the session over and ends the socket.
        void revoked.request('typing', { conversationId: dm.id, typing: false }).catch(() => {});
        void disabled.request('typing', { conversationId: dm2.id, typing: false }).catch(() => {});
        await Promise.all(
          [revoked, disabled].map((x) => x.waitFor('session:expired', () => true, 3000)),
        );
        await Promise.all([disconnected(revoked), disconnected(disabled)]);
        // A live session is renewed: its last activity moves to now.
        const before = Date.now();
        const ack = await alive.request('typing', { conversationId: dm.id, typing: false });
        expect(ack.ok).toBe(true);
        const row = await s2.deps.db
          .selectFrom('sessions')
          .select('last_active_at')
          .where('user_id', '=', v.id)
          .executeTakeFirstOrThrow();
        expect(Number(row.last_active_at)).toBeGreaterThanOrEqual(before);
        expect(alive.socket.connected).toBe(true);
      } finally {
        for (const x of [revoked, disabled, alive]) x.close();
      }
    } finally {
      await s2.close();
    }
  }, 20_000);
});

/** The HTTP answer to a WebSocket upgrade that is refused before it becomes one. */
function upgradeRefusal(
  origin: string,
): Promise<{ status: number; nosniff: string | undefined; body: string }> {
  const ws = new WebSocket(t.url.replace(/^http/, 'ws') + '/socket.io/?EIO=4&transport=websocket', {
    headers: { origin },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      reject(new Error('upgraded'));
    });
    ws.once('error', () => {});
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          nosniff: res.headers['x-content-type-options'] as string | undefined,
          body,
        }),
      );
      res.on('error', reject);
    });
  });
}

describe('unknown events', () => {
  it('answers an unknown event sent with an ack not_found, and drops one without', async () => {
    const [u] = await users(1);
    const s = await connect(u!.token);
    for (const event of ['message:teleport', 'conversation:delete', '__proto__', 'x'.repeat(300)]) {
      const ack = await s.request(event, { conversationId: 1 });
      expectAckError(ack, 'not_found');
    }
    s.socket.emit('no:such:event', { a: 1 });
    // Still connected and served.
    expect((await s.request('typing', { conversationId: 999_999, typing: true })).ok).toBe(false);
    expect(s.socket.connected).toBe(true);
  });
});

describe('Engine.IO refusals', () => {
  it('answer polling requests in the error shape, with nosniff', async () => {
    for (const query of ['sid=no-such-session', 'transport=carrier-pigeon']) {
      const res = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling&${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await res.json();
      expect(body, query).toEqual({
        error: { code: 'validation_failed', message: expect.any(String) },
      });
    }
  });
});

describe('cross-site websocket hijacking (S10)', () => {
  const evil = [
    'https://evil.example',
    'null',
    'https://localhost.evil.com',
    'https://chat.example.com.evil.com',
    'https://evilchat.example.com',
    'http://chat.example.com',
    'https://chat.example.com:8443',
    'file://',
    'not a url',
  ];

  it('refuses a foreign Origin over websocket and over polling', async () => {
    const [u] = await users(1);
    const host = new URL(t.url).host;
    for (const origin of [...evil, `http://${host}.evil.com`]) {
      await expect(rawOpen(u!.token, { origin }), origin).rejects.toThrow(/handshake refused/);
      const poll = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin },
      });
      expect(poll.status, origin).toBe(403);
      expect(poll.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await poll.json()).toEqual({
        error: { code: 'forbidden', message: expect.any(String) },
      });
      const upgrade = await upgradeRefusal(origin);
      expect(upgrade.status, origin).toBe(403);
      expect(upgrade.nosniff).toBe('nosniff');
      expect(JSON.parse(upgrade.body)).toEqual({
        error: { code: 'forbidden', message: expect.any(String) },
      });
      await expect(
        connectSocket(t.url, u!.token, { extraHeaders: { origin }, transports: ['polling'] }),
        origin,
      ).rejects.toThrow();
    }
  });

  it('accepts its own origin, and clients that send no Origin', async () => {
    const [u] = await users(1);
    const host = new URL(t.url).host;
    for (const origin of [PUBLIC_URL, `http://${host}`]) {
      const poll = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin },
      });
      expect(poll.status, origin).toBe(200);
      const raw = await rawOpen(u!.token, { origin });
      expect(raw.open).toBe(true);
      raw.close();
    }
    const s = await connect(u!.token);
    expect(s.socket.connected).toBe(true);
    const p = await connect(u!.token, { transports: ['polling'] });
    expect(p.socket.connected).toBe(true);
    s.close();
    p.close();
  });
});

describe('handshake authentication (S11)', () => {
  const sign = (claims: Record<string, unknown>, exp: number, secret = t.deps.config.jwtSecret) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('parley')
      .setAudience('parley')
      .setIssuedAt(exp - 900)
      .setExpirationTime(exp)
      .sign(secret);

  it('refuses missing, malformed, forged, expired and revoked tokens', async () => {
    const [u] = await users(1);
    const sid = JSON.parse(Buffer.from(u!.token.split('.')[1]!, 'base64url').toString()).sid;
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign({ sub: String(u!.id), sid }, now - 60);
    const forged = await sign(
      { sub: String(u!.id), sid },
      now + 600,
      new TextEncoder().encode('x'.repeat(48)),
    );
    const unsigned =
      Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url') +
      '.' +
      Buffer.from(JSON.stringify({ sub: String(u!.id), sid, exp: now + 600 })).toString(
        'base64url',
      ) +
      '.';
    for (const token of [undefined, '', 'garbage', 42, { a: 1 }, expired, forged, unsigned]) {
      const r = await refusal(token);
      expect(r.message, JSON.stringify(token)).toBe('unauthorized');
      expect(r.data).toMatchObject({ code: 'unauthorized' });
    }
    // A valid signature for a session that does not exist.
    const ghost = await sign({ sub: String(u!.id), sid: 987654321 }, now + 600);
    expect(['session_expired', 'unauthorized']).toContain((await refusal(ghost)).message);

    await t.api.post('/api/auth/logout', undefined, { token: u!.token });
    const revoked = await refusal(u!.token);
    expect(['session_expired', 'unauthorized']).toContain(revoked.message);
    expect(revoked.data.code).toBe(revoked.message);
  });

  it('refuses unknown namespaces and a CONNECT without a token over a raw socket', async () => {
    const [u] = await users(1);
    expect((await refusal(u!.token, '/admin')).message).toMatch(/namespace/i);
    const raw = await rawOpen();
    raw.send('40');
    expect(await raw.waitFrame((f) => f.startsWith('44'))).toMatch(/unauthorized/);
    raw.send(`40{"token":${JSON.stringify(u!.token)}}`);
    expect(await raw.waitFrame((f) => f.startsWith('40{'))).toMatch(/"sid"/);
  });
});

describe('size and flood limits (S14)', () => {
  it('closes a socket that sends a packet over 64 KB; the server and others carry on', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    for (const transports of [['websocket'], ['polling']]) {
      const big = await connect(a!.token, { transports });
      const gone = disconnected(big, 5000);
      big.socket.emit('message:send', {
        conversationId: dm.id,
        clientId: cid(),
        body: 'x'.repeat(70 * 1024),
      });
      await gone;
    }
    expect(
      await t.deps.db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', dm.id)
        .execute(),
    ).toEqual([]);
    await serverStillWorks();
  });

  it('refuses a body over 8000 characters with validation_failed', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const s = await connect(a!.token);
    const ack = await s.request('message:send', {
      conversationId: dm.id,
      clientId: cid(),
      body: 'y'.repeat(8001),
    });
    expectAckError(ack, 'validation_failed');
    expect(ack.error.details.fields).toHaveProperty('body');
    const ok = await s.request('message:send', {
      conversationId: dm.id,
      clientId: cid(),
      body: 'y'.repeat(8000),
    });
    expect(ok.ok).toBe(true);
  });

  it('rate limits a flooding socket while other users still get through', async () => {
    const [a, b, c, d] = await users(4);
    const flooded = await chat.direct(a!, b!);
    const calm = await chat.direct(c!, d!);
    const [sa, sc, sd] = await Promise.all([
      connect(a!.token),
      connect(c!.token),
      connect(d!.token),
    ]);
    const flood = Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        sa.request('message:send', {
          conversationId: flooded.id,
          clientId: `f${i}`,
          body: `flood ${i}`,
        }),
      ),
    );
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const at = Date.now();
      const ack = await sc.request('message:send', {
        conversationId: calm.id,
        clientId: cid(),
        body: `calm ${i}`,
      });
      expect(ack.ok).toBe(true);
      await sd.waitFor('message:new', (m) => m.id === ack.data.id);
      latencies.push(Date.now() - at);
    }
    const acks = await flood;
    const ok = acks.filter((x) => x.ok);
    const limited = acks.filter((x) => !x.ok);
    expect(limited.length).toBeGreaterThan(50);
    for (const x of limited) {
      expectAckError(x, 'rate_limited');
      expect(x.error.details.retryAfterMs).toBeGreaterThan(0);
    }
    const stored = await t.deps.db
      .selectFrom('messages')
      .select('client_id')
      .where('conversation_id', '=', flooded.id)
      .execute();
    expect(stored.map((r) => r.client_id).sort()).toEqual(ok.map((x) => x.data.clientId).sort());
    // The first calm send may wait behind the flood's accepted burst (one writer on SQLite),
    // never behind the refused part of it.
    expect(Math.max(...latencies)).toBeLessThan(3000);
  });

  it(`caps the connections per user at ${MAX_SOCKETS}, also when they arrive together`, async () => {
    const [u] = await users(1);
    const tries = await Promise.allSettled(
      Array.from({ length: MAX_SOCKETS + 4 }, () => connect(u!.token)),
    );
    const ok = tries.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(MAX_SOCKETS);
    for (const r of tries.filter((x) => x.status === 'rejected'))
      expect(r.reason.message).toBe('rate_limited');
    await expect(connect(u!.token)).rejects.toThrow('rate_limited');
    const first = (ok[0] as PromiseFulfilledResult<TestSocket>).value;
    const gone = disconnected(first);
    first.close();
    await gone;
    await sleep(100);
    const next = await connect(u!.token);
    expect(next.socket.connected).toBe(true);
    for (const r of ok) r.value.close();
  });
});

describe('malformed packets (S15, S16)', () => {
  let u: TestUser;
  let v: TestUser;
  let dm: any;
  const valid = () => ({ conversationId: dm.id, clientId: cid(), body: 'fine' });

  beforeAll(async () => {
    [u, v] = (await users(2)) as [TestUser, TestUser];
    dm = await chat.direct(u, v);
  });

  it('closes the connection on packets the parser refuses, and nothing else', async () => {
    const frames = [
      '451-["message:send",{"_placeholder":true,"num":"splice"}]',
      '451-["message:send",{"_placeholder":true,"num":5}]',
      '451-["message:send",{"_placeholder":true,"num":-1}]',
      '4599999999-["message:send",{}]',
      '451a-["message:send",{}]',
      '42["message:send",{oops',
      '42{"not":"an array"}',
      '42["disconnect"]',
      '42[]',
      '49["x"]',
      '4',
    ];
    for (const frame of frames) {
      const raw = await rawOpen(u.token);
      raw.send(frame);
      if (frame.startsWith('45')) raw.send(Buffer.from('attachment'));
      const code = await Promise.race([raw.closed, sleep(2000).then(() => 'open')]);
      expect(code, frame).not.toBe('open');
    }
    await serverStillWorks();
  });

  it('answers every odd payload with an error ack and keeps the socket usable', async () => {
    const raw = await rawOpen(u.token);
    const payloads = [
      'null',
      '5',
      '"text"',
      'true',
      '[]',
      '[1,2]',
      '{}',
      `{"conversationId":${dm.id},"clientId":"a","body":"b","__proto__":{"isAdmin":true}}`,
      `{"conversationId":${dm.id},"clientId":"a","body":"b","constructor":{"prototype":{"isAdmin":true}}}`,
      `{"conversationId":${dm.id},"clientId":"a","body":"b","toString":"boom"}`,
      `{"conversationId":${dm.id},"clientId":"a","body":{"toString":"boom"}}`,
      `{"conversationId":{"valueOf":1},"clientId":"a","body":"b"}`,
      `{"conversationId":${dm.id},"clientId":["a"],"body":"b"}`,
      `{"conversationId":${'['.repeat(3000)}${']'.repeat(3000)},"clientId":"a","body":"b"}`,
    ];
    for (const p of payloads) {
      const [ack] = await raw.emitRaw(`["message:send",${p}]`);
      expectAckError(ack, 'validation_failed');
    }
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('isAdmin');

    // A binary attachment where JSON is expected.
    const id = raw.ackId();
    raw.send(`451-${id}["message:send",{"_placeholder":true,"num":0}]`);
    raw.send(Buffer.from('binary'));
    expectAckError((await raw.ackOf(id))[0], 'validation_failed');

    // An ack but no payload, and extra arguments: still answered.
    expectAckError((await raw.emitRaw('["message:send"]'))[0], 'validation_failed');
    const extra = valid();
    expectAckError(
      (await raw.emitRaw(`["message:send",${JSON.stringify(extra)},"extra"]`))[0],
      'validation_failed',
    );
    const sneaked = await t.deps.db
      .selectFrom('messages')
      .select('id')
      .where('client_id', '=', extra.clientId)
      .execute();
    expect(sneaked).toEqual([]);

    // Events without an ack and events nobody handles do not break the socket.
    raw.send(`42${JSON.stringify(['message:send', valid()])}`);
    raw.send('42["no such event",{"x":1}]');
    raw.send('4277["no such event"]');
    raw.send('42[7,{"x":1}]');
    raw.send('431[{"ok":true}]');
    const ok = await raw.emit('message:send', { ...valid(), body: 'after the noise' });
    expect(ok.ok).toBe(true);
    expectMessage(ok.data, { body: 'after the noise', senderId: u.id });
    expect(raw.open).toBe(true);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('sweeps every client event with wrong types, missing and extra fields, bad numbers', async () => {
    const s = await connect(u.token);
    const id = dm.id;
    const bigs = [-1, 0, 1.5, 2 ** 53, 1e308, -0.5, '1', null, true, [], {}];
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['message:send', { conversationId: id, clientId: 'k', body: 'b' }, ['conversationId']],
      ['message:delivered', { conversationId: id, seq: 1 }, ['conversationId', 'seq']],
      ['conversation:read', { conversationId: id, seq: 1 }, ['conversationId', 'seq']],
      ['typing', { conversationId: id, typing: true }, ['conversationId']],
    ];
    const sent: Array<[string, unknown]> = [];
    for (const [event, base, numeric] of cases) {
      for (const field of Object.keys(base)) {
        const missing = { ...base };
        delete missing[field];
        sent.push([event, missing]);
        for (const wrong of ['x', 5, null, false, [], {}, { $ne: null }])
          if (typeof wrong !== typeof base[field] || wrong === null || Array.isArray(wrong))
            sent.push([event, { ...base, [field]: wrong }]);
      }
      for (const field of numeric) {
        for (const n of bigs) {
          if (field === 'seq' && n === 0) continue; // seq 0 is a valid no-op
          sent.push([event, { ...base, [field]: n }]);
        }
      }
      sent.push([event, { ...base, extra: 1 }]);
      sent.push([event, [base]]);
      sent.push([event, JSON.stringify(base)]);
    }
    sent.push(['message:send', { conversationId: id, clientId: '', body: 'b' }]);
    sent.push(['message:send', { conversationId: id, clientId: 'k'.repeat(65), body: 'b' }]);
    sent.push(['message:send', { conversationId: id, clientId: 'k', body: '   ' }]);
    sent.push(['message:send', { conversationId: id, clientId: 'k', body: 'b'.repeat(8001) }]);
    sent.push(['typing', { conversationId: id, typing: 'true' }]);
    sent.push(['typing', { conversationId: id, typing: 1 }]);

    for (const [event, payload] of sent) {
      let ack = await s.request(event, payload);
      while (!ack.ok && ack.error.code === 'rate_limited') {
        await sleep(ack.error.details.retryAfterMs + 10);
        ack = await s.request(event, payload);
      }
      expectAckError(ack, 'validation_failed');
      expect(typeof ack.error.details.fields, `${event} ${JSON.stringify(payload)}`).toBe('object');
    }
    expect(s.socket.connected).toBe(true);
    const good = await s.request('message:send', valid());
    expect(good.ok).toBe(true);
    const stored = await t.deps.db
      .selectFrom('messages')
      .select('body')
      .where('conversation_id', '=', dm.id)
      .where('client_id', '=', 'k')
      .execute();
    expect(stored).toEqual([]);
  });
});

describe('parser denial of service (S19)', () => {
  it('rejects huge bodies by length and stores pathological text verbatim, quickly', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const s = await connect(a!.token);
    const post = (body: string) =>
      t.api.post(`/api/conversations/${dm.id}/messages`, { body }, { token: a!.token });

    let at = Date.now();
    const lines = await post(`a${'\n'.repeat(1024 * 1024)}b`);
    expect([400, 413]).toContain(lines.status);
    expect(Date.now() - at).toBeLessThan(2000);
    for (const ch of ['[', '*', '_', '\n']) {
      at = Date.now();
      const r = await post(`x${ch.repeat(50_000)}x`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(Date.now() - at).toBeLessThan(1000);
    }
    for (const body of [
      '['.repeat(7999),
      '*'.repeat(7999),
      '_'.repeat(7999),
      `a${'\n'.repeat(7998)}b`,
      '@someone '.repeat(888),
      '<script>'.repeat(999),
    ]) {
      at = Date.now();
      const ack = await s.request('message:send', { conversationId: dm.id, clientId: cid(), body });
      expect(ack.ok).toBe(true);
      expect(ack.data.body).toBe(body.trim());
      expect(Date.now() - at).toBeLessThan(500);
    }
    const hist = await chat.history(b!, dm.id, '?limit=200');
    expect(hist.messages.map((m: any) => m.body.length)).toEqual([
      7999, 7999, 7999, 8000, 7991, 7992,
    ]);
  });
});
