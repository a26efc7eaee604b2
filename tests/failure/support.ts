import { randomBytes } from 'node:crypto';
import { registerUser, type Api, type TestUser } from '../helpers/api.js';
import { ChatClient, type ChatClientOptions } from '../helpers/chat-client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { openOracleDb, OracleLog, runSeed, seededRandom, uuidFrom } from '../helpers/oracle.js';
import { ParleyProcess, sleep } from '../helpers/proc.js';
import { killOnExit, Nginx, RedisServer, uniquePrefix } from '../helpers/services.js';
import type { TestSocket } from '../helpers/socket.js';
import type { DatabaseHandle } from '../../server/db/database.js';

/**
 * One failure-test deployment: several Parley nodes (child processes) on one PostgreSQL
 * database and a private Redis, optionally nginx in front running docs/deploy/nginx.conf, plus
 * the oracle log and the clients of the run.
 */
export interface Deployment {
  label: string;
  seed: number;
  rand: () => number;
  log: OracleLog;
  db: TestDatabase;
  /** A connection of the test's own, for the oracle and direct checks. */
  store: DatabaseHandle;
  redis: RedisServer;
  nodes: ParleyProcess[];
  nginx: Nginx | null;
  clients: ChatClient[];
  sockets: TestSocket[];
  /** Run on stop (private services a test added). */
  cleanups: Array<() => Promise<void>>;
}

export interface DeployOptions {
  nodes: number;
  nginx?: boolean;
  /** A database of the test's own (a private cluster); otherwise a fresh one on the shared server. */
  db?: TestDatabase;
  env?: Record<string, string>;
}

export async function deploy(label: string, opts: DeployOptions): Promise<Deployment> {
  const seed = runSeed(label);
  const db = opts.db ?? (await createTestDatabase('postgres'));
  const d: Deployment = {
    label,
    seed,
    rand: seededRandom(seed),
    log: new OracleLog(label, seed),
    db,
    store: openOracleDb(db),
    redis: await RedisServer.start(),
    nodes: [],
    nginx: null,
    clients: [],
    sockets: [],
    cleanups: [],
  };
  try {
    const env = {
      REDIS_URL: d.redis.url,
      REDIS_PREFIX: uniquePrefix(label),
      // Every node signs and checks tokens with the same secret.
      JWT_SECRET: randomBytes(32).toString('hex'),
      TRUST_PROXY: '127.0.0.1',
      ...opts.env,
    };
    // All nodes start together on the fresh database: the migration lock must hold.
    d.nodes = await Promise.all(
      Array.from({ length: opts.nodes }, () => startNode({ db, env, readyTimeoutMs: 60_000 })),
    );
    for (const n of d.nodes) killOnExit(n.pid);
    if (opts.nginx) d.nginx = await Nginx.start(d.nodes.map((n) => n.port));
  } catch (err) {
    await undeploy(d);
    throw err;
  }
  return d;
}

/** Starts a node, on another port if another process took the chosen one meanwhile. */
async function startNode(opts: Parameters<typeof ParleyProcess.start>[0]): Promise<ParleyProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ParleyProcess.start(opts);
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
    }
  }
}

export async function undeploy(d: Deployment | undefined): Promise<void> {
  if (!d) return;
  for (const c of d.clients) c.close();
  for (const s of d.sockets) s.close();
  await Promise.all(d.nodes.map((n) => n.kill('SIGKILL')));
  await d.nginx?.stop();
  await d.redis.stop();
  await d.store.close();
  await d.db.drop();
  for (const c of d.cleanups) await c();
}

/** Registers `n` users through `api`, `batch` at a time (each sign-up hashes a password). */
export async function registerMany(api: Api, n: number, batch = 10): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    out.push(...(await Promise.all(Array.from({ length: k }, () => registerUser(api)))));
  }
  return out;
}

/** A private group created by `owner` with `members`; returns its id. */
export async function createRoom(
  api: Api,
  owner: TestUser,
  members: readonly TestUser[],
  name = `room-${randomBytes(3).toString('hex')}`,
): Promise<number> {
  const res = await api.post(
    '/api/conversations',
    { name, isPrivate: true, memberIds: members.filter((m) => m.id !== owner.id).map((m) => m.id) },
    { token: owner.token },
  );
  if (res.status !== 201) throw new Error(`create group: ${res.status} ${res.text}`);
  return res.body.id as number;
}

/** A direct conversation between two users; returns its id. */
export async function createDirect(api: Api, a: TestUser, b: TestUser): Promise<number> {
  const res = await api.post('/api/conversations/direct', { userId: b.id }, { token: a.token });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`create direct: ${res.status} ${res.text}`);
  }
  return res.body.id as number;
}

/** A ChatClient for `user`, connecting (socket and REST) to `url`, recording into the run's log. */
export function clientAt(
  d: Deployment,
  user: TestUser,
  name: string,
  url: string,
  opts: Partial<ChatClientOptions> = {},
): ChatClient {
  const c = new ChatClient({
    name,
    userId: user.id,
    token: user.token,
    socketUrl: url,
    apiUrl: url,
    log: d.log,
    ...opts,
  });
  d.clients.push(c);
  return c;
}

/** Each conversation's last seq, as stored. */
async function lastSeqs(store: DatabaseHandle, ids: number[]): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const rows = await store.db
    .selectFrom('conversations')
    .select(['id', 'last_seq'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [Number(r.id), Number(r.last_seq)]));
}

async function membershipsOf(
  store: DatabaseHandle,
  userIds: number[],
): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>(userIds.map((u) => [u, []]));
  if (userIds.length === 0) return out;
  const rows = await store.db
    .selectFrom('members')
    .select(['user_id', 'conversation_id'])
    .where('user_id', 'in', userIds)
    .execute();
  for (const r of rows) out.get(Number(r.user_id))?.push(Number(r.conversation_id));
  return out;
}

/**
 * Waits until every client's outbox is empty and it holds every stored message of every
 * conversation its user belongs to (live or by its own catch-up: nothing is forced here).
 * Returns the clients that did not get there, described.
 */
export async function settle(
  d: Deployment,
  clients: readonly ChatClient[],
  timeoutMs = 30_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    while (clients.some((c) => c.pendingSends > 0) && Date.now() < deadline) await sleep(50);
    const members = await membershipsOf(d.store, [...new Set(clients.map((c) => c.userId))]);
    const seqs = await lastSeqs(d.store, [...new Set([...members.values()].flat())]);
    const lagging = clients.filter(
      (c) =>
        !c.isSettled(
          new Map((members.get(c.userId) ?? []).map((id) => [id, seqs.get(id) ?? 0] as const)),
        ),
    );
    if (lagging.length === 0) return [];
    if (Date.now() > deadline) {
      return lagging.map((c) => `${c.describe()} (pending sends ${c.pendingSends})`);
    }
    await sleep(100);
  }
}

/** Stored text messages in these conversations. */
export async function textRows(store: DatabaseHandle, conversationIds: number[]): Promise<number> {
  const r = await store.db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'text')
    .where('conversation_id', 'in', conversationIds)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Sends `perClient` messages from each client at `rate` per second into its room, from `start`
 * on; clientIds and bodies come from the run's seed. Resolves when every send is acked.
 */
export function sendLoad(
  d: Deployment,
  clients: readonly ChatClient[],
  roomOf: (i: number) => number,
  perClient: number,
  rate: number,
  start = Date.now(),
): Promise<void> {
  const plan = clients.map((c, i) =>
    Array.from({ length: perClient }, (_, k) => ({
      clientId: uuidFrom(d.rand),
      body: `${c.name} #${k} ${Math.floor(d.rand() * 1e9).toString(36)}`,
      room: roomOf(i),
    })),
  );
  const gap = 1000 / rate;
  const all = Promise.all(
    clients.map(async (c, i) => {
      const acks: Array<Promise<unknown>> = [];
      for (let k = 0; k < perClient; k++) {
        const due = start + k * gap;
        if (due > Date.now()) await sleep(due - Date.now());
        const m = plan[i]![k]!;
        acks.push(c.send(m.room, m.body, m.clientId));
      }
      await Promise.all(acks);
    }),
  ).then(() => undefined);
  // A test that fails before awaiting the load closes its clients, which rejects the sends
  // still queued: that is not a second failure.
  all.catch(() => {});
  return all;
}

/** Polls `probe` until it returns true; false after `timeoutMs`. */
export async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** GET /readyz on `url`: the status (0 when nothing answered). */
export async function readyz(url: string): Promise<number> {
  try {
    const res = await fetch(url + '/readyz', { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Log lines of a node that mean trouble a failure must not cause: unhandled or uncaught errors. */
export function unhandled(node: ParleyProcess): string[] {
  return node
    .logTail(1000)
    .split('\n')
    .filter((l) => /unhandled|uncaught/i.test(l));
}

export { sleep };
