import Database from 'better-sqlite3';
import path from 'node:path';
import { registerUser, type Api, type TestUser } from '../helpers/api.js';
import { ChatClient, type ChatClientOptions } from '../helpers/chat-client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { openOracleDb, OracleLog, runSeed, seededRandom } from '../helpers/oracle.js';
import { ParleyProcess } from '../helpers/proc.js';
import type { DatabaseKind } from '../../server/config.js';
import type { DatabaseHandle } from '../../server/db/database.js';

/** Databases the per-database reliability tests run on (scripts/test.mjs sets the list). */
export function reliabilityDbs(): DatabaseKind[] {
  const list = (process.env.PARLEY_RELIABILITY_DBS ?? 'sqlite')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return list.filter((k): k is DatabaseKind => k === 'sqlite' || k === 'postgres' || k === 'mysql');
}

/** One run: a database, a Parley child process, the oracle log and the run's random source. */
export interface World {
  db: TestDatabase;
  proc: ParleyProcess;
  /** A connection of the test's own, for the oracle and direct checks. */
  store: DatabaseHandle;
  log: OracleLog;
  seed: number;
  rand: () => number;
  clients: ChatClient[];
}

export async function startWorld(
  label: string,
  opts: {
    kind?: DatabaseKind;
    /** Environment for every start. */
    env?: Record<string, string>;
    /** Environment for the first start only. */
    startEnv?: Record<string, string>;
    seed?: number;
  } = {},
): Promise<World> {
  const seed = opts.seed ?? runSeed(label);
  if (opts.seed !== undefined) console.log(`[${label}] seed ${seed}`);
  const db = await createTestDatabase(opts.kind ?? 'sqlite');
  let proc: ParleyProcess;
  try {
    proc = await ParleyProcess.start({ db, env: opts.env }, opts.startEnv);
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    db,
    proc,
    store: openOracleDb(db),
    log: new OracleLog(label, seed),
    seed,
    rand: seededRandom(seed),
    clients: [],
  };
}

export async function stopWorld(w: World | undefined): Promise<void> {
  if (!w) return;
  for (const c of w.clients) c.close();
  await w.proc.stop();
  await w.store.close();
  await w.db.drop();
}

/** Registers `n` users, a few at a time (each sign-up hashes a password). */
export async function registerMany(api: Api, n: number): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < n; i += 6) {
    const batch = Math.min(6, n - i);
    out.push(...(await Promise.all(Array.from({ length: batch }, () => registerUser(api)))));
  }
  return out;
}

/** A group created by `owner` with `members`; returns its id. */
export async function createRoom(
  api: Api,
  owner: TestUser,
  members: readonly TestUser[],
  opts: { isPrivate?: boolean; name?: string } = {},
): Promise<number> {
  const res = await api.post(
    '/api/conversations',
    {
      name: opts.name ?? `room-${Math.random().toString(36).slice(2, 8)}`,
      isPrivate: opts.isPrivate ?? true,
      memberIds: members.filter((m) => m.id !== owner.id).map((m) => m.id),
    },
    { token: owner.token },
  );
  if (res.status !== 201) throw new Error(`create group: ${res.status} ${res.text}`);
  return res.body.id as number;
}

/** A client for `user` in the world, recording into its log. */
export function clientFor(
  w: World,
  user: TestUser,
  name: string,
  opts: Partial<ChatClientOptions> = {},
): ChatClient {
  const c = new ChatClient({
    name,
    userId: user.id,
    token: user.token,
    socketUrl: w.proc.url,
    apiUrl: w.proc.url,
    log: w.log,
    ...opts,
  });
  w.clients.push(c);
  return c;
}

/** Each conversation's last seq, as stored. */
export async function lastSeqs(store: DatabaseHandle, ids: number[]): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const rows = await store.db
    .selectFrom('conversations')
    .select(['id', 'last_seq'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [Number(r.id), Number(r.last_seq)]));
}

/** Each conversation's change counter (v1.1 `lastVersion`), as stored. */
export async function lastVersions(
  store: DatabaseHandle,
  ids: number[],
): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const rows = await store.db
    .selectFrom('conversations')
    .select(['id', 'last_version'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [Number(r.id), Number(r.last_version)]));
}

/** The conversations each user belongs to now. */
export async function membershipsOf(
  store: DatabaseHandle,
  userIds: number[],
): Promise<Map<number, number[]>> {
  const rows = await store.db
    .selectFrom('members')
    .select(['user_id', 'conversation_id'])
    .where('user_id', 'in', userIds)
    .execute();
  const out = new Map<number, number[]>(userIds.map((u) => [u, []]));
  for (const r of rows) out.get(Number(r.user_id))!.push(Number(r.conversation_id));
  return out;
}

/**
 * Waits until every client's outbox is empty and it holds every stored message of every
 * conversation its user belongs to; with `versions` (clients with sync 'changes') also every
 * stored change (its version cursor reached each conversation's last_version). Returns the
 * names of clients that did not get there.
 */
export async function settleAll(
  w: World,
  clients: readonly ChatClient[],
  timeoutMs = 30_000,
  opts: { versions?: boolean } = {},
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Outboxes first: their sends change the targets.
    while (clients.some((c) => c.pendingSends > 0) && Date.now() < deadline) await pause(50);
    const members = await membershipsOf(w.store, [...new Set(clients.map((c) => c.userId))]);
    const convIds = [...new Set([...members.values()].flat())];
    const seqs = await lastSeqs(w.store, convIds);
    const versions = opts.versions ? await lastVersions(w.store, convIds) : null;
    const lagging = clients.filter((c) => {
      const mine = members.get(c.userId) ?? [];
      const targets = new Map(mine.map((id) => [id, seqs.get(id) ?? 0] as const));
      const vt = versions
        ? new Map(mine.map((id) => [id, versions.get(id) ?? 0] as const))
        : undefined;
      return !c.isSettled(targets, vt);
    });
    if (lagging.length === 0) return [];
    if (Date.now() > deadline) return lagging.map((c) => c.name);
    await pause(100);
  }
}

/** `PRAGMA integrity_check` on the SQLite file (a separate read-only connection). */
export function sqliteIntegrity(db: TestDatabase): string {
  const file = path.join(db.dataDir, 'parley.db');
  const conn = new Database(file, { readonly: true });
  try {
    const rows = conn.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    conn.close();
  }
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A whole number in [lo, hi] from the run's random source. */
export function between(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export { seededRandom };
