import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkOracle } from '../helpers/oracle.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';
import {
  clientFor,
  createRoom,
  pause,
  registerMany,
  settleAll,
  startWorld,
  stopWorld,
  type World,
} from './support.js';

// R11: catch-up paging at its boundaries. The client is offline while page size − 1, page
// size, page size + 1 and 5000 messages are posted; on reconnect it pages through
// GET …/messages?after=<last seq>&limit=200 until hasMore is false. It must get everything,
// in order, once, with hasMore right on every page (no extra empty page, none missing).

const PAGE = 200;

let w: World;
let alice: TestUser;
let bob: TestUser;
let room: number;
let b: ChatClient;
let aliceSocket: TestSocket;
const pages: Array<{ conversationId: number; after: number; count: number; hasMore: boolean }> = [];

beforeAll(async () => {
  w = await startWorld('R11');
  [alice, bob] = (await registerMany(w.proc.api, 2)) as [TestUser, TestUser];
  room = await createRoom(w.proc.api, alice, [alice, bob], { name: 'paging' });
  b = clientFor(w, bob, 'bob', { pageSize: PAGE, onPage: (p) => pages.push(p) });
  await b.connect();
  aliceSocket = await connectSocket(w.proc.url, alice.token);
});

afterAll(async () => {
  aliceSocket?.close();
  await stopWorld(w);
});

/** Posts `n` messages from Alice over her own socket, many in flight at once. */
async function post(n: number, tag: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < n) {
        const k = next++;
        const ack = await aliceSocket.request('message:send', {
          conversationId: room,
          clientId: `${tag}-${k}`,
          body: `${tag} #${k}`,
        });
        if (!ack.ok) throw new Error(`send: ${JSON.stringify(ack)}`);
      }
    }),
  );
}

async function history(after: number) {
  const res = await w.proc.api.get(
    `/api/conversations/${room}/messages?after=${after}&limit=${PAGE}`,
    { token: bob.token },
  );
  expect(res.status).toBe(200);
  return res.body as { messages: Array<{ seq: number }>; hasMore: boolean };
}

describe('R11 catch-up paging boundaries', () => {
  it.each([PAGE - 1, PAGE, PAGE + 1, 5000])(
    'catches up %i offline messages with hasMore right on every page',
    async (n) => {
      await post(3, `warm${n}`);
      expect(await settleAll(w, [b], 10_000)).toEqual([]);
      const held = b.highest(room);

      b.socket.disconnect();
      await post(n, `off${n}`);
      const last = held + n;
      // The server's answers at the boundary itself.
      const first = await history(held);
      expect(first.messages).toHaveLength(Math.min(n, PAGE));
      expect(first.hasMore).toBe(n > PAGE);
      const tail = await history(last - PAGE);
      expect(tail.messages).toHaveLength(PAGE);
      expect(tail.hasMore).toBe(false);
      const beforeTail = await history(last - PAGE - 1);
      expect(beforeTail.messages).toHaveLength(PAGE);
      expect(beforeTail.hasMore).toBe(true);
      const end = await history(last);
      // Pages carry the conversation's change counter (v1.1); every message raised it once.
      expect(end).toEqual({ messages: [], hasMore: false, lastVersion: expect.any(Number) });
      expect((end as { lastVersion?: number }).lastVersion).toBeGreaterThanOrEqual(last);

      const from = pages.length;
      b.socket.connect();
      expect(await settleAll(w, [b], 30_000)).toEqual([]);
      await pause(100);
      const mine = pages.slice(from).filter((p) => p.conversationId === room);

      const expected = Math.ceil(n / PAGE);
      expect(mine).toHaveLength(expected);
      let after = held;
      for (const [i, p] of mine.entries()) {
        const isLast = i === expected - 1;
        expect(p.after).toBe(after);
        expect(p.count).toBe(isLast ? n - PAGE * (expected - 1) : PAGE);
        expect(p.hasMore).toBe(!isLast);
        after += p.count;
      }
      expect(b.highest(room)).toBe(last);
      const seqs = b.timeline(room).map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    },
  );

  it('passes the oracle', async () => {
    await b.snapshotUnread();
    await checkOracle(w.store.db, w.log);
  });
});
