import type { DatabaseKind } from '../../server/config.js';
import { checkOracle, uuidFrom, type OracleSummary } from '../helpers/oracle.js';
import type { ChatClient } from '../helpers/chat-client.js';
import {
  between,
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

/** The kill -9 under load scenario (R5), in any size (R15 runs a smaller one twice). */
export interface LoadSpec {
  label: string;
  clients: number;
  rooms: number;
  perClient: number;
  /** Messages per second per client. */
  rate: number;
  /** The SIGKILL comes this long after the load starts (ms, inclusive range). */
  killAfter: [number, number];
  /** The new process is started this long after the kill (ms, inclusive range). */
  downFor: [number, number];
  recovery: 'off' | 'attempt';
  /** Adds a client that receives no event at all before its connection drops (socket.io#5538). */
  zeroEventClient?: boolean;
  seed?: number;
  /** The database under the server (SQLite when not given). */
  kind?: DatabaseKind;
}

export interface LoadResult {
  seed: number;
  summary: OracleSummary;
  /** From the first send to the oracle passing. */
  elapsedMs: number;
  killAtMs: number;
  downMs: number;
  /** From the kill until the restarted server answered /readyz. */
  outageMs: number;
  textRows: number;
  integrity: string | null;
  /** Per client: the seqs of its room it holds, in order. */
  timelines: Map<string, number[]>;
  reconnects: number;
  recovered: number;
  ackTimeouts: number;
  zeroEvent: { eventsBeforeDrop: number; connects: number; catchUps: number } | null;
  serverTrouble: string[];
}

export async function runKillUnderLoad(spec: LoadSpec): Promise<LoadResult> {
  const w: World = await startWorld(spec.label, { seed: spec.seed, kind: spec.kind });
  try {
    return await drive(w, spec);
  } finally {
    await stopWorld(w);
  }
}

async function drive(w: World, spec: LoadSpec): Promise<LoadResult> {
  const { rand } = w;
  const per = spec.clients / spec.rooms;
  const users = await registerMany(w.proc.api, spec.clients + (spec.zeroEventClient ? 1 : 0));
  const rooms: number[] = [];
  for (let r = 0; r < spec.rooms; r++) {
    const members = users.slice(r * per, (r + 1) * per);
    rooms.push(await createRoom(w.proc.api, members[0]!, members, { name: `load-${r}` }));
  }
  const clients: ChatClient[] = users
    .slice(0, spec.clients)
    .map((u, i) => clientFor(w, u, `u${i}`, { recovery: spec.recovery }));
  const roomOf = (i: number) => rooms[Math.floor(i / per)]!;

  // Every random choice is drawn up front from the seed, so a failing run can be replayed.
  const killAtMs = between(rand, spec.killAfter[0], spec.killAfter[1]);
  const downMs = between(rand, spec.downFor[0], spec.downFor[1]);
  const plan = clients.map((_, i) =>
    Array.from({ length: spec.perClient }, (_, k) => ({
      clientId: uuidFrom(rand),
      body: `u${i} #${k} ${Math.floor(rand() * 1e9).toString(36)}`,
    })),
  );
  const readEvery = clients.map(() => between(rand, 1500, 2500));
  w.log.note(`plan: kill at ${killAtMs} ms, down ${downMs} ms`);

  await Promise.all(clients.map((c) => c.connect()));

  let zero: { client: ChatClient; events: number; room: number; token: string } | null = null;
  if (spec.zeroEventClient) {
    const u = users[spec.clients]!;
    const room = await createRoom(w.proc.api, u, [u], { name: 'quiet' });
    const client = clientFor(w, u, 'quiet', { recovery: spec.recovery });
    const z = { client, events: 0, room, token: u.token };
    client.socket.onAny(() => {
      z.events++;
    });
    await client.connect();
    zero = z;
  }

  const started = Date.now();
  const readTimers = clients.map((c, i) =>
    setInterval(() => {
      if (c.connected) void c.read(roomOf(i));
    }, readEvery[i]),
  );
  const sending = clients.map(async (c, i) => {
    const acks: Array<Promise<unknown>> = [];
    const gap = 1000 / spec.rate;
    for (let k = 0; k < spec.perClient; k++) {
      const due = started + k * gap;
      if (due > Date.now()) await pause(due - Date.now());
      acks.push(c.send(roomOf(i), plan[i]![k]!.body, plan[i]![k]!.clientId));
    }
    await Promise.all(acks);
  });

  let outageMs = 0;
  const chaos = (async () => {
    await pause(Math.max(0, started + killAtMs - Date.now()));
    const killedAt = Date.now();
    w.log.note('SIGKILL');
    await w.proc.kill('SIGKILL');
    await pause(downMs);
    w.log.note('restart');
    await w.proc.start();
    outageMs = Date.now() - killedAt;
    w.log.note(`ready again after ${outageMs} ms`);
  })();

  let eventsBeforeDrop = 0;
  if (zero) {
    // The zero-event reconnect: drop the quiet client's connection before it got any event.
    await pause(300);
    eventsBeforeDrop = zero.events;
    zero.client.dropConnection();
  }

  await chaos;
  await Promise.all(sending);
  for (const t of readTimers) clearInterval(t);

  if (zero) {
    // After its reconnects the quiet client still gets live events.
    const res = await w.proc.api.post(
      `/api/conversations/${zero.room}/messages`,
      { body: 'still here', clientId: 'quiet-1' },
      { token: zero.token },
    );
    if (res.status !== 201) throw new Error(`quiet send: ${res.status} ${res.text}`);
  }

  const all = zero ? [...clients, zero.client] : clients;
  const lagging = await settleAll(w, all, 45_000);
  if (lagging.length) w.log.note(`not settled: ${lagging.join(', ')}`);
  for (const c of all) await c.snapshotUnread();

  const summary = await checkOracle(w.store.db, w.log);
  const elapsedMs = Date.now() - started;

  const text = await w.store.db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'text')
    .where('conversation_id', 'in', rooms)
    .executeTakeFirstOrThrow();
  const timelines = new Map<string, number[]>();
  clients.forEach((c, i) =>
    timelines.set(
      c.name,
      c.timeline(roomOf(i)).map((m) => m.seq),
    ),
  );
  await w.proc.stop();
  return {
    seed: w.seed,
    summary,
    elapsedMs,
    killAtMs,
    downMs,
    outageMs,
    textRows: Number(text.n),
    integrity: w.db.kind === 'sqlite' ? sqliteIntegrity(w.db) : null,
    timelines,
    reconnects: clients.reduce((n, c) => n + c.stats.connects - 1, 0),
    recovered: all.reduce((n, c) => n + c.stats.recovered, 0),
    ackTimeouts: clients.reduce((n, c) => n + c.stats.ackTimeouts, 0),
    zeroEvent: zero
      ? {
          eventsBeforeDrop,
          connects: zero.client.stats.connects,
          catchUps: zero.client.stats.catchUps,
        }
      : null,
    serverTrouble: w.proc.troubleLines(),
  };
}
