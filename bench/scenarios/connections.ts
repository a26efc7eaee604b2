import { rmSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { now, sleep } from '../lib/clock.js';
import { Hist, type HistJson } from '../lib/hist.js';
import { fdCount, fdLimit } from '../lib/proc.js';
import { profiling, sqlTracing, writeProfileSummary, writeSqlSummary } from '../lib/profile.js';
import { RESULTS_DIR, subtitle, writeResults, type Context } from '../lib/report.js';
import { dbFile } from '../lib/seed.js';
import { prepare, startGenerators, type PopulationSpec, type System } from '../lib/setup.js';
import { round, waitServerIdle } from '../lib/step.js';
import { chart, COLORS, type BarPanel } from '../lib/svg.js';

/** Open files a server keeps besides sockets to clients (database, WAL, epoll, pipes…), plus slack. */
const FD_MARGIN = 24;
const GROUP_SIZE = 20;

/**
 * N users on a ring: each has direct conversations with the users one and two places away (4
 * in all) and belongs to one group of 20: five conversations, about 23 contacts, each.
 */
function population(n: number): PopulationSpec {
  const directs: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) directs.push([i, (i + 1) % n]);
  for (let i = 0; i < n; i++) directs.push([i, (i + 2) % n]);
  const groups: number[][] = [];
  for (let g = 0; g * GROUP_SIZE < n; g++) {
    groups.push(
      Array.from(
        { length: Math.min(GROUP_SIZE, n - g * GROUP_SIZE) },
        (_, j) => g * GROUP_SIZE + j,
      ),
    );
  }
  return { users: n, directs, groups };
}

interface StormReply {
  dropped: number;
  reconnected: number;
  lastReconnectMs: number;
  lastCatchUpMs: number;
  reconnect: HistJson;
  retries: number;
  reconnectErrors: Array<[string, number]>;
  catchUps: number;
  catchUpFailures: number;
  chatter: {
    scheduled: number;
    acked: number;
    lost: number;
    failedAcks: number;
    seqConflicts: number;
  };
  live: HistJson;
  cpuMs: number;
  wallMs: number;
}

export async function runConnections(ctx: Context): Promise<void> {
  const requested = ctx.num('count', 5000);
  const workers = ctx.num('workers', 4);
  const chatterPairs = ctx.num('chatter-pairs', 100);
  const chatterRate = ctx.num('chatter-rate', 200);
  const idleSeconds = ctx.num('idle', 10);
  const results: Partial<Record<System, any>> = {};

  for (const system of ctx.systems()) {
    await ctx.settle(system);
    const spec = population(requested);
    // Every generator gets its own destination address: 4-tuples (and ephemeral ports, and the
    // TIME_WAIT sockets a storm leaves behind) are then counted per generator, not all together.
    const spread = !ctx.flag('one-address');
    const prof = ctx.flag('cpu-prof') && system === 'parley' ? profiling() : null;
    const trace = ctx.flag('sql-trace') && system === 'parley' ? sqlTracing() : null;
    const p = await prepare(system, spec, {
      log: ctx.log,
      keep: true,
      allLoopback: spread,
      nodeArgs: [...(prof?.nodeArgs ?? []), ...(trace?.nodeArgs ?? [])],
      env: trace?.env,
    });
    let stored: Array<{ conversation_id: number; n: number; max_seq: number }> = [];
    const chatterConvs: number[] = [];
    try {
      const server = p.server;
      const fds0 = fdCount(server.pid);
      const limit = fdLimit(server.pid);
      const capacity = limit - fds0 - FD_MARGIN;
      let n = Math.min(requested, capacity);
      n -= n % (2 * workers);
      ctx.log(
        `${system}: open-file limit ${limit}, ${fds0} in use before clients: room for ~${limit - fds0} sockets; connecting ${n}`,
      );
      const per = n / workers;
      const slices = Array.from({ length: workers }, (_, w) =>
        Array.from({ length: per }, (_, j) => w * per + j),
      );

      // Phase 1: connect everyone, sampling RSS against the number connected.
      const metrics0 = await server.scrape().catch(() => new Map<string, number>());
      const rss0 = server.rss();
      const progress = new Array<number>(workers).fill(0);
      const curve: Array<[number, number]> = [[0, rss0 / 2 ** 20]];
      const sampler = setInterval(() => {
        curve.push([progress.reduce((a, b) => a + b, 0), server.rss() / 2 ** 20]);
      }, 500);
      const t0 = now();
      const cpuConnect0 = server.cpu();
      const { gens, connect } = await startGenerators(p, slices, {
        log: ctx.log,
        concurrency: ctx.num('concurrency', 64),
        // Binding a source address per generator looks attractive (more ports), but bind() has to
        // search for a free port among every TIME_WAIT socket and stalls the generator for
        // seconds during a storm; plain connect() reuses loopback TIME_WAIT ports (tcp_tw_reuse=2).
        localAddresses: ctx.flag('source-addresses'),
        destinations: spread,
        onProgress: (w, d) => {
          if (typeof d.connected === 'number') progress[w] = d.connected;
        },
      });
      clearInterval(sampler);
      const connected = connect.reduce((a, c) => a + c.connected, 0);
      curve.push([connected, server.rss() / 2 ** 20]);
      const first = Math.min(...connect.map((c) => c.startedAt));
      const last = Math.max(...connect.map((c) => c.lastAt));
      const connectSeconds = (last - first) / 1000;
      const handshake = new Hist();
      for (const c of connect) handshake.merge(c.handshake);
      const connectCpu = server.cpu() - cpuConnect0;
      ctx.log(
        `${system}: ${connected}/${n} connected in ${connectSeconds.toFixed(1)} s (${Math.round(connected / connectSeconds)}/s), generators ${connect.map((c) => Math.round((c.cpuMs / c.wallMs) * 100) + '%').join('/')}`,
      );

      // Phase 2: idle.
      const settleMs = await waitServerIdle(server);
      const rss1 = server.rss();
      const cpuIdle0 = server.cpu();
      await sleep(idleSeconds * 1000);
      const idleCpu = (server.cpu() - cpuIdle0) / idleSeconds;
      const rss2 = server.rss();
      const metrics2 = await server.scrape().catch(() => new Map<string, number>());
      const heapPer =
        ((metrics2.get('nodejs_heap_size_used_bytes') ?? NaN) -
          (metrics0.get('nodejs_heap_size_used_bytes') ?? NaN)) /
        connected;
      const bytesPer = (rss2 - rss0) / connected;
      ctx.log(
        `${system}: RSS ${Math.round(rss0 / 2 ** 20)} → ${Math.round(rss2 / 2 ** 20)} MiB = ${Math.round(bytesPer)} bytes per connection (heap ${Math.round(heapPer)}); idle CPU ${(idleCpu * 100).toFixed(1)}% of a core (settled after ${settleMs} ms)`,
      );

      // Phase 3: reconnect storm with chatter before, during and after it.
      const pairsPerWorker = Math.floor(chatterPairs / workers);
      const dropAt = now() + 3000;
      const stormCpu0 = server.cpu();
      const stormWait = ctx.num('storm-wait', 180) * 1000;
      const stormCurve: Array<[number, number]> = [];
      const reconnected = new Array<number>(workers).fill(0);
      gens.forEach((g, w) => {
        g.onProgress = (d) => {
          if (typeof d.reconnected === 'number') reconnected[w] = d.reconnected;
        };
      });
      const stormSampler = setInterval(() => {
        stormCurve.push([Math.round(now() - dropAt), reconnected.reduce((a, b) => a + b, 0)]);
      }, 500);
      const storm = await Promise.all(
        gens.map((g, w) => {
          const pairs: Array<[number, number, number]> = [];
          for (let k = 0; k < pairsPerWorker; k++) {
            // users 2k and 2k+1 of this slice share the direct conversation (i, i+1) at index i = 2k.
            const a = slices[w]![2 * k]!;
            const conv = p.directIds[a]!;
            chatterConvs.push(conv);
            pairs.push([2 * k, 2 * k + 1, conv]);
          }
          return g.call<StormReply>({
            op: 'storm',
            tag: `${system[0]}s`,
            dropAt,
            pairs,
            rate: chatterRate / workers,
            chatterStart: dropAt - 2000,
            chatterStop: dropAt + 8000,
            catchUp: system === 'parley',
            apiUrl: server.url,
            maxWaitMs: stormWait,
            bodyBytes: 100,
          });
        }),
      );
      clearInterval(stormSampler);
      const stormCpu = server.cpu() - stormCpu0;
      const reconnectHist = new Hist();
      const live = new Hist();
      for (const s of storm) {
        reconnectHist.merge(s.reconnect);
        live.merge(s.live);
      }
      const sum = (f: (s: StormReply) => number) => storm.reduce((a, s) => a + f(s), 0);
      const stormResult = {
        dropped: sum((s) => s.dropped),
        reconnected: sum((s) => s.reconnected),
        allBackSeconds: Math.round(Math.max(...storm.map((s) => s.lastReconnectMs))) / 1000,
        caughtUpSeconds: Math.round(Math.max(...storm.map((s) => s.lastCatchUpMs))) / 1000,
        reconnectSeconds: round(reconnectHist.summary()),
        retries: sum((s) => s.retries),
        reconnectErrors: storm.flatMap((s) => s.reconnectErrors).slice(0, 10),
        catchUpRequests: sum((s) => s.catchUps),
        catchUpFailures: sum((s) => s.catchUpFailures),
        chatter: {
          scheduled: sum((s) => s.chatter.scheduled),
          acked: sum((s) => s.chatter.acked),
          lost: sum((s) => s.chatter.lost),
          errorAcks: sum((s) => s.chatter.failedAcks),
          seqConflicts: sum((s) => s.chatter.seqConflicts),
        },
        liveDeliveryMs: round(live.summary()),
        serverCpuSeconds: Math.round(stormCpu * 100) / 100,
        generatorCpu: storm.map((s) => Math.round((s.cpuMs / s.wallMs) * 100) / 100),
        curve: stormCurve,
      };
      ctx.log(
        `${system}: storm: ${stormResult.reconnected}/${stormResult.dropped} back after ${stormResult.allBackSeconds} s (caught up after ${stormResult.caughtUpSeconds} s, ${stormResult.retries} retries); chatter ${stormResult.chatter.acked}/${stormResult.chatter.scheduled} acked, ${stormResult.chatter.lost} missing at the recipient`,
      );
      await Promise.all(gens.map((g) => g.close()));
      results[system] = {
        requested,
        fdLimit: limit,
        fdsBeforeClients: fds0,
        count: n,
        connected,
        connect: {
          seconds: Math.round(connectSeconds * 100) / 100,
          perSecond: Math.round(connected / connectSeconds),
          handshakeMs: round(handshake.summary()),
          failed: connect.reduce((a, c) => a + c.failed, 0),
          serverCpuSeconds: Math.round(connectCpu * 100) / 100,
          generatorCpu: connect.map((c) => Math.round((c.cpuMs / c.wallMs) * 100) / 100),
          wallSeconds: Math.round(now() - t0) / 1000,
        },
        rssBeforeMiB: Math.round((rss0 / 2 ** 20) * 10) / 10,
        rssConnectedMiB: Math.round((rss1 / 2 ** 20) * 10) / 10,
        rssAfterIdleMiB: Math.round((rss2 / 2 ** 20) * 10) / 10,
        bytesPerConnection: Math.round(bytesPer),
        heapBytesPerConnection: Math.round(heapPer),
        connectionsPerGiB: Math.round(2 ** 30 / bytesPer),
        idleCpuPercent: Math.round(idleCpu * 1000) / 10,
        settleMs,
        storm: stormResult,
        rssCurve: curve.map(([c, r]) => [c, Math.round(r * 10) / 10]),
      };
    } finally {
      await p.server.stop();
    }
    if (system === 'parley') {
      // Nothing stored twice, nothing skipped: every chatter conversation's seqs are 1..count.
      const db = new SQLite(dbFile(p.dataDir), { readonly: true });
      stored = db
        .prepare(
          `select conversation_id, count(*) as n, max(seq) as max_seq from messages
           where conversation_id in (${chatterConvs.map(() => '?').join(',')}) group by conversation_id`,
        )
        .all(...chatterConvs) as typeof stored;
      db.close();
      const total = stored.reduce((a, r) => a + r.n, 0);
      const gaps = stored.filter((r) => r.n !== r.max_seq).length;
      results[system].storm.stored = { messages: total, conversationsWithGaps: gaps };
      ctx.log(
        `parley: ${total} chatter messages stored (${gaps} conversations with gaps or duplicates)`,
      );
    }
    rmSync(p.dataDir, { recursive: true, force: true });
    if (prof)
      writeProfileSummary(prof.dir, path.join(RESULTS_DIR, 'connections-profile.txt'), ctx.log);
    if (trace) {
      const handshakes = results[system].connected + results[system].storm.reconnected;
      writeSqlSummary(
        trace.file,
        path.join(RESULTS_DIR, 'connections-sql.txt'),
        { name: 'connections', count: handshakes },
        ctx.log,
      );
    }
  }

  const pr = results.parley;
  const br = results.baseline;
  const ratio =
    pr && br ? Math.round((pr.bytesPerConnection / br.bytesPerConnection) * 100) / 100 : null;
  if (ratio !== null) ctx.log(`Parley ÷ baseline bytes per connection: ${ratio}`);
  const systems = (['parley', 'baseline'] as const).filter((s) => results[s]);
  const bars = (
    title: string,
    yLabel: string,
    value: (r: any) => number,
    target?: { y: number; label: string },
  ): BarPanel => ({
    kind: 'bar',
    title,
    yLabel,
    categories: systems.map((s) => (s === 'parley' ? 'Parley' : 'bare Socket.IO')),
    series: [
      {
        label: 'measured',
        color: COLORS.parley,
        colors: systems.map((s) => (s === 'parley' ? COLORS.parley : COLORS.baseline)),
        values: systems.map((s) => value(results[s])),
      },
    ],
    ...(target && { hlines: [target] }),
  });
  const rssPanel = {
    kind: 'line' as const,
    title: 'server RSS while sockets connect',
    xLabel: 'connected sockets',
    yLabel: 'RSS, MiB',
    series: systems.map((s) => ({
      label: s === 'parley' ? 'Parley' : 'bare Socket.IO',
      color: s === 'parley' ? COLORS.parley : COLORS.baseline,
      points: (results[s].rssCurve as Array<[number, number]>).map(([x, y]) => ({ x, y })),
    })),
  };
  const stormPanel = {
    kind: 'line' as const,
    title: 'reconnect storm: sockets back',
    xLabel: 'ms after every socket dropped',
    yLabel: 'sockets connected again',
    series: systems.map((s) => ({
      label: s === 'parley' ? 'Parley' : 'bare Socket.IO',
      color: s === 'parley' ? COLORS.parley : COLORS.baseline,
      points: (results[s].storm.curve as Array<[number, number]>)
        .filter(([t]) => t >= 0)
        .map(([x, y]) => ({ x, y })),
    })),
  };
  const svg = chart({
    title: `connections: ${pr?.connected ?? br?.connected} idle sockets, then all drop and reconnect — Parley vs bare Socket.IO`,
    subtitle: subtitle(ctx),
    columns: 3,
    panels: [
      rssPanel,
      bars('memory per connection', 'KiB of RSS', (r) => r.bytesPerConnection / 1024, {
        y: 2 ** 30 / 50_000 / 1024,
        label: 'target: 50k per GiB',
      }),
      bars('connects per second', 'handshakes/s', (r) => r.connect.perSecond),
      stormPanel,
      bars('storm: all sockets back after', 'seconds', (r) => r.storm.allBackSeconds, {
        y: 20,
        label: 'target 20 s',
      }),
      bars('idle CPU', '% of one core', (r) => r.idleCpuPercent),
    ],
  });
  await writeResults(
    ctx,
    ctx.str('name', 'connections'),
    { results, parleyOverBaselineBytesPerConnection: ratio },
    svg,
  );
}
