import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/api.js';
import {
  Chat,
  expectAckError,
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
  // History tests send hundreds of messages at once; the send limit has its own test below.
  t = await startTestServer({ MESSAGES_PER_SECOND: '100000' });
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

const cid = () => randomBytes(8).toString('hex');

/** Sends over a socket and returns the stored message (the ack must be ok). */
async function sendOn(s: TestSocket, conversationId: number, body: string, clientId = cid()) {
  const ack = await s.request('message:send', { conversationId, clientId, body });
  if (!ack.ok) throw new Error(`send failed: ${JSON.stringify(ack)}`);
  return ack.data;
}

/** Stored seqs of a conversation, read from the database. */
async function storedSeqs(conversationId: number): Promise<number[]> {
  const rows = await t.deps.db
    .selectFrom('messages')
    .select('seq')
    .where('conversation_id', '=', conversationId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => Number(r.seq));
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('history', () => {
  let a: TestUser;
  let b: TestUser;
  let outsider: TestUser;
  let dm: any;
  const N = 205;

  beforeAll(async () => {
    [a, b, outsider] = (await users(3)) as [TestUser, TestUser, TestUser];
    dm = await chat.direct(a, b);
    for (let i = 1; i <= N; i++) await chat.send(i % 3 ? a : b, dm.id, `m${i}`);
  });

  const page = async (q: string) => {
    const r = await chat.history(a, dm.id, q);
    expect(Object.keys(r).sort()).toEqual(['hasMore', 'lastVersion', 'messages']);
    expect(r.lastVersion).toBe((await chat.view(a, dm.id)).lastVersion);
    for (const m of r.messages) expectMessage(m, { conversationId: dm.id, kind: 'text' });
    for (const m of r.messages) expect(m.body).toBe(`m${m.seq}`);
    return { seqs: r.messages.map((m: any) => m.seq) as number[], hasMore: r.hasMore as boolean };
  };

  it('returns the newest 50 by default, ascending', async () => {
    expect(await page('')).toEqual({ seqs: range(N - 49, N), hasMore: true });
  });

  it('pages backwards with before, hasMore exact at the boundaries', async () => {
    expect(await page('?before=51')).toEqual({ seqs: range(1, 50), hasMore: false });
    expect(await page('?before=52')).toEqual({ seqs: range(2, 51), hasMore: true });
    expect(await page('?before=11&limit=10')).toEqual({ seqs: range(1, 10), hasMore: false });
    expect(await page('?before=12&limit=10')).toEqual({ seqs: range(2, 11), hasMore: true });
    expect(await page('?before=2&limit=10')).toEqual({ seqs: [1], hasMore: false });
    expect(await page('?before=1')).toEqual({ seqs: [], hasMore: false });
    expect(await page(`?before=${N + 100}&limit=3`)).toEqual({
      seqs: range(N - 2, N),
      hasMore: true,
    });
  });

  it('pages forwards with after, hasMore exact at the boundaries', async () => {
    expect(await page(`?after=${N - 50}`)).toEqual({ seqs: range(N - 49, N), hasMore: false });
    expect(await page(`?after=${N - 51}`)).toEqual({ seqs: range(N - 50, N - 1), hasMore: true });
    expect(await page(`?after=${N - 1}`)).toEqual({ seqs: [N], hasMore: false });
    expect(await page(`?after=${N}`)).toEqual({ seqs: [], hasMore: false });
    expect(await page('?after=0&limit=1')).toEqual({ seqs: [1], hasMore: true });
  });

  it('returns at most 200 and refuses a larger limit', async () => {
    expect(await page('?limit=200')).toEqual({ seqs: range(N - 199, N), hasMore: true });
    expect(await page('?after=0&limit=200')).toEqual({ seqs: range(1, 200), hasMore: true });
    expect(await page(`?after=${N - 200}&limit=200`)).toEqual({
      seqs: range(N - 199, N),
      hasMore: false,
    });
    for (const q of [
      '?limit=201',
      '?limit=0',
      '?limit=1.5',
      '?limit=-1',
      '?after=-1',
      '?before=abc',
      '?after=1&before=5',
      `?after=${'9'.repeat(30)}`,
    ]) {
      expectError(
        await t.api.get(`/api/conversations/${dm.id}/messages${q}`, { token: a.token }),
        400,
        'validation_failed',
      );
    }
  });

  it('is not readable by outsiders of a direct conversation', async () => {
    const r = await t.api.get(`/api/conversations/${dm.id}/messages`, { token: outsider.token });
    expectError(r, 404, 'not_found');
  });
});

describe('sending over REST', () => {
  it('stores a trimmed text message and answers 201 with it', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const res = await t.api.post(
      `/api/conversations/${dm.id}/messages`,
      { body: '  hello 👋 wörld\n', clientId: 'c-1' },
      { token: a!.token },
    );
    expect(res.status).toBe(201);
    expectMessage(res.body, {
      conversationId: dm.id,
      seq: 1,
      senderId: a!.id,
      clientId: 'c-1',
      kind: 'text',
      body: 'hello 👋 wörld',
      meta: null,
      editedAt: null,
      status: 'sent',
    });
    const noClient = await chat.send(a!, dm.id, 'no client id');
    expectMessage(noClient, { seq: 2, clientId: null });
    const again = await chat.send(a!, dm.id, 'no client id');
    expect(again.id).not.toBe(noClient.id);
  });

  it('validates the body and the clientId', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const post = (body: unknown) =>
      t.api.post(`/api/conversations/${dm.id}/messages`, body, { token: a!.token });
    expect((await post({ body: 'x'.repeat(8000) })).status).toBe(201);
    expect((await post({ body: `  ${'y'.repeat(8000)}  ` })).status).toBe(201);
    expect((await post({ body: 'ok', clientId: 'k'.repeat(64) })).status).toBe(201);
    const long = await post({ body: 'x'.repeat(8001) });
    expectError(long, 400, 'validation_failed');
    expect(long.body.error.details.fields).toHaveProperty('body');
    for (const bad of [
      { body: '' },
      { body: ' \n\t ' },
      {},
      { body: 5 },
      { body: null },
      { body: ['x'] },
      { body: 'x', clientId: '' },
      { body: 'x', clientId: 'k'.repeat(65) },
      { body: 'x', clientId: 7 },
      { body: 'x', kind: 'system' },
      { body: 'x', seq: 1 },
    ]) {
      expectError(await post(bad), 400, 'validation_failed');
    }
    expect(await storedSeqs(dm.id)).toEqual([1, 2, 3]);
  });
});

describe('idempotent retries', () => {
  it('returns the stored message for a repeated clientId and stores it once', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const other = await chat.direct(a!, (await users(1))[0]!);
    const [sa, sb] = await Promise.all([connect(a!), connect(b!)]);
    const key = 'retry-key-1';

    const first = await sendOn(sa, dm.id, 'original', key);
    const again = await sendOn(sa, dm.id, 'original', key);
    expect([again.id, again.seq, again.body]).toEqual([first.id, first.seq, 'original']);
    const rest = await t.api.post(
      `/api/conversations/${dm.id}/messages`,
      { body: 'original', clientId: key },
      { token: a!.token },
    );
    expect([rest.body.id, rest.body.seq]).toEqual([first.id, first.seq]);
    expectMessage(rest.body, { clientId: key });

    // Chosen R3 semantics: a repeated clientId with different content returns the original
    // message unchanged (as Matrix does); nothing new is stored and nothing is broadcast.
    const changed = await sendOn(sa, dm.id, 'different text', key);
    expect([changed.id, changed.seq, changed.body]).toEqual([first.id, first.seq, 'original']);

    // The key is scoped to sender and conversation.
    const elsewhere = await sendOn(sa, other.id, 'original', key);
    expect(elsewhere.id).not.toBe(first.id);
    expect(elsewhere.conversationId).toBe(other.id);
    const fromB = await sendOn(sb, dm.id, 'original', key);
    expect(fromB.id).not.toBe(first.id);
    expect(fromB.senderId).toBe(b!.id);
    expect(fromB.seq).toBe(first.seq + 1);

    const rows = await t.deps.db
      .selectFrom('messages')
      .select(['conversation_id', 'sender_id', 'body'])
      .where('client_id', '=', key)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.conversation_id, r.sender_id, r.body])).toEqual([
      [dm.id, a!.id, 'original'],
      [other.id, a!.id, 'original'],
      [dm.id, b!.id, 'original'],
    ]);
    expect(await storedSeqs(dm.id)).toEqual([1, 2]);

    // The member saw the original once: retries are not new messages.
    await sb.waitFor('message:new', (m) => m.id === fromB.id);
    expect(sb.eventsOf('message:new').filter((m) => m.id === first.id)).toHaveLength(1);
  });

  it('stores one row when the same clientId races over two sockets and REST', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [s1, s2] = await Promise.all([connect(a!), connect(a!)]);
    const key = cid();
    const payload = { conversationId: dm.id, clientId: key, body: 'once' };
    const results = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => (i % 2 ? s1 : s2).request('message:send', payload)),
      ...Array.from({ length: 4 }, () =>
        t.api
          .post(
            `/api/conversations/${dm.id}/messages`,
            { body: 'once', clientId: key },
            {
              token: a!.token,
            },
          )
          .then((r) => ({ ok: r.status === 201, data: r.body })),
      ),
    ]);
    for (const r of results) expect(r.ok).toBe(true);
    expect(new Set(results.map((r) => r.data.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.data.seq))).toEqual(new Set([1]));
    expect(await storedSeqs(dm.id)).toEqual([1]);
  });
});

describe('concurrent senders', () => {
  it('gives 50 concurrent senders (REST and sockets) gap-free seqs 1..N', async () => {
    const crowd = await users(50);
    const [owner, ...rest] = crowd as [TestUser, ...TestUser[]];
    const g = await chat.group(owner, { name: 'Crowd', memberIds: rest.map((u) => u.id) });
    const observer = await connect(owner);
    const viaSocket = await Promise.all(crowd.slice(0, 25).map((u) => connect(u)));
    const sends: Array<Promise<any>> = [];
    for (let round = 0; round < 2; round++) {
      crowd.forEach((u, i) => {
        const body = `r${round} from ${u.id}`;
        sends.push(
          i < 25 ? sendOn(viaSocket[i]!, g.id, body) : chat.send(u, g.id, body, `${u.id}-${round}`),
        );
      });
    }
    const stored = await Promise.all(sends);
    const seqs = stored.map((m) => m.seq).sort((p, q) => p - q);
    expect(seqs).toEqual(range(2, 101));
    expect(await storedSeqs(g.id)).toEqual(range(1, 101));
    const conv = await t.deps.db
      .selectFrom('conversations')
      .select('last_seq')
      .where('id', '=', g.id)
      .executeTakeFirstOrThrow();
    expect(Number(conv.last_seq)).toBe(101);
    // A member sees every message once, and the history is that same order.
    for (let i = 0; i < 50; i++) {
      const seen = observer.eventsOf('message:new').filter((m) => m.conversationId === g.id);
      if (seen.length >= 100) break;
      await sleep(100);
    }
    const live = observer
      .eventsOf('message:new')
      .filter((m) => m.conversationId === g.id)
      .map((m) => m.seq)
      .sort((p, q) => p - q);
    expect(live).toEqual(range(2, 101));
    const hist = await chat.history(owner, g.id, '?after=1&limit=200');
    expect(hist.messages.map((m: any) => m.id)).toEqual(
      [...stored].sort((p, q) => p.seq - q.seq).map((m) => m.id),
    );
  });
});

describe('group commit (SQLite)', () => {
  it.runIf(process.env.PARLEY_TEST_DB === 'sqlite')(
    'commits concurrent sends together, acks each only once stored, and counts it in /metrics',
    async () => {
      const crowd = await users(20);
      const [owner, ...rest] = crowd as [TestUser, ...TestUser[]];
      const g = await chat.group(owner, { name: 'Batch', memberIds: rest.map((u) => u.id) });
      const sockets = await Promise.all(crowd.map((u) => connect(u)));
      const commits = t.deps.commits!;
      const before = { commits: commits.commits, units: commits.units };
      const acks = await Promise.all(
        sockets.flatMap((s, i) => [sendOn(s, g.id, `a${i}`), sendOn(s, g.id, `b${i}`)]),
      );
      // Every acked message is stored (read back through another statement path).
      expect(await storedSeqs(g.id)).toEqual(range(1, 41));
      expect(acks.map((m) => m.seq).sort((p, q) => p - q)).toEqual(range(2, 41));
      expect(commits.units - before.units).toBe(40);
      // 40 sends in flight at once share a handful of transactions, not one each.
      expect(commits.commits - before.commits).toBeLessThanOrEqual(10);
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const units = /^parley_sqlite_group_commit_units_total (\d+)/m.exec(text);
      expect(Number(units?.[1])).toBe(commits.units);
      expect(text).toMatch(/^parley_sqlite_group_commits_total \d+/m);
    },
  );
});

describe('receipts and unread counts', () => {
  it('moves cursors forward only, clamps them, and derives statuses (direct)', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const [sa, sb] = await Promise.all([connect(a!), connect(b!)]);
    const receiptsOfB = () =>
      sa.eventsOf('receipt').filter((r) => r.conversationId === dm.id && r.userId === b!.id);
    const statuses = async () =>
      (await chat.history(a!, dm.id)).messages.map((m: any) => [m.seq, m.status]);

    const m1 = await sendOn(sa, dm.id, 'one');
    const m2 = await sendOn(sa, dm.id, 'two');
    expect([m1.status, m2.status]).toEqual(['sent', 'sent']);
    expectConversation(await chat.view(b!, dm.id), { unreadCount: 2, myReadSeq: 0, lastSeq: 2 });
    // Sending moved the sender's own cursors.
    expectConversation(await chat.view(a!, dm.id), { unreadCount: 0, myReadSeq: 2 });
    const own = await sb.waitFor('receipt', (r) => r.userId === a!.id && r.readSeq === 2);
    expect(own).toEqual({ conversationId: dm.id, userId: a!.id, deliveredSeq: 2, readSeq: 2 });

    const ack = await sb.request('message:delivered', { conversationId: dm.id, seq: 2 });
    expect(ack).toEqual({ ok: true, data: {} });
    expect(await sa.waitFor('receipt', (r) => r.userId === b!.id)).toEqual({
      conversationId: dm.id,
      userId: b!.id,
      deliveredSeq: 2,
      readSeq: 0,
    });
    expect(await statuses()).toEqual([
      [1, 'delivered'],
      [2, 'delivered'],
    ]);
    expectConversation(await chat.view(b!, dm.id), { unreadCount: 2 });

    await sb.request('conversation:read', { conversationId: dm.id, seq: 1 });
    await sa.waitFor('receipt', (r) => r.userId === b!.id && r.readSeq === 1);
    expect(receiptsOfB().at(-1)).toEqual({
      conversationId: dm.id,
      userId: b!.id,
      deliveredSeq: 2,
      readSeq: 1,
    });
    expect(await statuses()).toEqual([
      [1, 'read'],
      [2, 'delivered'],
    ]);
    expectConversation(await chat.view(b!, dm.id), { unreadCount: 1, myReadSeq: 1 });
    const listA = await chat.view(a!, dm.id);
    expectMessage(listA.lastMessage, { seq: 2, status: 'delivered' });

    // Lower seqs are no-ops: acknowledged, nothing moves, no receipt goes out.
    const before = receiptsOfB().length;
    expect(await sb.request('conversation:read', { conversationId: dm.id, seq: 0 })).toEqual({
      ok: true,
      data: {},
    });
    expect(await sb.request('message:delivered', { conversationId: dm.id, seq: 1 })).toEqual({
      ok: true,
      data: {},
    });
    await chat.read(b!, dm.id, 1);
    // A seq past the end is clamped to lastSeq.
    await sb.request('conversation:read', { conversationId: dm.id, seq: 999 });
    await sa.waitFor('receipt', (r) => r.userId === b!.id && r.readSeq === 2);
    expect(receiptsOfB().slice(before)).toEqual([
      { conversationId: dm.id, userId: b!.id, deliveredSeq: 2, readSeq: 2 },
    ]);
    const members = (await chat.get(a!, dm.id)).members;
    expectMember(
      members.find((m: any) => m.user.id === b!.id),
      { deliveredSeq: 2, readSeq: 2 },
    );
    expectConversation(await chat.view(b!, dm.id), { unreadCount: 0, myReadSeq: 2 });
    expect(await statuses()).toEqual([
      [1, 'read'],
      [2, 'read'],
    ]);

    // Reading implies delivery.
    await sendOn(sa, dm.id, 'three');
    await chat.read(b!, dm.id, 3);
    expect(await sa.waitFor('receipt', (r) => r.userId === b!.id && r.readSeq === 3)).toEqual({
      conversationId: dm.id,
      userId: b!.id,
      deliveredSeq: 3,
      readSeq: 3,
    });

    // B sends: B's cursors follow, A has one unread, A's cursor is unchanged.
    const m4 = await sendOn(sb, dm.id, 'four');
    expect(m4.seq).toBe(4);
    expectConversation(await chat.view(b!, dm.id), { myReadSeq: 4, unreadCount: 0 });
    expectConversation(await chat.view(a!, dm.id), { myReadSeq: 3, unreadCount: 1 });
    expectError(
      await t.api.post(`/api/conversations/${dm.id}/read`, { seq: -1 }, { token: a!.token }),
      400,
      'validation_failed',
    );
    expectError(
      await t.api.post(`/api/conversations/${dm.id}/read`, { seq: 1.5 }, { token: a!.token }),
      400,
      'validation_failed',
    );
    expectError(
      await t.api.post(`/api/conversations/${dm.id}/read`, {}, { token: a!.token }),
      400,
      'validation_failed',
    );
  });

  it('counts only text from others and tracks statuses across joins and leaves (group)', async () => {
    const [a, b, c, d] = await users(4);
    const g = await chat.group(a!, { name: 'Counts', isPrivate: false, memberIds: [b!.id, c!.id] });
    const status = async (seq: number) =>
      (await chat.history(a!, g.id, `?after=${seq - 1}&limit=1`)).messages[0].status;

    const m = await chat.send(a!, g.id, 'hello all');
    expect(m.seq).toBe(2);
    expect(await status(2)).toBe('sent');
    await chat.read(b!, g.id, 0); // no-op
    const sb = await connect(b!);
    await sb.request('message:delivered', { conversationId: g.id, seq: 2 });
    expect(await status(2)).toBe('sent'); // c has not got it yet
    const sc = await connect(c!);
    await sc.request('message:delivered', { conversationId: g.id, seq: 2 });
    expect(await status(2)).toBe('delivered');
    await chat.read(b!, g.id, 2);
    expect(await status(2)).toBe('delivered');

    // System messages never count as unread.
    await chat.role(a!, g.id, b!.id, 'admin');
    await t.api.patch(`/api/conversations/${g.id}`, { name: 'Counts 2' }, { token: a!.token });
    expectConversation(await chat.view(c!, g.id), { unreadCount: 1, myReadSeq: 1, lastSeq: 4 });
    expectConversation(await chat.view(b!, g.id), { unreadCount: 0, myReadSeq: 2 });
    await chat.send(b!, g.id, 'from b');
    expectConversation(await chat.view(c!, g.id), { unreadCount: 2 });
    expectConversation(await chat.view(a!, g.id), { unreadCount: 1, myReadSeq: 2 });

    // A joiner starts with both cursors at lastSeq and nothing unread.
    const joined = await chat.join(d!, g.id);
    expectConversation(joined, { myReadSeq: 6, unreadCount: 0, lastSeq: 6 });
    expectMember(
      (await chat.get(a!, g.id)).members.find((x: any) => x.user.id === d!.id),
      { deliveredSeq: 6, readSeq: 6 },
    );
    expectConversation(await chat.view(c!, g.id), { unreadCount: 2 });
    const m7 = await chat.send(a!, g.id, 'welcome d');
    expectConversation(await chat.view(d!, g.id), { unreadCount: 1 });
    expectConversation(await chat.view(c!, g.id), { unreadCount: 3 });
    // The list as each member sees it arrives with their own count.
    const upd = await sc.waitFor('conversation:updated', (p) => p.id === g.id && p.lastSeq === 6);
    expect(upd.unreadCount).toBe(2);

    await chat.read(b!, g.id, 7);
    await chat.read(d!, g.id, 7);
    expect(await status(m7.seq)).toBe('sent');
    // c never read; once c leaves, everyone else has read it.
    await chat.leave(c!, g.id);
    expect(await status(m7.seq)).toBe('read');
    const after = await chat.view(a!, g.id);
    expectConversation(after, { memberCount: 3, lastSeq: 8, unreadCount: 0, myReadSeq: 7 });
    expectMessage(after.lastMessage, { kind: 'system', meta: { event: 'member_left' } });
    expectConversation(await chat.view(d!, g.id), { unreadCount: 0 });
    expectConversation(await chat.view(b!, g.id), { unreadCount: 0 });

    // Socket cursor moves refuse bad payloads with the error shape.
    expectAckError(
      await sb.request('conversation:read', { conversationId: g.id, seq: -1 }),
      'validation_failed',
    );
    expectAckError(
      await sb.request('message:delivered', { conversationId: g.id, seq: '3' }),
      'validation_failed',
    );
  });
});

describe('catching up', () => {
  it('finds exactly the missed messages after a reconnect', async () => {
    const [a, b, c] = await users(3);
    const dm = await chat.direct(a!, b!);
    const g = await chat.group(a!, { name: 'Catch', memberIds: [b!.id, c!.id] });
    await chat.send(a!, dm.id, 'seen 1');
    const sb = await connect(b!);
    const sa = await connect(a!);
    await sendOn(sa, g.id, 'seen 2');
    await sb.waitFor('message:new', (m) => m.conversationId === g.id && m.body === 'seen 2');
    const held = new Map<number, number>([
      [dm.id, 1],
      [g.id, 2],
    ]);
    sb.close();
    await sleep(50);

    const missed = new Map<number, number[]>([
      [dm.id, []],
      [g.id, []],
    ]);
    for (let i = 0; i < 3; i++) missed.get(dm.id)!.push((await sendOn(sa, dm.id, `dm ${i}`)).id);
    missed.get(g.id)!.push((await chat.send(c!, g.id, 'g 0')).id);
    missed.get(g.id)!.push((await sendOn(sa, g.id, 'g 1')).id);

    const back = await connect(b!);
    const list = await chat.list(b!);
    for (const [id, last] of held) {
      const conv = list.find((x) => x.id === id);
      expect(conv.lastSeq).toBe(last + missed.get(id)!.length);
      const page = await chat.history(b!, id, `?after=${last}`);
      expect(page.hasMore).toBe(false);
      expect(page.messages.map((m: any) => m.id)).toEqual(missed.get(id));
      expect(page.messages.map((m: any) => m.seq)).toEqual(
        range(last + 1, last + missed.get(id)!.length),
      );
    }
    // The new socket is live again.
    const next = await sendOn(sa, dm.id, 'live');
    await back.waitFor('message:new', (m) => m.id === next.id);
  });

  it('loses nothing across a server restart', async () => {
    const env = { JWT_SECRET: randomBytes(32).toString('hex') };
    const s1 = await startTestServer(env);
    const c1 = new Chat(s1.api);
    const [a, b] = (await Promise.all([registerUser(s1.api), registerUser(s1.api)])).sort(
      (p, q) => p.id - q.id,
    );
    const dm = await c1.direct(a, b);
    const sa = await connectSocket(s1.url, a.token);
    const acked = [];
    for (let i = 0; i < 5; i++) acked.push(await sendOn(sa, dm.id, `before ${i}`, `k${i}`));
    sa.close();
    await s1.stop();

    const s2 = await startTestServer(env, { db: s1.db });
    try {
      const c2 = new Chat(s2.api);
      const page = await c2.history(b, dm.id, '?after=0');
      expect(page.messages.map((m: any) => [m.id, m.seq, m.body])).toEqual(
        acked.map((m) => [m.id, m.seq, m.body]),
      );
      expectConversation(await c2.view(b, dm.id), { lastSeq: 5, unreadCount: 5 });
      const sa2 = await connectSocket(s2.url, a.token);
      try {
        // A retry of an acked send after the restart returns the stored message.
        const retry = await sendOn(sa2, dm.id, 'before 4', 'k4');
        expect([retry.id, retry.seq]).toEqual([acked[4].id, 5]);
        const next = await sendOn(sa2, dm.id, 'after');
        expect(next.seq).toBe(6);
      } finally {
        sa2.close();
      }
    } finally {
      await s2.close();
    }
  });
});

describe('send rate limit', () => {
  it('is one budget per user over the socket and REST, answered rate_limited with Retry-After', async () => {
    // 3 per second: bursts of 6 in a 2-second window.
    const s = await startTestServer({ MESSAGES_PER_SECOND: '3' });
    try {
      const c = new Chat(s.api);
      const [a, b] = (await Promise.all([registerUser(s.api), registerUser(s.api)])).sort(
        (p, q) => p.id - q.id,
      );
      const dm = await c.direct(a, b);
      const sa = await connectSocket(s.url, a.token);
      open.push(sa);
      const t0 = Date.now();
      const [acks, replies] = await Promise.all([
        Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            sa.request('message:send', { conversationId: dm.id, clientId: `s${i}`, body: 'x' }),
          ),
        ),
        Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            s.api.post(
              `/api/conversations/${dm.id}/messages`,
              { clientId: `r${i}`, body: 'y' },
              { token: a.token },
            ),
          ),
        ),
      ]);
      const took = Date.now() - t0;
      const sent = acks.filter((x) => x.ok).length + replies.filter((r) => r.status === 201).length;
      if (took < 2000) expect(sent).toBe(6);
      expect(sent).toBeLessThan(12);
      for (const r of replies.filter((x) => x.status !== 201)) {
        expectError(r, 429, 'rate_limited');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      for (const x of acks.filter((y) => !y.ok)) {
        expectAckError(x, 'rate_limited');
        expect(x.error.details.retryAfterMs).toBeGreaterThan(0);
      }
      // Nothing refused was stored; another user is not held back.
      const page = await c.history(b, dm.id, '?after=0');
      expect(page.messages).toHaveLength(sent);
      const other = await s.api.post(
        `/api/conversations/${dm.id}/messages`,
        { clientId: 'from-b', body: 'z' },
        { token: b.token },
      );
      expect(other.status).toBe(201);
    } finally {
      await s.close();
    }
  });
});
