import { rmSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sleep } from '../lib/clock.js';
import { split } from '../lib/pool.js';
import { profiling, sqlTracing, writeProfileSummary, writeSqlSummary } from '../lib/profile.js';
import { RESULTS_DIR, subtitle, writeResults, type Context } from '../lib/report.js';
import { dbFile } from '../lib/seed.js';
import {
  prepare,
  startGenerators,
  type PopulationSpec,
  type Prepared,
  type System,
} from '../lib/setup.js';
import { ramp, sustained, type Lane, type StepPlan, type StepResult } from '../lib/step.js';
import { chart, COLORS, type Series } from '../lib/svg.js';

export const DM_RATES = [
  250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000,
  20000,
];

export interface DmLoad {
  spec: PopulationSpec;
  /** User indexes per generator (both members of a pair in the same one). */
  slices: number[][];
  /** Per generator: [local client index, conversation index]. */
  senders: Array<Array<[number, number]>>;
}

/** `pairs` direct conversations between users 2i and 2i+1; each user writes to its peer. */
export function dmLoad(pairs: number, workers: number, firstUser = 0): DmLoad {
  const pairIdx = Array.from({ length: pairs }, (_, i) => i);
  const slicesOfPairs = split(pairIdx, workers);
  return {
    spec: {
      users: firstUser + 2 * pairs,
      directs: pairIdx.map((i) => [firstUser + 2 * i, firstUser + 2 * i + 1] as [number, number]),
      groups: [],
    },
    slices: slicesOfPairs.map((ps) =>
      ps.flatMap((i) => [firstUser + 2 * i, firstUser + 2 * i + 1]),
    ),
    senders: slicesOfPairs.map((ps) =>
      ps.flatMap((i, j) => [[2 * j, i] as [number, number], [2 * j + 1, i] as [number, number]]),
    ),
  };
}

export function dmPlan(
  ctx: Context,
  p: Prepared,
  load: DmLoad,
  tag: string,
  rate: number,
): StepPlan {
  return {
    tag,
    rate,
    warmMs: ctx.num('warm', 1) * 1000,
    measureMs: ctx.num('measure', 5) * 1000,
    drainMs: ctx.num('drain', 10) * 1000,
    senders: load.senders.map((s) =>
      s.map(([c, conv]) => [c, p.directIds[conv]!] as [number, number]),
    ),
    recipientsPerMessage: 1,
    bodyBytes: ctx.num('body', 100),
    p99Limit: ctx.num('p99', 200),
  };
}

export function countMessages(dataDir: string): number {
  const db = new SQLite(dbFile(dataDir), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export interface DmSystemResult {
  label: string;
  system: System;
  sync?: 'FULL' | 'NORMAL';
  steps: StepResult[];
  sustained: number;
  connectMs: number;
  acked: number;
  storedMessages?: number;
}

export interface DmLaneConfig {
  label: string;
  system: System;
  sync?: 'FULL' | 'NORMAL';
  profileTo?: string;
  sqlTo?: string;
}

/**
 * Starts every configured system (each with its own generators), ramps them side by side,
 * then stops them; for Parley, checks that every acked message is in the database.
 */
export async function dmLanes(
  ctx: Context,
  configs: DmLaneConfig[],
  rates = ctx.list('rates', DM_RATES),
): Promise<DmSystemResult[]> {
  const load = dmLoad(ctx.num('pairs', 500), ctx.num('workers', 2));
  const started: Array<{
    c: DmLaneConfig;
    p: Prepared;
    lane: Lane;
    connectMs: number;
    prof: ReturnType<typeof profiling> | null;
    trace: ReturnType<typeof sqlTracing> | null;
  }> = [];
  try {
    for (const c of configs) {
      const prof = c.profileTo ? profiling() : null;
      const trace = c.sqlTo ? sqlTracing() : null;
      const p = await prepare(c.system, load.spec, {
        log: ctx.log,
        sync: c.sync,
        keep: true,
        nodeArgs: [...(prof?.nodeArgs ?? []), ...(trace?.nodeArgs ?? [])],
        // --search-off: the same run without the search index, to price indexing on the send path.
        env: {
          ...trace?.env,
          ...(ctx.flag('search-off') && c.system === 'parley' ? { SEARCH_ENABLED: 'false' } : {}),
        },
      });
      const entry = { c, p, prof, trace, connectMs: 0, lane: null as unknown as Lane };
      started.push(entry);
      const { gens, connect } = await startGenerators(p, load.slices, { log: ctx.log });
      entry.connectMs = Math.round(Math.max(...connect.map((x) => x.wallMs)));
      entry.lane = {
        name: c.label,
        server: p.server,
        gens,
        plan: (rate, i) => dmPlan(ctx, p, load, `${c.label[0]}${started.length}-${i}x`, rate),
        steps: [],
        unreported: [],
      };
    }
    await sleep(2000);
    await ramp(
      started.map((e) => e.lane),
      {
        rates,
        mustInclude: rates.includes(5000) ? 5000 : undefined,
        log: ctx.log,
        warmupSeconds: ctx.num('warmup', 3),
        retries: ctx.num('retries', 1),
      },
    );
  } finally {
    for (const e of started) {
      await Promise.all((e.lane?.gens ?? []).map((g) => g.close()));
      await e.p.server.stop();
    }
  }
  const results: DmSystemResult[] = [];
  for (const { c, p, lane, connectMs, prof, trace } of started) {
    const acked = [...lane.unreported, ...lane.steps].reduce((a, s) => a + s.acked, 0);
    const r: DmSystemResult = {
      label: c.label,
      system: c.system,
      ...(c.sync && { sync: c.sync }),
      steps: lane.steps,
      sustained: sustained(lane.steps),
      connectMs,
      acked,
    };
    if (c.system === 'parley') {
      r.storedMessages = countMessages(p.dataDir);
      ctx.log(
        `${c.label}: ${acked} messages acked, ${r.storedMessages} in the database after shutdown`,
      );
    }
    rmSync(p.dataDir, { recursive: true, force: true });
    if (prof && c.profileTo) writeProfileSummary(prof.dir, c.profileTo, ctx.log);
    if (trace && c.sqlTo) {
      writeSqlSummary(trace.file, c.sqlTo, { name: 'messages', count: acked }, ctx.log);
    }
    ctx.log(
      `${c.label}: highest rate sustained (p99 < ${ctx.num('p99', 200)} ms, no loss, no failed ack): ${r.sustained} msg/s`,
    );
    results.push(r);
  }
  return results;
}

export interface Line {
  label: string;
  color: string;
  steps: StepResult[];
}

/** Parley and the baseline as the two lines of a latency chart. */
export function systemLines(results: Partial<Record<System, { steps: StepResult[] }>>): Line[] {
  return (['parley', 'baseline'] as const).flatMap((s) =>
    results[s]
      ? [
          {
            label: s === 'parley' ? 'Parley' : 'bare Socket.IO',
            color: s === 'parley' ? COLORS.parley : COLORS.baseline,
            steps: results[s].steps,
          },
        ]
      : [],
  );
}

/** p50/p95/p99 against offered load; hollow points are steps that failed or were invalid. */
export function latencyPanels(
  lines: Line[],
  pick: (s: StepResult) => { p50: number; p95: number; p99: number },
  title: string,
  xLabel: string,
  limit: number,
  x: (s: StepResult) => number = (s) => s.rate,
) {
  const series: Series[] = [];
  for (const line of lines) {
    const pts = (k: 'p50' | 'p95' | 'p99') =>
      line.steps.map((s) => ({ x: x(s), y: pick(s)[k], hollow: !s.pass || s.generatorSaturated }));
    series.push({ label: `${line.label} p99`, color: line.color, width: 2.5, points: pts('p99') });
    series.push({
      label: `${line.label} p95`,
      color: line.color,
      width: 1.5,
      dash: '6,3',
      points: pts('p95'),
    });
    series.push({
      label: `${line.label} p50`,
      color: line.color,
      width: 1,
      dash: '2,2',
      points: pts('p50'),
    });
  }
  return {
    kind: 'line' as const,
    title,
    xLabel,
    yLabel: 'latency, ms (log scale)',
    logY: true,
    series,
    hlines: [{ y: limit, label: `${limit} ms` }],
  };
}

export async function runDm(ctx: Context): Promise<void> {
  const sync = ctx.str('sync', 'FULL').toUpperCase() as 'FULL' | 'NORMAL';
  await ctx.settle('dm');
  const list = await dmLanes(
    ctx,
    ctx.systems().map((system) => ({
      label: system,
      system,
      ...(system === 'parley' && {
        sync,
        ...(ctx.flag('cpu-prof') && { profileTo: path.join(RESULTS_DIR, 'dm-profile.txt') }),
        ...(ctx.flag('sql-trace') && { sqlTo: path.join(RESULTS_DIR, 'dm-sql.txt') }),
      }),
    })),
  );
  const results: Partial<Record<System, DmSystemResult>> = {};
  for (const r of list) results[r.system] = r;
  const p = results.parley;
  const b = results.baseline;
  const ratio = p && b && b.sustained ? Math.round((p.sustained / b.sustained) * 100) / 100 : null;
  if (ratio !== null) ctx.log(`Parley ÷ baseline (sustained rate): ${ratio}`);
  const limit = ctx.num('p99', 200);
  const svg = chart({
    title: `dm: ${ctx.num('pairs', 500)} direct conversations, open-loop ramp — Parley (SQLite ${sync}) vs bare Socket.IO relay`,
    subtitle: subtitle(ctx),
    panels: [
      latencyPanels(
        systemLines(results),
        (s) => s.recipient,
        'scheduled send → recipient message:new',
        'offered load, messages/s',
        limit,
      ),
      latencyPanels(
        systemLines(results),
        (s) => s.ack,
        'scheduled send → sender ack',
        'offered load, messages/s',
        limit,
      ),
    ],
  });
  const name = ctx.str('name', sync === 'FULL' ? 'dm' : `dm-${sync.toLowerCase()}`);
  await writeResults(ctx, name, { sync, results, parleyOverBaseline: ratio }, svg);
}
