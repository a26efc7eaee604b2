// Security row S6: the refresh-token grace of PROTOCOL's amendments of v1.1. The generation just
// rotated away answers with the current cookie for 10 seconds; anything older, or later, is reuse.
import { decodeJwt } from 'jose';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events.js';
import { refreshCookieOf, registerUser, type TestUser } from '../helpers/api.js';
import { testDbKind } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
/** The server's clock runs this far ahead of the wall clock; tests move it forward only. */
let ahead = 0;
const revoked: number[] = [];
const web = { 'x-parley-client': 'web' };

beforeAll(async () => {
  t = await startTestServer({}, { overrides: { now: () => Date.now() + ahead } });
  t.deps.events.subscribe((e: DomainEvent) => {
    if (e.type === 'sessions.revoked' && Array.isArray(e.sessionIds)) revoked.push(...e.sessionIds);
  });
});
afterAll(async () => {
  await t?.close();
});

const refresh = (cookie: string) =>
  t.api.post('/api/auth/refresh', undefined, { cookie, headers: web });
const me = (token: string) => t.api.get('/api/users/me', { token });
const sessionIdOf = (accessToken: string) => decodeJwt(accessToken).sid as number;

async function generationOf(sessionId: number): Promise<number> {
  const row = await t.deps.db
    .selectFrom('sessions')
    .select('refresh_gen')
    .where('id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return Number(row.refresh_gen);
}

/** Refreshes once and answers the next cookie with its access token. */
async function rotate(cookie: string): Promise<{ cookie: string; token: string }> {
  const r = await refresh(cookie);
  expect(r.status).toBe(200);
  return { cookie: refreshCookieOf(r)!, token: r.body.accessToken as string };
}

async function expectRevoked(u: TestUser, presented: string, later: string[], tokens: string[]) {
  const res = await refresh(presented);
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('session_expired');
  expect(res.headers.getSetCookie().some((c) => /^parley_refresh=;/.test(c))).toBe(true);
  expect(revoked).toContain(sessionIdOf(u.token));
  for (const cookie of later) expect((await refresh(cookie)).status).toBe(401);
  for (const token of [u.token, ...tokens]) {
    const r = await me(token);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('session_expired');
  }
}

/**
 * Locks a session's row from a connection of our own: refreshes can still read it, then wait
 * to write, so they all read one generation and all but one lose the rotation. `waiting` asks
 * on a second connection: a transaction sees the server's activity as of its first look.
 */
async function holdSessionRow(sessionId: number) {
  const url = t.db.url!;
  if (t.db.kind === 'postgres') {
    const holder = new pg.Client({ connectionString: url });
    const watcher = new pg.Client({ connectionString: url });
    await Promise.all([holder.connect(), watcher.connect()]);
    await holder.query('begin');
    await holder.query('select id from sessions where id = $1 for update', [sessionId]);
    return {
      waiting: async () =>
        (
          await watcher.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`,
          )
        ).rows[0]!.n,
      release: async () => {
        await holder.query('commit');
        await Promise.all([holder.end(), watcher.end()]);
      },
    };
  }
  const holder = await createConnection(url);
  const watcher = await createConnection(url);
  await holder.query('start transaction');
  await holder.query('select id from sessions where id = ? for update', [sessionId]);
  return {
    waiting: async () => {
      // MariaDB lists no waiting autocommit statement among its transactions: ask what runs.
      const [rows] = await watcher.query(
        `select count(*) as n from information_schema.processlist
          where db = database() and command = 'Query' and info like 'update %sessions%'`,
      );
      return Number((rows as Array<{ n: number | string }>)[0]!.n);
    },
    release: async () => {
      await holder.query('commit');
      await Promise.all([holder.end(), watcher.end()]);
    },
  };
}

describe('S6: refresh grace', () => {
  it('answers the generation just replaced with the current cookie, rotating nothing', async () => {
    const u = await registerUser(t.api);
    const sid = sessionIdOf(u.token);
    const g1 = await rotate(u.cookie);
    ahead += 9_000;
    const again = await refresh(u.cookie);
    expect(again.status).toBe(200);
    expect(refreshCookieOf(again)).toBe(g1.cookie);
    expect(await generationOf(sid)).toBe(1);
    expect((await me(again.body.accessToken)).status).toBe(200);
    // Both holders of generation 1 carry on, and the session keeps rotating normally.
    const g2 = await rotate(g1.cookie);
    expect(g2.cookie).not.toBe(g1.cookie);
    expect((await me(g2.token)).status).toBe(200);
    expect((await me(g1.token)).status).toBe(200);
    expect(revoked).not.toContain(sid);
  });

  it('revokes when the replaced generation comes back after the 10 seconds', async () => {
    const u = await registerUser(t.api);
    const g1 = await rotate(u.cookie);
    ahead += 6_000;
    // Inside the grace; answering it must not start a new one.
    expect(refreshCookieOf(await refresh(u.cookie))).toBe(g1.cookie);
    ahead += 4_500;
    await expectRevoked(u, u.cookie, [g1.cookie], [g1.token]);
  });

  it('revokes at once when a generation older than the last comes back', async () => {
    const u = await registerUser(t.api);
    const g1 = await rotate(u.cookie);
    const g2 = await rotate(g1.cookie);
    await expectRevoked(u, u.cookie, [g2.cookie, g1.cookie], [g1.token, g2.token]);
  });

  it('gives nothing back for a session that has ended', async () => {
    const u = await registerUser(t.api);
    await rotate(u.cookie);
    expect((await t.api.post('/api/auth/logout', undefined, { token: u.token })).status).toBe(204);
    const res = await refresh(u.cookie);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_expired');
    expect(res.body).not.toHaveProperty('accessToken');
  });

  // SQLite runs one statement at a time in this process, so another connection cannot hold
  // its writers back; there, the concurrent test in security-tokens.test.ts covers the race.
  it.runIf(testDbKind() !== 'sqlite')(
    "answers the refreshes that lose the rotation race with the winner's cookie",
    async () => {
      const u = await registerUser(t.api);
      const sid = sessionIdOf(u.token);
      const lock = await holdSessionRow(sid);
      let answers: Promise<Awaited<ReturnType<typeof refresh>>[]>;
      try {
        answers = Promise.all(Array.from({ length: 3 }, () => refresh(u.cookie)));
        const deadline = Date.now() + 10_000;
        while ((await lock.waiting()) < 3 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(await lock.waiting()).toBe(3);
      } finally {
        await lock.release();
      }
      const all = await answers;
      expect(all.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(new Set(all.map((r) => refreshCookieOf(r))).size).toBe(1);
      expect(await generationOf(sid)).toBe(1);
      for (const r of all) expect((await me(r.body.accessToken)).status).toBe(200);
      expect(revoked).not.toContain(sid);
    },
  );
});
