import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { now, sleep } from '../lib/clock.js';
import { Hist } from '../lib/hist.js';
import { split } from '../lib/pool.js';
import { RESULTS_DIR, subtitle, writeResults, type Context } from '../lib/report.js';
import { dbFile } from '../lib/seed.js';
import { CACHE_DIR } from '../lib/servers.js';
import {
  prepare,
  seedPopulation,
  startGenerators,
  type PopulationSpec,
  type System,
} from '../lib/setup.js';
import { round, runStep, stepLine, type StepResult } from '../lib/step.js';
import { chart, COLORS } from '../lib/svg.js';

const ARCHIVE_USERS = 200;
const ARCHIVE_GROUPS = 1000;
const FILLER =
  'the quick brown fox jumps over the lazy dog while the meeting notes are still being written up ';

interface Layout {
  spec: PopulationSpec;
  pairs: number;
  /** Direct index of the big conversation and its reader's user index. */
  bigDirect: number;
  reader: number;
}

/**
 * The history database: `pairs` empty direct conversations for the dm load, one direct
 * conversation holding `big` messages, and the rest of `total` spread over 1,000 archive groups.
 */
function layout(pairs: number): Layout {
  const directs: Array<[number, number]> = [];
  for (let i = 0; i < pairs; i++) directs.push([2 * i, 2 * i + 1]);
  directs.push([2 * pairs, 2 * pairs + 1]);
  const first = 2 * pairs + 2;
  const groups = Array.from({ length: ARCHIVE_GROUPS }, (_, g) =>
    [0, 1, 2].map((k) => first + ((g * 3 + k) % ARCHIVE_USERS)),
  );
  return {
    spec: { users: first + ARCHIVE_USERS, directs, groups },
    pairs,
    bigDirect: pairs,
    reader: 2 * pairs,
  };
}

/** Builds (once) and caches the history database under bench/.cache. */
async function historyDatabase(
  ctx: Context,
  l: Layout,
  total: number,
  big: number,
): Promise<string> {
  // v2: messages carry their version (each message's creation is its conversation's change).
  const file = path.join(CACHE_DIR, `history-v2-p${l.pairs}-${total}-${big}.db`);
  if (existsSync(file)) return file;
  ctx.log(`building the history database (${total} messages, ${big} in one conversation) …`);
  const t0 = now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-history-'));
  const { seeder, userIds, directIds, groupIds } = await seedPopulation(dir, l.spec);
  const db = seeder.db;
  const insert = db.prepare(
    `insert into messages (conversation_id, seq, version, sender_id, client_id, kind, body, meta, created_at)
     values (?, ?, ?, ?, ?, 'text', ?, null, ?)`,
  );
  // Rows in time order, the big conversation's interleaved with the archive's as real traffic is.
  const start = Date.now() - total * 30_000;
  const bigConv = directIds[l.bigDirect]!;
  const bigUsers = l.spec.directs[l.bigDirect]!.map((u) => userIds[u]!);
  const groupUsers = l.spec.groups.map((g) => g.map((u) => userIds[u]!));
  const seqs = new Map<number, number>();
  const BATCH = 100_000;
  let bigLeft = big;
  let g = 0;
  for (let i = 0; i < total; i += BATCH) {
    db.transaction(() => {
      for (let j = i; j < Math.min(i + BATCH, total); j++) {
        // the big conversation takes its share evenly over the whole timeline
        const takeBig = bigLeft > 0 && Math.floor(((j + 1) * big) / total) > big - bigLeft;
        const conversation = takeBig ? bigConv : groupIds[g]!;
        const senders = takeBig ? bigUsers : groupUsers[g]!;
        if (takeBig) bigLeft--;
        else g = (g + 1) % ARCHIVE_GROUPS;
        const seq = (seqs.get(conversation) ?? 0) + 1;
        seqs.set(conversation, seq);
        const off = (seq * 7) % 60;
        insert.run(
          conversation,
          seq,
          seq,
          senders[seq % senders.length],
          `h${seq}`,
          `message ${seq}: ${FILLER.slice(off)}${FILLER.slice(0, off)}`.slice(0, 100),
          start + j * 30_000,
        );
      }
    })();
  }
  db.transaction(() => {
    const conv = db.prepare(
      'update conversations set last_seq = ?, last_version = ?, last_message_at = ? where id = ?',
    );
    const mem = db.prepare(
      'update members set delivered_seq = ?, read_seq = ? where conversation_id = ?',
    );
    for (const [conversation, seq] of seqs) {
      conv.run(seq, seq, Date.now(), conversation);
      mem.run(seq, seq, conversation);
    }
  })();
  seeder.close();
  mkdirSync(CACHE_DIR, { recursive: true });
  renameSync(dbFile(dir), `${file}.tmp`);
  renameSync(`${file}.tmp`, file);
  rmSync(dir, { recursive: true, force: true });
  ctx.log(`history database ready in ${Math.round((now() - t0) / 1000)} s: ${file}`);
  return file;
}

type Kind = 'newest' | 'middle' | 'oldest' | 'changes newest' | 'changes middle' | 'changes oldest';
const PAGE_KINDS: Kind[] = ['newest', 'middle', 'oldest'];
const CHANGE_KINDS: Kind[] = ['changes newest', 'changes middle', 'changes oldest'];
const KINDS: Kind[] = [...PAGE_KINDS, ...CHANGE_KINDS];
const CHANGES_LIMIT = 100;

/** The request of a phase: a history page by seq, or a page of the change stream by version. */
function pageQuery(kind: Kind, big: number): string {
  switch (kind) {
    case 'newest':
      return 'messages?limit=50';
    case 'middle':
      return `messages?before=${Math.floor(big / 2) + 1}&limit=50`;
    case 'oldest':
      return 'messages?before=51&limit=50';
    case 'changes newest':
      return `changes?since=${big - CHANGES_LIMIT}&limit=${CHANGES_LIMIT}`;
    case 'changes middle':
      return `changes?since=${Math.floor(big / 2)}&limit=${CHANGES_LIMIT}`;
    case 'changes oldest':
      return `changes?since=0&limit=${CHANGES_LIMIT}`;
  }
}

const routeOf = (kind: Kind) =>
  kind.startsWith('changes') ? '/api/conversations/:id/changes' : '/api/conversations/:id/messages';

/** Server-side duration buckets of one route, from Parley's /metrics. */
function routeBuckets(m: Map<string, number>, route: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, v] of m) {
    if (!k.startsWith('parley_http_request_duration_seconds_bucket')) continue;
    if (!k.includes(`route="${route}"`) || !k.includes('status="200"')) continue;
    const le = /le="([^"]+)"/.exec(k)?.[1];
    if (le) out.set(le === '+Inf' ? Infinity : Number(le), v);
  }
  return out;
}

/** The bucket edge (ms) under which a share of the requests between two scrapes finished. */
function bucketBound(before: Map<number, number>, after: Map<number, number>, q: number) {
  const edges = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const e of edges) {
    if ((after.get(e) ?? 0) - (before.get(e) ?? 0) >= q * total) return { ms: e * 1000, n: total };
  }
  return { ms: Infinity, n: total };
}

interface PagePhase {
  client: ReturnType<Hist['summary']>;
  serverP50UpToMs?: number;
  serverP99UpToMs?: number;
  serverUnder1ms?: number;
  requests: number;
  firstSeq?: number;
  lastSeq?: number;
}

export async function runHistory(ctx: Context): Promise<void> {
  const total = ctx.num('messages', 1_000_000);
  const big = ctx.num('big', 200_000);
  const pairs = ctx.num('pairs', 500);
  const workers = ctx.num('workers', 2);
  const pageSeconds = ctx.num('page-seconds', 6);
  let rate = ctx.num('rate', 0);
  if (!rate) {
    try {
      const dm = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'dm.json'), 'utf8'));
      rate = Math.max(100, Math.round((dm.results?.parley?.sustained ?? 0) / 2));
    } catch {
      rate = 1000;
    }
  }
  const l = layout(pairs);
  const template = await historyDatabase(ctx, l, total, big);
  const slicesOfPairs = split(
    Array.from({ length: pairs }, (_, i) => i),
    workers,
  );
  const slices = slicesOfPairs.map((ps) => ps.flatMap((i) => [2 * i, 2 * i + 1]));
  const results: Partial<
    Record<
      System,
      { dm: StepResult; pages: Record<Kind, PagePhase>; database?: Record<Kind, unknown> }
    >
  > = {};

  for (const system of ctx.systems()) {
    await ctx.settle(system);
    const p = await prepare(system, l.spec, { log: ctx.log, template, keep: true });
    try {
      const { gens } = await startGenerators(p, slices, { log: ctx.log });
      const senders = slicesOfPairs.map((ps) =>
        ps.flatMap((i, j) => [
          [2 * j, p.directIds[i]!] as [number, number],
          [2 * j + 1, p.directIds[i]!] as [number, number],
        ]),
      );
      const bigConv = p.directIds[l.bigDirect]!;
      const token = p.tokens[l.reader];
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const get = async (kind: Kind) => {
        const r = await fetch(
          `${p.server.url}/api/conversations/${bigConv}/${pageQuery(kind, big)}`,
          { headers },
        );
        const text = await r.text();
        if (!r.ok) throw new Error(`page ${kind}: ${r.status} ${text.slice(0, 200)}`);
        return text;
      };
      // warm the route and check the pages are what they claim to be
      const pages: Partial<Record<Kind, PagePhase>> = {};
      const kinds = system === 'parley' ? KINDS : PAGE_KINDS;
      for (const kind of kinds) {
        const page = JSON.parse(await get(kind)) as { messages: Array<{ seq: number }> };
        pages[kind] = {
          client: new Hist().summary(),
          requests: 0,
          firstSeq: page.messages[0]?.seq,
          lastSeq: page.messages.at(-1)?.seq,
        };
        for (let i = 0; i < 50; i++) await get(kind);
      }
      const warmMs = 2000;
      const measureMs = kinds.length * pageSeconds * 1000 + 1000;
      const dmStep = runStep(p.server, gens, {
        tag: `${system[0]}h`,
        rate,
        warmMs,
        measureMs,
        drainMs: ctx.num('drain', 10) * 1000,
        senders,
        recipientsPerMessage: 1,
        bodyBytes: 100,
        p99Limit: ctx.num('p99', 200),
      });
      await sleep(warmMs + 800);
      for (const kind of kinds) {
        const hist = new Hist();
        const before = routeBuckets(await p.server.scrape(), routeOf(kind));
        const until = now() + pageSeconds * 1000;
        let n = 0;
        while (now() < until) {
          const t = now();
          await get(kind);
          hist.record(now() - t);
          n++;
          await sleep(5);
        }
        const after = routeBuckets(await p.server.scrape(), routeOf(kind));
        const phase = pages[kind]!;
        phase.client = round(hist.summary());
        phase.requests = n;
        if (system === 'parley') {
          phase.serverP50UpToMs = bucketBound(before, after, 0.5).ms;
          phase.serverP99UpToMs = bucketBound(before, after, 0.99).ms;
          const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
          phase.serverUnder1ms =
            Math.round((((after.get(0.001) ?? 0) - (before.get(0.001) ?? 0)) / total) * 1000) / 10;
        }
        ctx.log(
          `${system} ${kind.padEnd(14)} page (seqs ${phase.firstSeq}…${phase.lastSeq}): client p50 ${phase.client.p50} p99 ${phase.client.p99} max ${phase.client.max} ms over ${n} requests${phase.serverP99UpToMs !== undefined ? `; server p50 ≤ ${phase.serverP50UpToMs} ms, p99 ≤ ${phase.serverP99UpToMs} ms (${phase.serverUnder1ms}% under 1 ms)` : ''}`,
        );
      }
      const dm = await dmStep;
      ctx.log(stepLine(`${system} dm`, dm));
      await Promise.all(gens.map((g) => g.close()));
      results[system] = { dm, pages: pages as Record<Kind, PagePhase> };
    } finally {
      await p.server.stop();
    }
    if (system === 'parley') {
      // The page query alone, straight on the database file (what an index can do at best).
      const db = new SQLite(dbFile(p.dataDir), { readonly: true });
      const conv = p.directIds[l.bigDirect]!;
      const newest = db.prepare(
        'select * from messages where conversation_id = ? order by seq desc limit ?',
      );
      const before = db.prepare(
        'select * from messages where conversation_id = ? and seq < ? order by seq desc limit ?',
      );
      const cursors = db.prepare(
        'select user_id, delivered_seq, read_seq from members where conversation_id = ?',
      );
      const changes = db.prepare(
        'select * from messages where conversation_id = ? and version > ? order by version limit ?',
      );
      const since: Record<string, number> = {
        'changes newest': big - CHANGES_LIMIT,
        'changes middle': Math.floor(big / 2),
        'changes oldest': 0,
      };
      const database: Record<string, unknown> = {};
      for (const kind of KINDS) {
        const h = new Hist();
        for (let i = 0; i < 2000; i++) {
          const t = now();
          if (kind === 'newest') newest.all(conv, 51);
          else if (kind in since) changes.all(conv, since[kind], CHANGES_LIMIT + 1);
          else before.all(conv, kind === 'middle' ? Math.floor(big / 2) + 1 : 51, 51);
          cursors.all(conv);
          h.record(now() - t);
        }
        database[kind] = round(h.summary());
      }
      db.close();
      results.parley!.database = database;
      ctx.log(
        `database time per page (query + cursors, no load): ${KINDS.map((k) => `${k} p50 ${(database[k] as any).p50} p99 ${(database[k] as any).p99} ms`).join('; ')}`,
      );
    }
    rmSync(p.dataDir, { recursive: true, force: true });
  }

  const systems = (['parley', 'baseline'] as const).filter((s) => results[s]);
  const series = systems.flatMap((s) => {
    const name = s === 'parley' ? 'Parley' : 'bare (page from memory)';
    const [c50, c99] =
      s === 'parley'
        ? [COLORS.parleyLight, COLORS.parley]
        : [COLORS.baselineLight, COLORS.baseline];
    return [
      {
        label: `${name} p50`,
        color: c50,
        values: KINDS.map((k) => results[s]!.pages[k]?.client.p50 ?? null),
      },
      {
        label: `${name} p99`,
        color: c99,
        values: KINDS.map((k) => results[s]!.pages[k]?.client.p99 ?? null),
      },
    ];
  });
  const panels = [
    {
      kind: 'bar' as const,
      title: `GET …/messages?limit=50 and …/changes?limit=${CHANGES_LIMIT}, client-observed, dm load ${rate} msg/s`,
      yLabel: 'ms',
      categories: KINDS.map((k) => `${k} page`),
      series,
      hlines: [{ y: 2, label: 'target p99 2 ms (server side)' }],
    },
  ];
  if (results.parley?.database) {
    const d = results.parley.database as Record<Kind, { p50: number; p99: number }>;
    panels.push({
      kind: 'bar' as const,
      title: 'Parley: the SQL alone (page + cursors, no load)',
      yLabel: 'ms',
      categories: KINDS.map((k) => `${k} page`),
      series: [
        { label: 'p50', color: COLORS.parleyLight, values: KINDS.map((k) => d[k].p50) },
        { label: 'p99', color: COLORS.parley, values: KINDS.map((k) => d[k].p99) },
      ],
      hlines: [],
    });
  }
  const svg = chart({
    title: `history: ${total.toLocaleString('en')} messages, ${big.toLocaleString('en')} in the conversation paged — newest, middle and oldest page`,
    subtitle: subtitle(ctx),
    panels,
  });
  await writeResults(
    ctx,
    ctx.str('name', 'history'),
    { messages: total, bigConversation: big, dmRate: rate, results },
    svg,
  );
}
