import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkOracle, uuidFrom } from '../helpers/oracle.js';
import { FaultProxy } from '../helpers/proxy.js';
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

// R8: partitions and half-open connections. (a) One client is blackholed (nothing passes in
// either direction, connections stay open) for 40 s, longer than a Socket.IO ping round, while
// the others send 500 messages; it queues 20 of its own meanwhile. After healing it has all 500,
// once and in order, and its 20 are stored once, in the order it wrote them. (b) Only
// server → client traffic is dropped for 10 s, so acks are lost: the retries store nothing twice.

const BLACKHOLE_MS = Number(process.env.PARLEY_R8_BLACKHOLE_MS ?? 40_000);

let w: World;
let proxy: FaultProxy;
let users: TestUser[];
let room: number;
let cut: ChatClient;
let others: ChatClient[];

beforeAll(async () => {
  w = await startWorld('R8');
  proxy = await FaultProxy.start(w.proc.port);
  users = await registerMany(w.proc.api, 3);
  room = await createRoom(w.proc.api, users[0]!, users, { name: 'partition' });
  // Everything the cut-off client does (socket and REST) goes through the proxy.
  cut = clientFor(w, users[0]!, 'cut', { socketUrl: proxy.url, apiUrl: proxy.url });
  others = [clientFor(w, users[1]!, 'b'), clientFor(w, users[2]!, 'c')];
  await Promise.all([cut.connect(), ...others.map((c) => c.connect())]);
});

afterAll(async () => {
  await proxy?.close();
  await stopWorld(w);
});

describe('R8 partition and half-open connections', () => {
  it(
    'a client blackholed for 40 s gets all 500 messages once and in order, and its 20 once',
    async () => {
      proxy.set({ blackhole: true });
      const mine = Array.from({ length: 20 }, (_, i) => ({
        body: `offline ${i}`,
        key: uuidFrom(w.rand),
      }));
      const myAcks = Promise.all(mine.map((m) => cut.send(room, m.body, m.key)));
      const theirs: Promise<unknown>[] = [];
      const started = Date.now();
      for (let i = 0; i < 500; i++) {
        theirs.push(others[i % 2]!.send(room, `while cut ${i}`));
        if (i % 25 === 24) await pause(Math.max(0, ((BLACKHOLE_MS - 5000) / 500) * 25));
      }
      await Promise.all(theirs);
      await pause(Math.max(0, BLACKHOLE_MS - (Date.now() - started)));
      proxy.heal();
      const acks = await myAcks;

      expect(await settleAll(w, [cut, ...others], 60_000)).toEqual([]);
      const timeline = cut.timeline(room);
      const texts = timeline.filter((m) => m.body.startsWith('while cut ')).map((m) => m.body);
      // Every one of the 500, exactly once (two senders interleave, so seq decides their order).
      expect([...texts].sort()).toEqual(
        Array.from({ length: 500 }, (_, i) => `while cut ${i}`).sort(),
      );
      expect(new Set(texts).size).toBe(500);
      expect(timeline.map((m) => m.seq)).toEqual(
        [...timeline.map((m) => m.seq)].sort((x, y) => x - y),
      );
      // The cut-off client's own 20: stored once each, in the order it queued them.
      const rows = await w.store.db
        .selectFrom('messages')
        .select(['client_id', 'seq'])
        .where('sender_id', '=', users[0]!.id)
        .where('kind', '=', 'text')
        .orderBy('seq')
        .execute();
      expect(rows.map((r) => r.client_id)).toEqual(mine.map((m) => m.key));
      expect(acks.map((a) => a.seq)).toEqual(rows.map((r) => r.seq));
    },
    BLACKHOLE_MS + 90_000,
  );

  it('drops only server → client traffic for 10 s: acks are lost, nothing is stored twice', async () => {
    proxy.set({ dropDown: true });
    const keys = Array.from({ length: 10 }, () => uuidFrom(w.rand));
    const acks = Promise.all(keys.map((k, i) => cut.send(room, `acks lost ${i}`, k)));
    await pause(10_000);
    proxy.heal();
    const got = await acks;
    const rows = await w.store.db
      .selectFrom('messages')
      .select(['client_id', 'id'])
      .where('sender_id', '=', users[0]!.id)
      .where('client_id', 'in', keys)
      .execute();
    expect(rows).toHaveLength(10);
    expect(new Set(got.map((m) => m.id))).toEqual(new Set(rows.map((r) => r.id)));
  }, 60_000);

  it('passes the oracle', async () => {
    expect(await settleAll(w, [cut, ...others], 30_000)).toEqual([]);
    for (const c of [cut, ...others]) await c.snapshotUnread();
    await checkOracle(w.store.db, w.log);
  }, 60_000);
});
