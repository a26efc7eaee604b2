import { afterAll, describe, expect, it } from 'vitest';
import { Api } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkOracle } from '../helpers/oracle.js';
import { connectSocket, waitForNew } from '../helpers/socket.js';
import {
  clientAt,
  createDirect,
  createRoom,
  deploy,
  registerMany,
  sendLoad,
  settle,
  sleep,
  textRows,
  undeploy,
  unhandled,
  type Deployment,
} from './support.js';

// R7, node death. Three nodes behind nginx; 50 clients connect through nginx (which spreads
// them over the nodes) and send 3,000 messages into 5 rooms. Mid-traffic one node is killed
// with SIGKILL and stays dead: its clients reconnect through nginx to the other two, resend
// their unacked messages with the same clientId and catch up by seq. The oracle must pass.
// Meanwhile a user whose only socket was on the dead node must show offline to a contact on
// another node within the bound docs/DEPLOY.md states (about 20 s: a 15 s heartbeat TTL plus
// one 5 s reaper round).

const CLIENTS = 50;
const ROOMS = 5;
const PER_CLIENT = 60;
const RATE = 8; // messages per second per client: 400/s in total, for 7.5 s
const OFFLINE_BOUND_MS = 20_000;
const OFFLINE_SLACK_MS = 1_500; // the reaper's own writes and the presence publication

let d: Deployment | undefined;
afterAll(async () => {
  await undeploy(d);
});

describe('R7 kill -9 of one node of three behind nginx', () => {
  it('loses and duplicates nothing, and shows the dead node’s users offline in time', async () => {
    d = await deploy('R7', { nodes: 3, nginx: true });
    const w = d;
    const nginx = w.nginx!;
    const via = new Api(nginx.url);
    const victim = w.nodes[Math.floor(w.rand() * 3)]!;
    const survivor = w.nodes.find((n) => n !== victim)!;

    const users = await registerMany(via, CLIENTS + 2, 13);
    const per = CLIENTS / ROOMS;
    const rooms: number[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const members = users.slice(r * per, (r + 1) * per);
      rooms.push(await createRoom(via, members[0]!, members, `crash-${r}`));
    }
    const roomOf = (i: number) => rooms[Math.floor(i / per)]!;
    const clients: ChatClient[] = users
      .slice(0, CLIENTS)
      .map((u, i) => clientAt(w, u, `u${i}`, nginx.url));
    await Promise.all(clients.map((c) => c.connect()));

    // Presence: `lonely` has one socket, straight to the victim; `watcher` sits on another node.
    const lonely = users[CLIENTS]!;
    const watcher = users[CLIENTS + 1]!;
    await createDirect(via, watcher, lonely);
    const ws = await connectSocket(survivor.url, watcher.token);
    w.sockets.push(ws);
    const ls = await connectSocket(victim.url, lonely.token);
    w.sockets.push(ls);
    await expect
      .poll(
        async () =>
          (await survivor.api.get(`/api/users/${lonely.id}`, { token: watcher.token })).body.online,
      )
      .toBe(true);
    const offline = waitForNew(
      ws,
      'presence',
      (p) => p.userId === lonely.id && p.online === false,
      OFFLINE_BOUND_MS + 10_000,
    );

    const killAfter = 2000 + Math.floor(w.rand() * 2500);
    w.log.note(`plan: SIGKILL node :${victim.port} ${killAfter} ms into the load`);
    const started = Date.now();
    const load = sendLoad(w, clients, roomOf, PER_CLIENT, RATE, started);
    await sleep(killAfter);
    const disconnectsBefore = clients.map((c) => c.stats.disconnects);
    w.log.note('SIGKILL');
    const killedAt = Date.now();
    const exit = await victim.kill('SIGKILL');
    expect(exit?.signal).toBe('SIGKILL');

    // Presence runs alongside the rest of the load.
    const offlineAfter = offline.then(
      () => Date.now() - killedAt,
      () => null,
    );

    await load;
    const lagging = await settle(w, clients, 45_000);
    expect(lagging, 'clients that never caught up').toEqual([]);
    for (const c of clients) await c.snapshotUnread();
    const summary = await checkOracle(w.store.db, w.log);

    const hit = clients.filter((c, i) => c.stats.disconnects > disconnectsBefore[i]!);
    const hitNames = new Set(hit.map((c) => c.name));
    // Sends that were in flight on the dead node, sent again with the same clientId.
    const resent = w.log.events.filter(
      (e) => e.k === 'send' && e.attempt > 1 && hitNames.has(e.client),
    ).length;
    const offlineMs = await offlineAfter;
    console.log(
      `[R7] seed ${w.seed}: killed node :${victim.port} at ${killAfter} ms; ${hit.length} of ` +
        `${CLIENTS} clients were on it and failed over; ` +
        `${resent} of their sends resent; ` +
        `${summary.messages} rows, ${summary.received} deliveries; offline after ${offlineMs} ms; ` +
        `load and catch-up done ${Date.now() - started} ms after the start`,
    );

    expect(await textRows(w.store, rooms)).toBe(CLIENTS * PER_CLIENT);
    expect(summary.acks).toBe(CLIENTS * PER_CLIENT);
    // nginx spread the clients over the three nodes, so the kill hit some of them, and they
    // came back through nginx to the other nodes.
    expect(hit.length).toBeGreaterThanOrEqual(5);
    for (const c of hit) expect(c.connected, c.name).toBe(true);
    expect(resent).toBeGreaterThan(0);
    const back = nginx
      .accessLog()
      .filter((e) => e.uri.startsWith('/socket.io/') && e.status === 101)
      .map((e) => e.upstream);
    expect(back.some((u) => u.includes(`:${victim.port}`))).toBe(true);

    expect(offlineMs, 'the dead node’s user never went offline').not.toBeNull();
    expect(offlineMs!).toBeLessThanOrEqual(OFFLINE_BOUND_MS + OFFLINE_SLACK_MS);

    for (const n of w.nodes.filter((x) => x !== victim)) {
      expect(n.running).toBe(true);
      expect(unhandled(n)).toEqual([]);
      expect(n.troubleLines()).toEqual([]);
    }
  });
});
