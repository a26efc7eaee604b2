import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { TestUser } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkOracle } from '../helpers/oracle.js';
import { killOnExit } from '../helpers/services.js';
import {
  clientAt,
  createRoom,
  deploy,
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

// R9, reconnection storm. 2,000 idle authenticated sockets (200 users with 10 sockets each,
// the Socket.IO client's default backoff: 1 s doubling to 5 s, ±50 %) on one node, plus a few
// clients that keep sending. The node is killed with SIGKILL and started again at once. Every
// socket must reconnect and pass the handshake's authentication again within 15 s of the new
// process accepting connections (its start-up time, which a loaded test machine stretches, is
// reported but not part of the bound), nothing the senders sent may be lost, and no request
// may fail with a server error: no 5xx answer to a handshake, no `internal` or `unavailable`
// refusal, no 5xx to a catch-up.

const USERS = 200;
const PER_USER = 10;
const SENDERS = 4;
const BOUND_MS = 15_000;

interface Idle {
  socket: Socket;
  connects: number;
  lastConnectAt: number;
  refusals: string[];
  transportErrors: string[];
}

let d: Deployment | undefined;
const idle: Idle[] = [];
afterAll(async () => {
  for (const s of idle) s.socket.close();
  await undeploy(d);
});

/** An idle socket that behaves like the web client: library backoff, and a retry after 3 s when refused. */
function idleSocket(url: string, token: string): Idle {
  const socket = io(url, {
    path: '/socket.io',
    transports: ['websocket'],
    auth: { token },
    forceNew: true,
    timeout: 5000,
  });
  const s: Idle = { socket, connects: 0, lastConnectAt: 0, refusals: [], transportErrors: [] };
  socket.on('connect', () => {
    s.connects++;
    s.lastConnectAt = Date.now();
  });
  socket.on('connect_error', (err: Error & { data?: { code?: string }; description?: unknown }) => {
    if (socket.active) {
      // A network or HTTP error: the library retries by itself. Keep what the server said.
      const desc = err.description as
        { message?: string; error?: { message?: string } } | undefined;
      s.transportErrors.push(String(desc?.message ?? desc?.error?.message ?? err.message));
      return;
    }
    s.refusals.push(err.data?.code ?? err.message);
    setTimeout(() => socket.connect(), 3000);
  });
  return s;
}

describe('R9 reconnection storm (2,000 sockets, SIGKILL and restart)', () => {
  it('reconnects and re-authenticates every socket within 15 s, losing nothing', async () => {
    d = await deploy('R9', { nodes: 1 });
    const w = d;
    const node = w.nodes[0]!;
    const seedStart = Date.now();
    const users: TestUser[] = await registerMany(node.api, USERS + SENDERS, 20);
    const seedMs = Date.now() - seedStart;

    const connectStart = Date.now();
    for (let i = 0; i < USERS; i += 20) {
      const batch: Idle[] = [];
      for (const u of users.slice(i, i + 20)) {
        for (let k = 0; k < PER_USER; k++) batch.push(idleSocket(node.url, u.token));
      }
      idle.push(...batch);
      expect(await waitUntil(() => batch.every((s) => s.connects === 1), 20_000)).toBe(true);
    }
    const connectMs = Date.now() - connectStart;

    const senders = users.slice(USERS);
    const room = await createRoom(node.api, senders[0]!, senders, 'storm');
    const clients: ChatClient[] = senders.map((u, i) => clientAt(w, u, `s${i}`, node.url));
    await Promise.all(clients.map((c) => c.connect()));
    const started = Date.now();
    const load = sendLoad(w, clients, () => room, 50, 5, started);

    await sleep(2000 + Math.floor(w.rand() * 1000));
    w.log.note('SIGKILL and restart');
    const killAt = Date.now();
    // When the new process starts accepting connections (diagnostic: start-up vs the storm).
    let listeningAt = 0;
    const listening = waitUntil(
      () =>
        new Promise<boolean>((resolve) => {
          const c = net.connect({ host: '127.0.0.1', port: node.port });
          c.once('connect', () => {
            c.destroy();
            if (!node.running || node.starts < 2) return resolve(false);
            listeningAt = Date.now();
            resolve(true);
          });
          c.once('error', () => resolve(false));
        }),
      60_000,
      25,
    );
    await node.restart();
    expect(await listening, 'the restarted node never accepted connections').toBe(true);
    killOnExit(node.pid);
    const readyMs = Date.now() - killAt;

    const allBack = await waitUntil(
      () => idle.every((s) => s.connects >= 2),
      Math.max(0, listeningAt + BOUND_MS + 15_000 - Date.now()),
      100,
    );
    const back = idle.filter((s) => s.connects >= 2).map((s) => s.lastConnectAt);
    const last = back.length ? Math.max(...back) : NaN;
    const slowest = last - listeningAt;

    await load;
    const lagging = await settle(w, clients, 30_000);
    expect(lagging, 'senders that never caught up').toEqual([]);
    const summary = await checkOracle(w.store.db, w.log);
    const refusals = idle.flatMap((s) => s.refusals);
    const serverErrors = idle.flatMap((s) => s.transportErrors).filter((m) => /\b5\d\d\b/.test(m));
    const restErrors = w.log.events.filter((e) => e.k === 'note' && /HTTP 5\d\d/.test(e.text));
    console.log(
      `[R9] seed ${w.seed}: ${USERS + SENDERS} users in ${seedMs} ms, ${idle.length} sockets ` +
        `connected in ${connectMs} ms; restarted node listening ${listeningAt - killAt} ms and ` +
        `ready ${readyMs} ms after the kill; ${back.length} sockets back, the last ` +
        `${slowest} ms after it listened (${last - killAt} ms after the kill); ` +
        `${refusals.length} refusals (${[...new Set(refusals)].join(', ')}); ` +
        `${summary.messages} rows`,
    );

    expect(allBack, `${idle.length - back.length} sockets never came back`).toBe(true);
    expect(slowest).toBeLessThanOrEqual(BOUND_MS);
    expect(refusals.filter((r) => r === 'internal' || r === 'unavailable')).toEqual([]);
    expect(serverErrors).toEqual([]);
    expect(restErrors.map((e) => (e.k === 'note' ? e.text : ''))).toEqual([]);
    expect(await textRows(w.store, [room])).toBe(SENDERS * 50);
    expect(node.running).toBe(true);
    expect(unhandled(node)).toEqual([]);
    expect(node.troubleLines()).toEqual([]);
  });
});
