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

// R1: the same message is sent again and again with one clientId because its acks are lost
// on purpose (a TCP proxy drops the ack frames server → client). One row; every ack, the
// dropped ones included, names the same message id and seq; the other member is told once.

let w: World;
let proxy: FaultProxy;
let alice: TestUser;
let bob: TestUser;
let room: number;
let a: ChatClient;
let b: ChatClient;

/** The Message inside a Socket.IO ack frame (`43<id>[{"ok":true,"data":…}]`), if it is one. */
function ackedMessage(text: string): { id: number; seq: number; clientId: string } | null {
  const m = /^43\d+(\[.*\])$/s.exec(text);
  if (!m) return null;
  const [ack] = JSON.parse(m[1]!) as [{ ok: boolean; data?: any }];
  return ack?.ok && ack.data && typeof ack.data.seq === 'number' ? ack.data : null;
}

beforeAll(async () => {
  w = await startWorld('R1');
  proxy = await FaultProxy.start(w.proc.port);
  [alice, bob] = (await registerMany(w.proc.api, 2)) as [TestUser, TestUser];
  room = await createRoom(w.proc.api, alice, [alice, bob], { name: 'resend' });
  // Alice's socket goes through the proxy; her REST calls and Bob go straight to the server.
  a = clientFor(w, alice, 'alice', { socketUrl: proxy.url });
  b = clientFor(w, bob, 'bob');
  await Promise.all([a.connect(), b.connect()]);
});

afterAll(async () => {
  await proxy?.close();
  await stopWorld(w);
});

const rowsFor = (clientId: string) =>
  w.store.db
    .selectFrom('messages')
    .select(['id', 'seq'])
    .where('sender_id', '=', alice.id)
    .where('client_id', '=', clientId)
    .execute();

describe('R1 idempotent resend', () => {
  it('stores a message sent five times (four acks lost) once, and every ack agrees', async () => {
    const key = uuidFrom(w.rand);
    let toDrop = 4;
    proxy.set({
      dropDownFrame: (text) => {
        const m = ackedMessage(text);
        if (!m || m.clientId !== key || toDrop === 0) return false;
        toDrop--;
        return true;
      },
    });
    const dropsBefore = proxy.dropped.length;
    const acked = await a.send(room, 'lost acks, one message', key);
    proxy.heal();

    // Four lost acks, four retries (one more if an ack was merely slow on a busy machine).
    const attempts = w.log.events.filter((e) => e.k === 'send' && e.clientId === key);
    expect(attempts.length).toBeGreaterThanOrEqual(5);
    const rows = await rowsFor(key);
    expect(rows).toHaveLength(1);
    const lost = proxy.dropped
      .slice(dropsBefore)
      .map((d) => (d.text ? ackedMessage(d.text) : null))
      .filter((m) => m !== null);
    expect(lost).toHaveLength(4);
    for (const m of [...lost, acked]) {
      expect(m.id).toBe(rows[0]!.id);
      expect(m.seq).toBe(Number(rows[0]!.seq));
    }
    // The retries were answered from the stored row and not fanned out again.
    await pause(300);
    const toBob = w.log.events.filter(
      (e) => e.k === 'recv' && e.client === 'bob' && e.via === 'live' && e.m.id === acked.id,
    );
    expect(toBob).toHaveLength(1);
  });

  it('stores a message once when its ack is lost with the connection', async () => {
    const key = uuidFrom(w.rand);
    let reset = false;
    proxy.set({
      dropDownFrame: (text) => {
        const m = ackedMessage(text);
        if (!m || m.clientId !== key || reset) return false;
        reset = true;
        // The ack is lost and then the connection goes: the retry comes on a new socket.
        setImmediate(() => proxy.resetAll());
        return true;
      },
    });
    const connects = a.stats.connects;
    const acked = await a.send(room, 'lost with the connection', key);
    proxy.heal();
    expect(a.stats.connects).toBeGreaterThan(connects);
    const rows = await rowsFor(key);
    expect(rows).toHaveLength(1);
    expect(acked.id).toBe(rows[0]!.id);
  });

  it('stores each message once while server → client traffic is dropped for 5 s', async () => {
    proxy.set({ dropDown: true });
    const keys = Array.from({ length: 10 }, () => uuidFrom(w.rand));
    const sends = keys.map((k, i) => a.send(room, `one-way loss ${i}`, k));
    await pause(5000);
    proxy.heal();
    const acks = await Promise.all(sends);
    for (const [i, k] of keys.entries()) {
      const rows = await rowsFor(k);
      expect(rows).toHaveLength(1);
      expect(acks[i]!.id).toBe(rows[0]!.id);
    }
    // Stored in the order they were queued.
    const seqs = acks.map((m) => m.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it('passes the oracle', async () => {
    expect(await settleAll(w, [a, b], 20_000)).toEqual([]);
    await a.snapshotUnread();
    await b.snapshotUnread();
    await checkOracle(w.store.db, w.log);
  });
});
