import { afterAll, describe, expect, it } from 'vitest';
import type { ChatClient, WireMessage } from '../helpers/chat-client.js';
import { checkOracle } from '../helpers/oracle.js';
import { connectSocket } from '../helpers/socket.js';
import {
  clientAt,
  createRoom,
  deploy,
  readyz,
  registerMany,
  sendLoad,
  settle,
  sleep,
  textRows,
  undeploy,
  unhandled,
  waitUntil,
  type Deployment,
} from './support.js';

// R6, Redis restart mid-traffic. Two nodes share a private Redis; clients are split across
// them, every room has members on both. While they send, Redis is stopped for 5 s and
// started again on the same port (empty: no persistence). Redis carries only fan-out,
// presence and limits, so: no node dies or logs an unhandled rejection, sends keep being
// acked, cross-node delivery resumes by itself once Redis is back (a message sent then reaches
// a client on the other node live), and after catch-up the oracle passes.

const CLIENTS = 16;
const ROOMS = 4;
const PER_CLIENT = 60;
const RATE = 5; // per client per second: 12 s of traffic
const DOWN_MS = 5000;

let d: Deployment | undefined;
afterAll(async () => {
  await undeploy(d);
});

describe('R6 Redis restart under load (two nodes)', () => {
  it('keeps every node up and every message, and resumes cross-node fan-out', async () => {
    d = await deploy('R6', { nodes: 2 });
    const w = d;
    const [a, b] = w.nodes as [(typeof w.nodes)[0], (typeof w.nodes)[0]];
    const users = await registerMany(a.api, CLIENTS, 8);
    const per = CLIENTS / ROOMS;
    const rooms: number[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const members = users.slice(r * per, (r + 1) * per);
      rooms.push(await createRoom(a.api, members[0]!, members, `redis-${r}`));
    }
    const roomOf = (i: number) => rooms[Math.floor(i / per)]!;
    // Even clients on node A, odd on node B: each room has members on both nodes.
    const nodeOf = (i: number) => (i % 2 === 0 ? a : b);
    const clients: ChatClient[] = users.map((u, i) => clientAt(w, u, `u${i}`, nodeOf(i).url));
    await Promise.all(clients.map((c) => c.connect()));

    const stopAfter = 2500 + Math.floor(w.rand() * 1500);
    w.log.note(`plan: stop Redis ${stopAfter} ms into the load, for ${DOWN_MS} ms`);
    const started = Date.now();
    const load = sendLoad(w, clients, roomOf, PER_CLIENT, RATE, started);

    await sleep(stopAfter - 2000);
    const acksAt = () => w.log.events.filter((e) => e.k === 'ack').length;
    const acksEarly = acksAt();
    await sleep(2000);
    const acksBeforeRate = ((acksAt() - acksEarly) * 1000) / 2000;
    w.log.note('Redis stopped');
    await w.redis.stop();
    const acksBefore = w.log.events.filter((e) => e.k === 'ack').length;
    await sleep(DOWN_MS);
    // Sends went on being acked while Redis was away (the database is the source of truth).
    const acksDuring = w.log.events.filter((e) => e.k === 'ack').length - acksBefore;
    await w.redis.start();
    w.log.note('Redis started again');
    const backAt = Date.now();
    expect(
      await waitUntil(
        async () => (await readyz(a.url)) === 200 && (await readyz(b.url)) === 200,
        10_000,
      ),
      'nodes ready again',
    ).toBe(true);
    const readyMs = Date.now() - backAt;

    // Fan-out resumes by itself: a message sent on node A now reaches a client on node B
    // live. It goes out on a socket of its own, not queued behind the sender's outbox.
    const probe = await connectSocket(a.url, users[0]!.token);
    w.sockets.push(probe);
    const receiver = clients[1]!; // node B, room 0
    const probeId = 'probe-after-redis';
    const live = new Promise<number>((resolve) => {
      const on = (m: WireMessage) => {
        if (m.clientId === probeId) {
          receiver.socket.off('message:new', on);
          resolve(Date.now());
        }
      };
      receiver.socket.on('message:new', on);
    });
    const sentAt = Date.now();
    const ack = await probe.request('message:send', {
      conversationId: rooms[0],
      clientId: probeId,
      body: 'after the restart',
    });
    expect(ack.ok).toBe(true);
    const liveMs = await Promise.race([live.then((t) => t - sentAt), sleep(5000).then(() => null)]);

    await load;
    const lagging = await settle(w, clients, 30_000);
    expect(lagging, 'clients that never caught up').toEqual([]);
    for (const c of clients) await c.snapshotUnread();
    const summary = await checkOracle(w.store.db, w.log);
    console.log(
      `[R6] seed ${w.seed}: Redis down ${DOWN_MS} ms from ${stopAfter} ms; ${acksBeforeRate} acks/s ` +
        `before, ${(acksDuring * 1000) / DOWN_MS} acks/s while down; nodes ready ${readyMs} ms after Redis; probe live in ${liveMs} ms; ` +
        `${clients.reduce((n, c) => n + c.stats.gapFetches, 0)} gap fetches; ` +
        `${summary.messages} rows; done ${Date.now() - started} ms after the start`,
    );

    expect(acksDuring).toBeGreaterThan(0);
    expect(liveMs, 'a message sent after Redis came back did not reach node B live').not.toBeNull();
    expect(await textRows(w.store, rooms)).toBe(CLIENTS * PER_CLIENT + 1);
    for (const n of w.nodes) {
      expect(n.running, `node :${n.port} died`).toBe(true);
      expect(n.exits).toEqual([]);
      expect(unhandled(n)).toEqual([]);
      expect(n.troubleLines()).toEqual([]);
    }
    // No client lost its connection: Redis is not in the path of a socket.
    for (const c of clients) expect(c.stats.disconnects, c.name).toBe(0);
  });
});
