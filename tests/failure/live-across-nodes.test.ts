// R20: every server → client event crosses nodes live, after the fan-out has been idle.
//
// Three nodes on one PostgreSQL database and a private Redis, nginx in front (the documented
// config). Before each step the whole deployment is left idle for longer than twice the
// fan-out's blocking read, so a reader that only works while traffic keeps flowing is caught.
// In each step every node sends the event at once, to clients connected straight to each of
// the other nodes and to clients that came in through nginx. Each must arrive live (these
// sockets never reconnect by themselves and never catch up) within 1 s. Three rounds in a row;
// each round begins by killing one node (kill -9) and starting it again, so a reader that has
// not yet read anything also has to wait through the silence.
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTER_BLOCK_MS } from '../../server/cluster/cluster.js';
import { TYPING_TIMEOUT_MS } from '../../protocol/limits.js';
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

const LIVE_MS = 1000;
const IDLE_MS = 2 * ADAPTER_BLOCK_MS + 500;
const ROUNDS = 3;
const NODES = [0, 1, 2] as const;
type Node = (typeof NODES)[number];
const others = (s: Node) => NODES.filter((t) => t !== s);

let d: Deployment | undefined;
let via: Api;
let room: number;
let owner: TestUser;
/** Per node: a member (admin of the room) connected straight to that node. */
const m: TestUser[] = [];
/** Per node: a member whose presence is watched; connected straight to that node. */
const p: TestUser[] = [];
/** Members that came in through nginx (nginx picks their node). */
const w: TestUser[] = [];
/** x[s][t]: a member on node t whom node s removes (and adds back). */
const x: TestUser[][] = [];
/** e[s][t]: a user whose session on node t is ended through node s. */
const e: TestUser[][] = [];
const socks = new Map<number, TestSocket>();

interface Arrival {
  round: number;
  step: string;
  event: string;
  from: Node;
  to: string;
  ms: number;
}
const arrivals: Arrival[] = [];

const nodeUrl = (n: Node) => d!.nodes[n]!.url;
const api = (n: Node) => d!.nodes[n]!.api;
const sock = (u: TestUser) => socks.get(u.id)!;

async function connect(u: TestUser, url: string, token = u.token): Promise<TestSocket> {
  const s = await connectSocket(url, token);
  home.set(u.id, url);
  socks.set(u.id, s);
  d!.sockets.push(s);
  return s;
}

/** The receivers of an event from node s: the straight member of every other node, and nginx's. */
function receiversOf(s: Node): Array<{ user: TestUser; to: string }> {
  return [
    ...others(s).map((t) => ({ user: m[t]!, to: `node ${t}` })),
    ...w.map((u, i) => ({ user: u, to: `nginx client ${i}` })),
  ];
}

interface Expectation {
  user: TestUser;
  to: string;
  from: Node;
  event: string;
  pred: (payload: any) => boolean;
}

/**
 * Runs `act` (which makes every node send its event) and waits for every expectation to be met
 * by an event that arrived after `act` started, within LIVE_MS of that start. Records each
 * arrival and returns the ones that did not come in time.
 */
async function live(
  round: number,
  step: string,
  expectations: Expectation[],
  act: () => Promise<unknown>,
): Promise<string[]> {
  const marks = expectations.map((x) => sock(x.user).received.length);
  const t0 = Date.now();
  await act();
  const missing: string[] = [];
  await Promise.all(
    expectations.map(async (x, i) => {
      const s = sock(x.user);
      const found = () =>
        s.received.slice(marks[i]).find((r) => r.event === x.event && x.pred(r.payload));
      while (!found() && Date.now() < t0 + LIVE_MS) await sleep(10);
      const hit = found();
      if (hit && hit.at - t0 <= LIVE_MS) {
        arrivals.push({ round, step, event: x.event, from: x.from, to: x.to, ms: hit.at - t0 });
      } else {
        missing.push(
          `${step}: ${x.event} from node ${x.from} to ${x.to} ${hit ? `after ${hit.at - t0} ms` : 'never arrived'}`,
        );
      }
    }),
  );
  return missing;
}

const idle = () => sleep(IDLE_MS);

/** Where each user's socket goes: a node, or nginx. */
const home = new Map<number, string>();

/** Kills node k and starts it again; its clients (and nginx's clients it held) connect again. */
async function restartNode(k: Node): Promise<void> {
  await d!.nodes[k]!.restart();
  // Nothing crosses the fan-out until the restarted node's reader has been left waiting.
  await idle();
  for (const [id, s] of socks) {
    if (s.socket.connected) continue;
    const u = [owner, ...m, ...p, ...w, ...x.flat(), ...e.flat()].find((v) => v?.id === id)!;
    await connect(u, home.get(id)!);
  }
}

beforeAll(async () => {
  d = await deploy('live-across-nodes', { nodes: 3, nginx: true });
  via = new Api(d.nginx!.url);
  const users = await registerMany(via, 1 + 3 + 3 + 3 + 6 + 6);
  owner = users.shift()!;
  m.push(...users.splice(0, 3));
  p.push(...users.splice(0, 3));
  w.push(...users.splice(0, 3));
  for (const s of NODES) {
    x[s] = [];
    e[s] = [];
  }
  for (const s of NODES) for (const t of others(s)) x[s]![t] = users.shift()!;
  for (const s of NODES) for (const t of others(s)) e[s]![t] = users.shift()!;

  room = await createRoom(via, owner, [owner, ...m, ...p, ...w, ...x.flat().filter(Boolean)]);
  for (const u of m) {
    const r = await via.patch(
      `/api/conversations/${room}/members/${u.id}`,
      { role: 'admin' },
      { token: owner.token },
    );
    expect(r.status).toBe(200);
  }
  for (const n of NODES) {
    await connect(m[n]!, nodeUrl(n));
    await connect(p[n]!, nodeUrl(n));
    for (const s of others(n)) {
      await connect(x[s]![n]!, nodeUrl(n));
      await connect(e[s]![n]!, nodeUrl(n));
    }
  }
  for (const u of w) await connect(u, d.nginx!.url);
});

afterAll(async () => {
  if (arrivals.length) {
    const slowest = arrivals.reduce((a, b) => (b.ms > a.ms ? b : a));
    const summary = {
      events: arrivals.length,
      slowestMs: slowest.ms,
      slowest,
      p50Ms: [...arrivals].sort((a, b) => a.ms - b.ms)[Math.floor(arrivals.length / 2)]!.ms,
      idleGapMs: IDLE_MS,
      adapterBlockMs: ADAPTER_BLOCK_MS,
    };
    console.log(`R20 live across nodes: ${JSON.stringify(summary)}`);
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/r20-live-across-nodes.json', JSON.stringify({ summary, arrivals }));
  }
  await undeploy(d);
});

describe('R20: live across nodes after silence', () => {
  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: every event from every node reaches every other node live`, async () => {
      const missing: string[] = [];
      const tag = `r${round}`;
      await restartNode(((round - 1) % 3) as Node);

      // message:new
      await idle();
      const acks: number[] = [];
      missing.push(
        ...(await live(
          round,
          'message:new',
          NODES.flatMap((s) =>
            receiversOf(s).map((r) => ({
              ...r,
              from: s,
              event: 'message:new',
              pred: (msg) => msg.clientId === `${tag}-m${s}`,
            })),
          ),
          () =>
            Promise.all(
              NODES.map(async (s) => {
                const ack = await sock(m[s]!).request('message:send', {
                  conversationId: room,
                  clientId: `${tag}-m${s}`,
                  body: `round ${round} from node ${s}`,
                });
                expect(ack.ok, JSON.stringify(ack)).toBe(true);
                acks.push(ack.data.seq as number);
              }),
            ),
        )),
      );
      // One more message after theirs, so each of them has something left to read.
      const last = await via.post(
        `/api/conversations/${room}/messages`,
        { clientId: `${tag}-owner`, body: 'to be read' },
        { token: owner.token },
      );
      expect(last.status).toBe(201);
      const lastSeq = last.body.seq as number;

      // receipt
      await idle();
      missing.push(
        ...(await live(
          round,
          'receipt',
          NODES.flatMap((s) =>
            receiversOf(s).map((r) => ({
              ...r,
              from: s,
              event: 'receipt',
              pred: (rc) => rc.userId === m[s]!.id && rc.readSeq === lastSeq,
            })),
          ),
          () =>
            Promise.all(
              NODES.map(async (s) => {
                const ack = await sock(m[s]!).request('conversation:read', {
                  conversationId: room,
                  seq: lastSeq,
                });
                expect(ack.ok, JSON.stringify(ack)).toBe(true);
              }),
            ),
        )),
      );

      // typing: started by each node, then ended by that node on its own
      await idle();
      const typedAt = new Map<Node, number>();
      // Where each receiver's log stood before this round's typing (earlier rounds' ends are old).
      const typingMarks = new Map([...socks].map(([id, sk]) => [id, sk.received.length]));
      missing.push(
        ...(await live(
          round,
          'typing start',
          NODES.flatMap((s) =>
            receiversOf(s).map((r) => ({
              ...r,
              from: s,
              event: 'typing',
              pred: (t) => t.userId === m[s]!.id && t.typing === true,
            })),
          ),
          () =>
            Promise.all(
              NODES.map(async (s) => {
                typedAt.set(s, Date.now());
                const ack = await sock(m[s]!).request('typing', {
                  conversationId: room,
                  typing: true,
                });
                expect(ack.ok, JSON.stringify(ack)).toBe(true);
              }),
            ),
        )),
      );
      const ends = NODES.flatMap((s) =>
        receiversOf(s).map(async (r) => {
          const s0 = sock(r.user);
          const due = typedAt.get(s)! + TYPING_TIMEOUT_MS;
          const match = (ev: { event: string; payload: any }) =>
            ev.event === 'typing' && ev.payload.userId === m[s]!.id && !ev.payload.typing;
          const mark = typingMarks.get(r.user.id) ?? 0;
          const fresh = () => s0.received.slice(mark).find(match);
          while (!fresh() && Date.now() < due + LIVE_MS) await sleep(10);
          const hit = fresh();
          // Not before the server's own timeout, and within LIVE_MS after it.
          if (hit && hit.at >= due - 50 && hit.at <= due + LIVE_MS) {
            arrivals.push({
              round,
              step: 'typing end',
              event: 'typing',
              from: s,
              to: r.to,
              ms: Math.max(0, hit.at - due),
            });
          } else {
            missing.push(
              `typing end from node ${s} to ${r.to}: ${hit ? `at ${hit.at - due} ms from the timeout` : 'never arrived'}`,
            );
          }
        }),
      );
      await Promise.all(ends);

      // conversation:updated (each node renames the room through its own admin)
      await idle();
      missing.push(
        ...(await live(
          round,
          'conversation:updated',
          NODES.flatMap((s) =>
            receiversOf(s).map((r) => ({
              ...r,
              from: s,
              event: 'conversation:updated',
              pred: (c) => c.id === room && c.topic === `${tag} topic from node ${s}`,
            })),
          ),
          () =>
            Promise.all(
              NODES.map(async (s) => {
                const res = await api(s).patch(
                  `/api/conversations/${room}`,
                  { topic: `${tag} topic from node ${s}` },
                  { token: m[s]!.token },
                );
                expect(res.status).toBe(200);
              }),
            ),
        )),
      );

      // member:updated (the owner changes a role through each node in turn)
      await idle();
      const role = round % 2 === 1 ? 'admin' : 'member';
      missing.push(
        ...(await live(
          round,
          'member:updated',
          NODES.flatMap((s) =>
            receiversOf(s).map((r) => ({
              ...r,
              from: s,
              event: 'member:updated',
              pred: (e) =>
                e.conversationId === room &&
                e.member.user.id === p[s]!.id &&
                e.member.role === role,
            })),
          ),
          () =>
            Promise.all(
              NODES.map(async (s) => {
                const res = await api(s).patch(
                  `/api/conversations/${room}/members/${p[s]!.id}`,
                  { role },
                  { token: owner.token },
                );
                expect(res.status).toBe(200);
              }),
            ),
        )),
      );

      // conversation:removed (node s removes a member connected to node t)
      await idle();
      const pairs = NODES.flatMap((s) => others(s).map((t) => [s, t] as const));
      missing.push(
        ...(await live(
          round,
          'conversation:removed',
          pairs.map(([s, t]) => ({
            user: x[s]![t]!,
            to: `node ${t}`,
            from: s,
            event: 'conversation:removed',
            pred: (r) => r.conversationId === room,
          })),
          () =>
            Promise.all(
              pairs.map(async ([s, t]) => {
                const res = await api(s).delete(
                  `/api/conversations/${room}/members/${x[s]![t]!.id}`,
                  { token: owner.token },
                );
                expect(res.status).toBe(204);
              }),
            ),
        )),
      );

      // conversation:updated to a member added back (node s adds the member on node t)
      await idle();
      missing.push(
        ...(await live(
          round,
          'conversation:updated (added)',
          pairs.map(([s, t]) => ({
            user: x[s]![t]!,
            to: `node ${t}`,
            from: s,
            event: 'conversation:updated',
            pred: (c) => c.id === room && c.myRole === 'member',
          })),
          () =>
            Promise.all(
              NODES.map(async (s) => {
                const res = await api(s).post(
                  `/api/conversations/${room}/members`,
                  { userIds: others(s).map((t) => x[s]![t]!.id) },
                  { token: owner.token },
                );
                expect(res.status).toBe(200);
              }),
            ),
        )),
      );

      // session:expired (node s signs out a session whose socket is on node t)
      await idle();
      missing.push(
        ...(await live(
          round,
          'session:expired',
          pairs.map(([s, t]) => ({
            user: e[s]![t]!,
            to: `node ${t}`,
            from: s,
            event: 'session:expired',
            pred: () => true,
          })),
          () =>
            Promise.all(
              pairs.map(async ([s, t]) => {
                const res = await api(s).post('/api/auth/logout', undefined, {
                  token: e[s]![t]!.token,
                });
                expect(res.status).toBe(204);
              }),
            ),
        )),
      );
      // A new session each, connected to the same node, for the next round.
      for (const [s, t] of pairs) {
        const u = e[s]![t]!;
        const res = await api(t).post('/api/auth/login', {
          login: u.username,
          password: u.password,
        });
        expect(res.status).toBe(200);
        u.token = res.body.accessToken;
        await connect(u, nodeUrl(t));
      }

      // presence: offline (the watched member of each node closes its only socket)
      await idle();
      missing.push(
        ...(await live(
          round,
          'presence offline',
          NODES.flatMap((s) =>
            receiversOf(s).map((r) => ({
              ...r,
              from: s,
              event: 'presence',
              pred: (ev) => ev.userId === p[s]!.id && ev.online === false,
            })),
          ),
          async () => {
            for (const s of NODES) sock(p[s]!).close();
          },
        )),
      );

      // presence: online (and back on the same node)
      await idle();
      missing.push(
        ...(await live(
          round,
          'presence online',
          NODES.flatMap((s) =>
            receiversOf(s).map((r) => ({
              ...r,
              from: s,
              event: 'presence',
              pred: (ev) => ev.userId === p[s]!.id && ev.online === true,
            })),
          ),
          () => Promise.all(NODES.map((s) => connect(p[s]!, nodeUrl(s)))),
        )),
      );

      expect(missing).toEqual([]);
      for (const n of d!.nodes) {
        expect(n.running).toBe(true);
        expect(unhandled(n)).toEqual([]);
      }
    });
  }
});
