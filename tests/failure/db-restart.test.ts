import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database.js';
import { isUnavailableError } from '../../server/errors.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkOracle } from '../helpers/oracle.js';
import { PrivatePostgres } from '../helpers/services.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';
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

// R17, adapted: the database goes away mid-traffic. Two nodes (with a private Redis) run on a
// PostgreSQL cluster of the test's own, which is stopped (fast shutdown: sessions ended, open
// transactions rolled back) for about 5 s and started again. While it is down a send is
// answered `unavailable` within a few seconds, never left hanging, and no node dies. Once it
// is back sends succeed, the clients' retries (same clientId) land exactly once, and the
// oracle passes. First, the case that used to crash every node: a pooled connection that is
// checked out between two queries (inside a transaction) when the server ends its session.

const CLIENTS = 8;
const ROOMS = 2;
const PER_CLIENT = 60;
const RATE = 4; // per client per second: 15 s of traffic
const DOWN_MS = 5000;
const PROMPT_MS = 3000; // an `unavailable` answer must come at least this fast

let d: Deployment | undefined;
let pgc: PrivatePostgres | undefined;
beforeAll(async () => {
  pgc = await PrivatePostgres.create();
});
afterAll(async () => {
  await undeploy(d);
  await pgc?.destroy();
});

interface Probe {
  at: number;
  ms: number;
  code: string;
}

describe('R17 database restart under load (private PostgreSQL cluster)', () => {
  it('survives the server ending a session held between two queries', async () => {
    const cluster = pgc!;
    const t = await cluster.createDatabase();
    const handle = openDatabase({ kind: 'postgres', url: t.url, dataDir: t.dataDir, poolSize: 2 });
    const crashes: unknown[] = [];
    const onCrash = (err: unknown) => crashes.push(err);
    process.on('uncaughtException', onCrash);
    try {
      const second = await handle.db
        .transaction()
        .execute(async (trx) => {
          await sql`select 1`.execute(trx);
          // The connection is checked out and idle when PostgreSQL terminates its session.
          await cluster.stop('fast');
          await sleep(300);
          return sql`select 1`.execute(trx).then(
            () => null,
            (err: unknown) => err,
          );
        })
        .catch((err: unknown) => err);
      expect(crashes).toEqual([]);
      expect(second).not.toBeNull();
      expect(isUnavailableError(second), String(second)).toBe(true);
      await cluster.start();
      // The pool dropped the broken connection: the next query runs on a new one.
      await expect(sql`select 1 as one`.execute(handle.db)).resolves.toMatchObject({
        rows: [{ one: 1 }],
      });
    } finally {
      process.off('uncaughtException', onCrash);
      await handle.close();
      await t.drop();
    }
  });

  it('answers unavailable promptly while down and stores every retry exactly once after', async () => {
    const cluster = pgc!;
    d = await deploy('R17', { nodes: 2, db: await cluster.createDatabase() });
    const w = d;
    const [a, b] = w.nodes as [(typeof w.nodes)[0], (typeof w.nodes)[0]];
    const users = await registerMany(a.api, CLIENTS, 8);
    const per = CLIENTS / ROOMS;
    const rooms: number[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const members = users.slice(r * per, (r + 1) * per);
      rooms.push(await createRoom(a.api, members[0]!, members, `db-${r}`));
    }
    const roomOf = (i: number) => rooms[Math.floor(i / per)]!;
    const clients: ChatClient[] = users.map((u, i) =>
      clientAt(w, u, `u${i}`, (i % 2 === 0 ? a : b).url),
    );
    await Promise.all(clients.map((c) => c.connect()));
    // One socket per node that sends by hand, to time the answers during the outage.
    const probes: TestSocket[] = [
      await connectSocket(a.url, users[0]!.token),
      await connectSocket(b.url, users[1]!.token),
    ];
    w.sockets.push(...probes);
    let probeN = 0;
    const probeKeys: string[] = [];
    const probe = async (s: TestSocket, userId: number, clientId?: string): Promise<Probe> => {
      const key = clientId ?? `probe-${++probeN}`;
      if (!clientId) probeKeys.push(key);
      const body = `probe ${key}`;
      w.log.add({
        k: 'send',
        client: `probe:${userId}`,
        userId,
        conversationId: rooms[0]!,
        clientId: key,
        body,
        attempt: 1,
      });
      const at = Date.now();
      let ack: any;
      try {
        ack = await s.request(
          'message:send',
          { conversationId: rooms[0], clientId: key, body },
          15_000,
        );
      } catch {
        return { at, ms: Date.now() - at, code: 'no answer' };
      }
      if (ack.ok) {
        w.log.add({
          k: 'ack',
          client: `probe:${userId}`,
          userId,
          conversationId: rooms[0]!,
          clientId: key,
          id: ack.data.id,
          seq: ack.data.seq,
        });
      }
      return { at, ms: Date.now() - at, code: ack.ok ? 'ok' : String(ack.error?.code) };
    };

    const stopAfter = 2500 + Math.floor(w.rand() * 1500);
    w.log.note(`plan: stop PostgreSQL ${stopAfter} ms into the load, for ${DOWN_MS} ms`);
    const started = Date.now();
    const load = sendLoad(w, clients, roomOf, PER_CLIENT, RATE, started);
    await sleep(stopAfter);

    w.log.note('PostgreSQL stopping');
    const stopAt = Date.now();
    await cluster.stop('fast');
    const stoppedMs = Date.now() - stopAt;
    w.log.note('PostgreSQL stopped');
    const down: Probe[] = [];
    const downUntil = Date.now() + DOWN_MS;
    while (Date.now() < downUntil - 600) {
      down.push(...(await Promise.all(probes.map((s, i) => probe(s, users[i]!.id)))));
      await sleep(400);
    }
    const readyWhileDown = await readyz(a.url);
    const downEnd = w.log.events.length;
    await cluster.start();
    w.log.note('PostgreSQL started again');
    // No client got an ack while the database was down (a commit finished just before the
    // stop may still be answered in its first moments).
    const downStart = w.log.events.findIndex(
      (e) => e.k === 'note' && e.text === 'PostgreSQL stopped',
    );
    const stoppedAt = w.log.events[downStart]!.at;
    const acksWhileDown = w.log.events
      .slice(downStart, downEnd)
      .filter((e) => e.k === 'ack' && e.at > stoppedAt + 250).length;

    // After the restart: the same keys again (a client retrying its unanswered sends) land once.
    const restartedAt = Date.now();
    const ready = await waitUntil(
      async () => (await readyz(a.url)) === 200 && (await readyz(b.url)) === 200,
      15_000,
    );
    const readyMs = Date.now() - restartedAt;
    if (!ready) {
      const body = async (url: string) => {
        const res = await fetch(url + '/readyz').catch((e: Error) => e);
        return res instanceof Error ? res.message : `${res.status} ${await res.text()}`;
      };
      throw new Error(
        `nodes not ready 15 s after PostgreSQL came back: A ${await body(a.url)}, B ${await body(b.url)}\n` +
          `A:\n${a.logTail(30)}\nB:\n${b.logTail(30)}\nPostgreSQL:\n${cluster.logTail(30)}`,
      );
    }
    const after = await Promise.all(
      probeKeys.map((key, n) => probe(probes[n % 2]!, users[n % 2]!.id, key)),
    );

    await load;
    const lagging = await settle(w, clients, 30_000);
    expect(lagging, 'clients that never caught up').toEqual([]);
    for (const c of clients) await c.snapshotUnread();
    const summary = await checkOracle(w.store.db, w.log);
    console.log(
      `[R17] seed ${w.seed}: stop took ${stoppedMs} ms, ready ${readyMs} ms after the start; ${down.length} sends while down answered ` +
        `in ${Math.min(...down.map((p) => p.ms))}..${Math.max(...down.map((p) => p.ms))} ms ` +
        `(${[...new Set(down.map((p) => p.code))].join(', ')}); ${summary.messages} rows; ` +
        `${clients.reduce((n, c) => n + c.stats.ackTimeouts, 0)} ack timeouts; ` +
        `done ${Date.now() - started} ms after the start`,
    );

    expect(down.length).toBeGreaterThanOrEqual(4);
    for (const p of down) {
      expect(p.code, `send at +${p.at - stopAt} ms`).toBe('unavailable');
      expect(p.ms, `send at +${p.at - stopAt} ms`).toBeLessThanOrEqual(PROMPT_MS);
    }
    expect(readyWhileDown).toBe(503);
    expect(acksWhileDown).toBe(0);
    for (const p of after) expect(p.code).toBe('ok');
    expect(await textRows(w.store, rooms)).toBe(CLIENTS * PER_CLIENT + probeKeys.length);
    expect(summary.acks).toBe(CLIENTS * PER_CLIENT + probeKeys.length);
    for (const n of w.nodes) {
      expect(n.running, `node :${n.port} died`).toBe(true);
      expect(n.exits).toEqual([]);
      expect(unhandled(n)).toEqual([]);
      expect(n.troubleLines()).toEqual([]);
    }
  });
});
