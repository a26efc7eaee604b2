import { afterAll, describe, expect, it } from 'vitest';
import { Api } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkOracle } from '../helpers/oracle.js';
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
  type Deployment,
} from './support.js';

// R16, graceful drain. Two nodes behind nginx (docs/deploy/nginx.conf); 24 clients connect
// through nginx and send. Mid-traffic one node gets SIGTERM, as `systemctl stop` sends: it
// must exit with code 0 within 10 s, lose no acked message (events in flight commit and are
// answered, or are refused `unavailable` and retried), and its clients must reconnect through
// nginx to the other node. nginx must never have answered a client with a 5xx.

const CLIENTS = 24;
const ROOMS = 4;
const PER_CLIENT = 50;
const RATE = 6; // per client per second: about 8 s of traffic
const EXIT_BOUND_MS = 10_000;

let d: Deployment | undefined;
afterAll(async () => {
  await undeploy(d);
});

describe('R16 SIGTERM drains a node under load (two nodes behind nginx)', () => {
  it('exits 0 within 10 s and loses no acked message; clients move to the other node', async () => {
    d = await deploy('R16', { nodes: 2, nginx: true });
    const w = d;
    const nginx = w.nginx!;
    const via = new Api(nginx.url);
    const users = await registerMany(via, CLIENTS, 12);
    const per = CLIENTS / ROOMS;
    const rooms: number[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const members = users.slice(r * per, (r + 1) * per);
      rooms.push(await createRoom(via, members[0]!, members, `drain-${r}`));
    }
    const roomOf = (i: number) => rooms[Math.floor(i / per)]!;
    const clients: ChatClient[] = users.map((u, i) => clientAt(w, u, `u${i}`, nginx.url));
    await Promise.all(clients.map((c) => c.connect()));

    const victim = w.nodes[Math.floor(w.rand() * 2)]!;
    const other = w.nodes.find((n) => n !== victim)!;
    const termAfter = 2000 + Math.floor(w.rand() * 2000);
    w.log.note(`plan: SIGTERM node :${victim.port} ${termAfter} ms into the load`);
    const started = Date.now();
    const load = sendLoad(w, clients, roomOf, PER_CLIENT, RATE, started);
    await sleep(termAfter);
    const disconnectsBefore = clients.map((c) => c.stats.disconnects);
    w.log.note('SIGTERM');
    const termAt = Date.now();
    const exit = await victim.kill('SIGTERM', EXIT_BOUND_MS + 5000);
    const exitMs = Date.now() - termAt;

    await load;
    const lagging = await settle(w, clients, 30_000);
    expect(lagging, 'clients that never caught up').toEqual([]);
    for (const c of clients) await c.snapshotUnread();
    const summary = await checkOracle(w.store.db, w.log);
    const moved = clients.filter((c, i) => c.stats.disconnects > disconnectsBefore[i]!);
    const failed = nginx.accessLog().filter((e) => e.status >= 500);
    console.log(
      `[R16] seed ${w.seed}: SIGTERM at ${termAfter} ms; exit ${JSON.stringify(exit)} after ` +
        `${exitMs} ms; ${moved.length} of ${CLIENTS} clients moved; ` +
        `${clients.reduce((n, c) => n + c.stats.ackTimeouts, 0)} ack timeouts; ` +
        `${summary.messages} rows; done ${Date.now() - started} ms after the start`,
    );

    expect(exit, 'the node did not exit').not.toBeNull();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThanOrEqual(EXIT_BOUND_MS);
    expect(victim.troubleLines()).toEqual([]);
    expect(await textRows(w.store, rooms)).toBe(CLIENTS * PER_CLIENT);
    expect(summary.acks).toBe(CLIENTS * PER_CLIENT);
    // Some clients were on the drained node; all of them are connected again, which can only
    // be through nginx to the other node.
    expect(moved.length).toBeGreaterThanOrEqual(3);
    for (const c of clients) expect(c.connected, c.name).toBe(true);
    expect(failed).toEqual([]);
    expect(other.running).toBe(true);
    expect(unhandled(other)).toEqual([]);
    expect(other.troubleLines()).toEqual([]);
  });
});
