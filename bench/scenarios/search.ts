import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { indexWords } from '../../protocol/search.js';
import { openDatabase, type DatabaseHandle } from '../../server/db/database.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import type { DatabaseKind } from '../../server/config.js';
import { now } from '../lib/clock.js';
import { Hist, type Summary } from '../lib/hist.js';
import { subtitle, writeResults, type Context } from '../lib/report.js';
import { accessTokens, dbFile, passwordHash } from '../lib/seed.js';
import { CACHE_DIR, startParley } from '../lib/servers.js';
import { round } from '../lib/step.js';
import { chart, COLORS } from '../lib/svg.js';

const GROUPS = 100;
const FILLER =
  'the quick brown fox jumps over the lazy dog while the meeting notes are still being written up ';
/** One message in this many holds the rare word. */
const RARE_EVERY = 50_000;
const RARE = 'zyzzyva';
const QUERIES: Record<string, string> = {
  common: 'meeting',
  rare: RARE,
  'two words': 'meeting notes',
  prefix: 'meet',
};
const PG_ADMIN = process.env.PARLEY_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The body of message i (of its group's seq): rotating filler, the rare word now and then. */
function body(i: number, seq: number): string {
  const off = (seq * 7) % 60;
  const text = `message ${seq}: ${FILLER.slice(off)}${FILLER.slice(0, off)}`.slice(0, 100);
  return i % RARE_EVERY === 0 ? `${text} ${RARE}` : text;
}

/**
 * Writes the corpus through the server's own schema: one reader in GROUPS groups holding
 * `total` messages between them, every message in the search index. Answers the reader's id.
 */
async function fill(h: DatabaseHandle, kind: DatabaseKind, total: number): Promise<number> {
  const db = h.db;
  await migrateToLatest(db, kind);
  const hash = await passwordHash();
  const t0 = Date.now();
  const users = ['reader', 'writer'].map((name) => ({
    username: name,
    username_key: name,
    email: `${name}@bench.example`,
    email_key: `${name}@bench.example`,
    password_hash: hash,
    display_name: name,
    bio: '',
    is_active: 1,
    is_admin: 0,
    created_at: t0,
  }));
  await db.insertInto('users').values(users).execute();
  const ids = (await db.selectFrom('users').select(['id', 'username']).execute()).sort((a, b) =>
    a.username.localeCompare(b.username),
  );
  const reader = ids.find((u) => u.username === 'reader')!.id;
  const writer = ids.find((u) => u.username === 'writer')!.id;
  const per = Math.ceil(total / GROUPS);
  for (let g = 0; g < GROUPS; g++) {
    await db
      .insertInto('conversations')
      .values({
        kind: 'group',
        name: `archive ${g}`,
        topic: '',
        is_private: 1,
        created_by: writer,
        created_at: t0,
        last_seq: 0,
        last_message_at: t0,
        direct_key: null,
      })
      .execute();
  }
  const convIds = (await db.selectFrom('conversations').select('id').orderBy('id').execute()).map(
    (c) => c.id,
  );
  await db
    .insertInto('members')
    .values(
      convIds.flatMap((c) =>
        [writer, reader].map((u) => ({
          conversation_id: c,
          user_id: u,
          role: u === writer ? ('owner' as const) : ('member' as const),
          joined_at: t0,
          delivered_seq: per,
          read_seq: per,
          muted: 0,
        })),
      ),
    )
    .execute();
  const BATCH = 1000;
  let i = 0;
  while (i < total) {
    await db.transaction().execute(async (trx) => {
      for (let b = 0; b < 50 && i < total; b++) {
        const rows = [];
        for (let k = 0; k < BATCH && i < total; k++, i++) {
          const g = i % GROUPS;
          const seq = Math.floor(i / GROUPS) + 1;
          rows.push({
            conversation_id: convIds[g]!,
            seq,
            version: seq,
            sender_id: writer,
            client_id: `s${i}`,
            kind: 'text' as const,
            body: body(i, seq),
            meta: null,
            created_at: t0 - (total - i) * 1000,
          });
        }
        await trx.insertInto('messages').values(rows).execute();
      }
    });
  }
  await sql`update conversations set last_seq = ${per}, last_version = ${per}`.execute(db);
  // The index, filled the way the send path fills it.
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('messages')
      .select(['id', 'body'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH * 20)
      .execute();
    if (rows.length === 0) break;
    await db.transaction().execute(async (trx) => {
      for (let k = 0; k < rows.length; k += BATCH) {
        const chunk = rows.slice(k, k + BATCH);
        if (kind === 'sqlite') {
          await trx
            .insertInto('message_search')
            .values(chunk.map((r) => ({ rowid: r.id, words: indexWords(r.body).join(' ') })))
            .execute();
        } else if (kind === 'postgres') {
          await trx
            .insertInto('message_search')
            .values(
              chunk.map((r) => ({
                message_id: r.id,
                vector: sql<string>`array_to_tsvector(${indexWords(r.body)}::text[])`,
              })),
            )
            .execute();
        } else {
          await trx
            .insertInto('message_search')
            .values(chunk.map((r) => ({ message_id: r.id, words: indexWords(r.body).join(' ') })))
            .execute();
        }
      }
    });
    after = rows[rows.length - 1]!.id;
  }
  if (kind === 'postgres') await sql`analyze`.execute(db);
  return reader;
}

/** A session for the reader and its access token (the server runs with the bench secret). */
async function readerToken(h: DatabaseHandle, reader: number): Promise<string> {
  const t = Date.now();
  await h.db
    .insertInto('sessions')
    .values({
      user_id: reader,
      refresh_salt: `bench-${t}`,
      refresh_gen: 0,
      remember: 0,
      created_at: t,
      last_active_at: t,
      expires_at: t + 12 * 3_600_000,
      user_agent: 'parley-bench',
      ip: '127.0.0.1',
    })
    .execute();
  const s = await h.db
    .selectFrom('sessions')
    .select('id')
    .where('refresh_salt', '=', `bench-${t}`)
    .executeTakeFirstOrThrow();
  return (await accessTokens([reader], [s.id]))[0]!;
}

interface DbResult {
  messages: number;
  queries: Record<
    string,
    { q: string; results: number; client: Summary; serverP99UpToMs?: number }
  >;
}

/**
 * Search on the 1,000,000-message corpus: one common word (in every message), one rare word
 * (one message in 50,000), a two-word query and a prefix, on SQLite and PostgreSQL.
 */
export async function runSearch(ctx: Context): Promise<void> {
  const total = ctx.num('messages', 1_000_000);
  const requests = ctx.num('requests', 200);
  const kinds = ctx.str('dbs', 'sqlite,postgres').split(',') as DatabaseKind[];
  const results: Partial<Record<DatabaseKind, DbResult>> = {};
  for (const kind of kinds) {
    await ctx.settle(`search ${kind}`);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `parley-bench-search-${kind}-`));
    let url: string | null = null;
    let reader: number;
    let token: string;
    if (kind === 'sqlite') {
      const cached = path.join(CACHE_DIR, `search-v1-${total}.db`);
      if (!existsSync(cached)) {
        ctx.log(`building the SQLite search corpus (${total} messages) …`);
        const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-search-build-'));
        const h = openDatabase({ kind, url: null, dataDir: dir });
        await fill(h, kind, total);
        await h.close();
        mkdirSync(CACHE_DIR, { recursive: true });
        renameSync(dbFile(dir), `${cached}.tmp`);
        renameSync(`${cached}.tmp`, cached);
        rmSync(dir, { recursive: true, force: true });
      }
      copyFileSync(cached, dbFile(dataDir));
      const h = openDatabase({ kind, url: null, dataDir });
      reader = (
        await h.db
          .selectFrom('users')
          .select('id')
          .where('username', '=', 'reader')
          .executeTakeFirstOrThrow()
      ).id;
      token = await readerToken(h, reader);
      await h.close();
    } else {
      const name = `parley_bench_search_${total}`;
      url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
      const admin = openDatabase({ kind, url: PG_ADMIN, dataDir });
      const exists = await sql`select 1 from pg_database where datname = ${name}`.execute(admin.db);
      let h: DatabaseHandle;
      if (exists.rows.length === 0) {
        ctx.log(`building the PostgreSQL search corpus (${total} messages) …`);
        await sql.raw(`create database ${name}`).execute(admin.db);
        h = openDatabase({ kind, url, dataDir });
        await fill(h, kind, total);
      } else h = openDatabase({ kind, url, dataDir });
      await admin.close();
      reader = (
        await h.db
          .selectFrom('users')
          .select('id')
          .where('username', '=', 'reader')
          .executeTakeFirstOrThrow()
      ).id;
      token = await readerToken(h, reader);
      await h.close();
    }
    const server = await startParley({
      dataDir,
      log: ctx.log,
      env: {
        ...(url ? { DATABASE_URL: url } : {}),
        RATE_LIMIT_SEARCHES_PER_MINUTE: '1000000',
      },
    });
    const r: DbResult = { messages: total, queries: {} };
    try {
      for (const [label, q] of Object.entries(QUERIES)) {
        const get = async () => {
          const res = await fetch(`${server.url}/api/search?q=${encodeURIComponent(q)}&limit=20`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const text = await res.text();
          if (res.status !== 200)
            throw new Error(`search ${q}: ${res.status} ${text.slice(0, 200)}`);
          return JSON.parse(text) as { results: unknown[] };
        };
        let n = 0;
        for (let i = 0; i < 20; i++) n = (await get()).results.length;
        const hist = new Hist();
        for (let i = 0; i < requests; i++) {
          const t = now();
          await get();
          hist.record(now() - t);
        }
        r.queries[label] = { q, results: n, client: round(hist.summary()) };
        ctx.log(
          `${kind} ${label.padEnd(10)} "${q}": ${n} results/page; p50 ${r.queries[label].client.p50} ms, p99 ${r.queries[label].client.p99} ms over ${requests} requests`,
        );
      }
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    results[kind] = r;
  }
  const labels = Object.keys(QUERIES);
  const svg = chart({
    title: `search: ${total.toLocaleString('en')} messages in ${GROUPS} groups of one reader, page of 20, client-observed`,
    subtitle: subtitle(ctx),
    panels: [
      {
        kind: 'bar' as const,
        title: 'GET /api/search',
        yLabel: 'ms',
        categories: labels.map((l) => `${l} ("${QUERIES[l]}")`),
        series: kinds.flatMap((k) =>
          results[k]
            ? [
                {
                  label: `${k} p50`,
                  color: k === 'sqlite' ? COLORS.parleyLight : COLORS.baselineLight,
                  values: labels.map((l) => results[k]!.queries[l]!.client.p50),
                },
                {
                  label: `${k} p99`,
                  color: k === 'sqlite' ? COLORS.parley : COLORS.baseline,
                  values: labels.map((l) => results[k]!.queries[l]!.client.p99),
                },
              ]
            : [],
        ),
        hlines: [{ y: 50, label: 'goal p99 50 ms' }],
      },
    ],
  });
  await writeResults(
    ctx,
    ctx.str('name', 'search'),
    { messages: total, groups: GROUPS, results },
    svg,
  );
}
