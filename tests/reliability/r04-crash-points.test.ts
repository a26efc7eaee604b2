import { afterAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkOracle, uuidFrom } from '../helpers/oracle.js';
import {
  clientFor,
  createRoom,
  pause,
  registerMany,
  settleAll,
  sqliteIntegrity,
  startWorld,
  stopWorld,
  type World,
} from './support.js';

// R4, the crash-point matrix. The server kills itself (SIGKILL) at a chosen point of
// message:send for a body starting with "chaos!"; it is started again on the same SQLite file
// and the sender's client retries with the same clientId.
//   before_commit:           0 rows while down, 1 after the retry.
//   after_commit_before_ack: 1 row while down, and the retry is answered with that row.
//   after_ack_before_fanout: 1 row; the other member gets it by catch-up within 5 s of
//                            reconnecting (the live fan-out never happened).
// Three runs of each point. To spend fewer restarts, each restart arms the next point when
// the retry cannot reach it: a retry of a stored message takes the duplicate path, which
// passes none of the points except after_ack_before_fanout.

type Point = 'before_commit' | 'after_commit_before_ack' | 'after_ack_before_fanout';
const RUNS = 3;
const armed = (point: Point | null): Record<string, string> =>
  point
    ? { PARLEY_CHAOS: 'enable-crash-points', PARLEY_CHAOS_POINT: point }
    : { PARLEY_CHAOS: '', PARLEY_CHAOS_POINT: '' };

let w: World | undefined;
afterAll(async () => {
  await stopWorld(w);
});

describe('R4 crash-point matrix (SQLite, kill and restart)', () => {
  it('keeps each crash point exactly-once and recoverable', async () => {
    w = await startWorld('R4', { startEnv: armed('after_ack_before_fanout') });
    const world = w;
    const [alice, bob] = (await registerMany(world.proc.api, 2)) as [TestUser, TestUser];
    const room = await createRoom(world.proc.api, alice, [alice, bob], { name: 'crash' });
    // Quick reconnects keep the matrix short; the 5 s catch-up bound is measured from the
    // reconnect, so the backoff does not matter to it.
    const fast = { reconnectionDelay: 200, reconnectionDelayMax: 1000 };
    const a: ChatClient = clientFor(world, alice, 'alice', fast);
    const b: ChatClient = clientFor(world, bob, 'bob', fast);
    await Promise.all([a.connect(), b.connect()]);

    const rowsFor = async (clientId: string) =>
      world.store.db
        .selectFrom('messages')
        .select(['id', 'seq', 'body'])
        .where('sender_id', '=', alice.id)
        .where('conversation_id', '=', room)
        .where('client_id', '=', clientId)
        .execute();

    /** Sends a chaos message and waits for the server to kill itself. */
    const crash = async (label: string) => {
      const clientId = uuidFrom(world.rand);
      const body = `chaos! ${label} ${Math.floor(world.rand() * 1e9)}`;
      const exitsBefore = world.proc.exits.length;
      const acked = a.send(room, body, clientId);
      const exit = await world.proc.waitExit(10_000);
      expect(exit, `${label}: the server should have died at its crash point`).not.toBeNull();
      expect(world.proc.exits.length).toBe(exitsBefore + 1);
      expect(exit!.signal).toBe('SIGKILL');
      return { clientId, body, acked };
    };

    const timings: string[] = [];
    for (let run = 1; run <= RUNS; run++) {
      if (run > 1) {
        await world.proc.stop();
        await world.proc.start(armed('after_ack_before_fanout'));
      }

      // after_ack_before_fanout: stored and acked, but nobody was told.
      const p3 = await crash(`after_ack_before_fanout#${run}`);
      const p3Rows = await rowsFor(p3.clientId);
      expect(p3Rows).toHaveLength(1);
      await world.proc.start(armed('after_commit_before_ack'));
      const p3Ack = await p3.acked;
      expect(p3Ack.id).toBe(p3Rows[0]!.id);
      expect(p3Ack.seq).toBe(Number(p3Rows[0]!.seq));
      const p3Seq = Number(p3Rows[0]!.seq);
      // Bob was not told live; his catch-up after reconnecting must bring it within 5 s.
      const deadline = Date.now() + 15_000;
      while (b.highest(room) < p3Seq && Date.now() < deadline) await pause(20);
      expect(b.highest(room), 'bob never got the message').toBeGreaterThanOrEqual(p3Seq);
      const sinceReconnect = Date.now() - b.lastConnectAt;
      timings.push(`run ${run}: bob had it ${sinceReconnect} ms after reconnecting`);
      expect(sinceReconnect).toBeLessThanOrEqual(5000);

      // after_commit_before_ack: stored, never acked; the retry gets the stored row.
      const p2 = await crash(`after_commit_before_ack#${run}`);
      const p2Rows = await rowsFor(p2.clientId);
      expect(p2Rows).toHaveLength(1);
      await world.proc.start(armed('before_commit'));
      const p2Ack = await p2.acked;
      expect(p2Ack.id).toBe(p2Rows[0]!.id);
      expect(p2Ack.seq).toBe(Number(p2Rows[0]!.seq));
      expect(p2Ack.body).toBe(p2.body);

      // before_commit: rolled back by the crash; the retry stores it once.
      const p1 = await crash(`before_commit#${run}`);
      expect(await rowsFor(p1.clientId)).toHaveLength(0);
      await world.proc.start(armed(null));
      const p1Ack = await p1.acked;
      const p1Rows = await rowsFor(p1.clientId);
      expect(p1Rows).toHaveLength(1);
      expect(p1Ack.id).toBe(p1Rows[0]!.id);

      // Still exactly one row per key after everything settled.
      for (const k of [p3.clientId, p2.clientId, p1.clientId])
        expect(await rowsFor(k)).toHaveLength(1);
    }
    console.log(`[R4] seed ${world.seed}: ${timings.join('; ')}`);

    expect(await settleAll(world, [a, b], 20_000)).toEqual([]);
    const summary = await checkOracle(world.store.db, world.log);
    expect(summary.messages).toBe(1 + RUNS * 3);
    await world.proc.stop();
    expect(sqliteIntegrity(world.db)).toBe('ok');
  });
});
