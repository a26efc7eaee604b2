// Presence after a whole-cluster stop: every node killed (kill -9) while Redis keeps running.
// The users those nodes held must not stay online for ever once nodes come back: the first
// node that starts reaps the dead nodes' users, their contacts hear `presence` offline, and
// `lastSeenAt` tells when they went. A user who comes back before the reaping stays online.
import { afterEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_MS, NODE_TTL_MS } from '../../server/cluster/cluster-presence.js';
import { Api, type TestUser } from '../helpers/api.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';
import {
  createRoom,
  deploy,
  registerMany,
  sleep,
  undeploy,
  unhandled,
  type Deployment,
} from './support.js';

/** Longest time until a dead node's users are reaped, with room for a loaded machine. */
const REAPED_WITHIN_MS = NODE_TTL_MS + 2 * HEARTBEAT_MS + 5000;

let d: Deployment | undefined;

afterEach(async () => {
  await undeploy(d);
  d = undefined;
});

async function connect(url: string, u: TestUser): Promise<TestSocket> {
  const s = await connectSocket(url, u.token);
  d!.sockets.push(s);
  return s;
}

async function userState(api: Api, viewer: TestUser, u: TestUser) {
  const res = await api.get(`/api/users/${u.id}`, { token: viewer.token });
  expect(res.status).toBe(200);
  return res.body as { online: boolean; lastSeenAt: string | null };
}

/** Kills every node at once, as a power cut would. */
async function killAll(): Promise<number> {
  await Promise.all(d!.nodes.map((n) => n.kill('SIGKILL')));
  return Date.now();
}

describe('presence after every node died', () => {
  it('reaps the dead nodes’ users when a node comes back, and tells their contacts', async () => {
    d = await deploy('cluster-stop-presence', { nodes: 2 });
    const [n0, n1] = d.nodes as [Deployment['nodes'][0], Deployment['nodes'][0]];
    const [a, b, c, watcher] = (await registerMany(new Api(n0.url), 4)) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ];
    await createRoom(n0.api, watcher, [watcher, a, b, c]);
    await connect(n0.url, a);
    await connect(n1.url, b);
    await connect(n1.url, c);
    for (const u of [a, b, c]) expect((await userState(n0.api, watcher, u)).online).toBe(true);

    const killedAt = await killAll();
    await n0.start();
    // The watcher signs in to the new node; c comes back at once; a and b never do.
    const w = await connect(n0.url, watcher);
    await connect(n0.url, c);
    const offline = (u: TestUser) =>
      w.waitFor('presence', (p) => p.userId === u.id && p.online === false, REAPED_WITHIN_MS);
    const [pa, pb] = await Promise.all([offline(a), offline(b)]);
    for (const p of [pa, pb]) {
      expect(Date.parse(p.lastSeenAt)).toBeGreaterThanOrEqual(killedAt);
    }
    // Reaped on the node that is back, and on a second one started afterwards.
    await n1.start();
    for (const api of [n0.api, n1.api]) {
      expect((await userState(api, watcher, a)).online).toBe(false);
      expect((await userState(api, watcher, b)).online).toBe(false);
      expect((await userState(api, watcher, c)).online).toBe(true);
    }
    expect(w.eventsOf('presence').filter((p) => p.userId === c.id && !p.online)).toEqual([]);
    for (const n of d.nodes) expect(unhandled(n)).toEqual([]);
  });

  it('also when the cluster stayed down past the heartbeat expiry', async () => {
    d = await deploy('cluster-stop-presence-long', { nodes: 2 });
    const [n0, n1] = d.nodes as [Deployment['nodes'][0], Deployment['nodes'][0]];
    const [a, b, watcher] = (await registerMany(new Api(n0.url), 3)) as [
      TestUser,
      TestUser,
      TestUser,
    ];
    await createRoom(n0.api, watcher, [watcher, a, b]);
    await connect(n0.url, a);
    await connect(n1.url, b);
    const killedAt = await killAll();
    // Every heartbeat has expired by the time the first node starts.
    await sleep(NODE_TTL_MS + 1000);
    await n0.start();
    const deadline = Date.now() + REAPED_WITHIN_MS;
    let states = await Promise.all([a, b].map((u) => userState(n0.api, watcher, u)));
    while (states.some((s) => s.online) && Date.now() < deadline) {
      await sleep(250);
      states = await Promise.all([a, b].map((u) => userState(n0.api, watcher, u)));
    }
    for (const s of states) {
      expect(s.online).toBe(false);
      // Seen last when they went, not at some older time.
      expect(Date.parse(s.lastSeenAt!)).toBeGreaterThanOrEqual(killedAt);
    }
    await n1.start();
    for (const u of [a, b]) expect((await userState(n1.api, watcher, u)).online).toBe(false);
    for (const n of d.nodes) expect(unhandled(n)).toEqual([]);
  });
});
