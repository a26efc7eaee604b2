import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import { uuidFrom } from '../helpers/oracle.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';
import {
  createRoom,
  pause,
  registerMany,
  reliabilityDbs,
  startWorld,
  stopWorld,
  type World,
} from './support.js';

// R2 and R3 run on every database the run has: the race between duplicate inserts is decided
// by each database's unique index and locking, so it is the database that is under test.

describe.each(reliabilityDbs())('idempotency keys on %s', (kind) => {
  let w: World;
  let alice: TestUser;
  let bob: TestUser;
  let room1: number;
  let room2: number;
  const sockets: TestSocket[] = [];
  let a1: TestSocket;
  let a2: TestSocket;
  let bobSocket: TestSocket;

  beforeAll(async () => {
    w = await startWorld(`R2/R3 ${kind}`, { kind });
    [alice, bob] = (await registerMany(w.proc.api, 2)) as [TestUser, TestUser];
    room1 = await createRoom(w.proc.api, alice, [alice, bob], { name: 'one' });
    room2 = await createRoom(w.proc.api, alice, [alice, bob], { name: 'two' });
    a1 = await connectSocket(w.proc.url, alice.token);
    a2 = await connectSocket(w.proc.url, alice.token);
    bobSocket = await connectSocket(w.proc.url, bob.token);
    sockets.push(a1, a2, bobSocket);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await stopWorld(w);
  });

  const rowsWith = (clientId: string) =>
    w.store.db
      .selectFrom('messages')
      .select(['id', 'seq', 'conversation_id', 'sender_id', 'body'])
      .where('client_id', '=', clientId)
      .orderBy('id')
      .execute();

  // R2: one device pair fires the same key 20 times at once over two sockets (plus a few
  // REST posts): one row, and every answer is that row, with no error on the way (no
  // "pending" 500 as Mattermost gives for in-flight duplicates).
  it('R2: 20 concurrent sends of one key over two sockets store one row, all acks agree', async () => {
    for (let round = 0; round < 3; round++) {
      const key = uuidFrom(w.rand);
      const payload = { conversationId: room1, clientId: key, body: `concurrent ${round}` };
      const socketSends = Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a2 : a1).request('message:send', payload, 10_000),
      );
      const restSends = Array.from({ length: 4 }, () =>
        w.proc.api.post(
          `/api/conversations/${room1}/messages`,
          { clientId: key, body: payload.body },
          { token: alice.token },
        ),
      );
      const [acks, posts] = await Promise.all([Promise.all(socketSends), Promise.all(restSends)]);
      const rows = await rowsWith(key);
      expect(rows).toHaveLength(1);
      const stored = rows[0]!;
      for (const ack of acks) {
        expect(ack.ok, JSON.stringify(ack)).toBe(true);
        expect(ack.data.id).toBe(stored.id);
        expect(ack.data.seq).toBe(Number(stored.seq));
      }
      for (const p of posts) {
        expect(p.status, p.text).toBeLessThan(300);
        expect(p.body.id).toBe(stored.id);
      }
      // The other member is told about it once.
      await pause(300);
      const told = bobSocket.eventsOf('message:new').filter((m) => m.clientId === key);
      expect(told).toHaveLength(1);
    }
  });

  // R3: the key is scoped to (sender, conversation). Another room or another sender makes a
  // new message; the same sender repeating the key with different content gets the original
  // back (the Matrix rule; the server never stores the second content under that key, and
  // the ack shows the client which body is stored).
  it('R3: the key is per sender and conversation; a different body gets the original', async () => {
    const key = uuidFrom(w.rand);
    const send = (s: TestSocket, conversationId: number, body: string) =>
      s.request('message:send', { conversationId, clientId: key, body });
    const first = await send(a1, room1, 'the original');
    expect(first.ok).toBe(true);
    const otherRoom = await send(a1, room2, 'the original');
    expect(otherRoom.ok).toBe(true);
    expect(otherRoom.data.id).not.toBe(first.data.id);
    const otherUser = await send(bobSocket, room1, 'the original');
    expect(otherUser.ok).toBe(true);
    expect(otherUser.data.id).not.toBe(first.data.id);

    await pause(200);
    const told = bobSocket.eventsOf('message:new').length;
    const changed = await send(a2, room1, 'different content');
    expect(changed.ok).toBe(true);
    expect(changed.data.id).toBe(first.data.id);
    expect(changed.data.seq).toBe(first.data.seq);
    expect(changed.data.body).toBe('the original');
    const overRest = await w.proc.api.post(
      `/api/conversations/${room1}/messages`,
      { clientId: key, body: 'different again' },
      { token: alice.token },
    );
    expect(overRest.status).toBeLessThan(300);
    expect(overRest.body.id).toBe(first.data.id);
    expect(overRest.body.body).toBe('the original');

    const rows = await rowsWith(key);
    expect(rows.map((r) => [Number(r.conversation_id), Number(r.sender_id), r.body])).toEqual([
      [room1, alice.id, 'the original'],
      [room2, alice.id, 'the original'],
      [room1, bob.id, 'the original'],
    ]);
    // Returning the original is not a new message: nobody is told anything.
    await pause(300);
    expect(bobSocket.eventsOf('message:new').length).toBe(told);
  });
});
