import { rmSync } from 'node:fs';
import path from 'node:path';
import { split } from '../lib/pool.js';
import { profiling, writeProfileSummary } from '../lib/profile.js';
import { RESULTS_DIR, subtitle, writeResults, type Context } from '../lib/report.js';
import { prepare, startGenerators, type Prepared, type System } from '../lib/setup.js';
import { ramp, sustained, waitServerIdle, type Lane, type StepResult } from '../lib/step.js';
import { chart, COLORS } from '../lib/svg.js';
import { latencyPanels, systemLines } from './dm.js';

interface FanoutSystemResult {
  steps: StepResult[];
  /** Messages per second sustained. */
  sustained: number;
  sustainedDeliveriesPerSec: number;
  connectMs: number;
  settleMs: number;
}

/** One group of `members` users, all online; `senders` of them post into it on a fixed schedule. */
export async function runFanout(ctx: Context): Promise<void> {
  const members = ctx.num('members', 1000);
  const senderCount = ctx.num('senders', 10);
  const workers = ctx.num('workers', 2);
  const rates = ctx.list('rates', [10, 25, 50, 75, 100, 125, 150, 200, 300, 400, 600]);
  // The fanout target: send to last recipient p99 within 100 ms.
  const limit = ctx.num('p99', 100);
  const users = Array.from({ length: members }, (_, i) => i);
  const slices = split(users, workers);
  const senderUsers = new Set(
    Array.from({ length: senderCount }, (_, i) => Math.floor((i * members) / senderCount)),
  );
  const spec = { users: members, directs: [], groups: [users] };
  const results: Partial<Record<System, FanoutSystemResult>> = {};
  let profiled: ReturnType<typeof profiling> | null = null;

  await ctx.settle('fanout');
  const started: Array<{
    system: System;
    p: Prepared;
    lane: Lane;
    connectMs: number;
    settleMs: number;
  }> = [];
  try {
    for (const system of ctx.systems()) {
      const prof = ctx.flag('cpu-prof') && system === 'parley' ? profiling() : null;
      const p = await prepare(system, spec, { log: ctx.log, keep: true, nodeArgs: prof?.nodeArgs });
      if (prof) profiled = prof;
      const entry = { system, p, lane: null as unknown as Lane, connectMs: 0, settleMs: 0 };
      started.push(entry);
      const { gens, connect } = await startGenerators(p, slices, { log: ctx.log });
      entry.connectMs = Math.round(Math.max(...connect.map((c) => c.wallMs)));
      // Every connect tells the other 999 members that someone came online: let that settle.
      entry.settleMs = await waitServerIdle(p.server);
      ctx.log(
        `${system}: ${members} sockets connected in ${entry.connectMs} ms; server idle again after ${entry.settleMs} ms`,
      );
      const group = p.groupIds[0]!;
      const senders = slices.map((slice) =>
        slice.flatMap((u, local) =>
          senderUsers.has(u) ? [[local, group] as [number, number]] : [],
        ),
      );
      entry.lane = {
        name: system,
        server: p.server,
        gens,
        plan: (rate, i) => ({
          tag: `${system[0]}${i}x`,
          rate,
          warmMs: ctx.num('warm', 1) * 1000,
          measureMs: ctx.num('measure', 5) * 1000,
          drainMs: ctx.num('drain', 10) * 1000,
          senders,
          recipientsPerMessage: members - 1,
          bodyBytes: ctx.num('body', 100),
          p99Limit: limit,
        }),
        steps: [],
        unreported: [],
      };
    }
    await ramp(
      started.map((e) => e.lane),
      {
        rates,
        log: ctx.log,
        fanout: true,
        warmupSeconds: ctx.num('warmup', 3),
        retries: ctx.num('retries', 1),
      },
    );
  } finally {
    for (const e of started) {
      await Promise.all((e.lane?.gens ?? []).map((g) => g.close()));
      await e.p.server.stop();
      rmSync(e.p.dataDir, { recursive: true, force: true });
    }
  }
  if (profiled) {
    writeProfileSummary(profiled.dir, path.join(RESULTS_DIR, 'fanout-profile.txt'), ctx.log);
  }
  for (const { system, lane, connectMs, settleMs } of started) {
    const best = sustained(lane.steps);
    results[system] = {
      steps: lane.steps,
      sustained: best,
      sustainedDeliveriesPerSec: best * (members - 1),
      connectMs,
      settleMs,
    };
    ctx.log(
      `${system}: highest rate sustained: ${best} messages/s = ${best * (members - 1)} deliveries/s`,
    );
  }
  const pr = results.parley;
  const br = results.baseline;
  const ratio =
    pr && br && br.sustained ? Math.round((pr.sustained / br.sustained) * 100) / 100 : null;
  if (ratio !== null) ctx.log(`Parley ÷ baseline (sustained deliveries/s): ${ratio}`);
  const offered = (s: StepResult) => s.rate * (members - 1);
  const throughput = {
    kind: 'line' as const,
    title: 'deliveries per second achieved',
    xLabel: 'offered deliveries/s (messages/s × recipients)',
    yLabel: 'deliveries/s',
    series: (['parley', 'baseline'] as const).flatMap((s) =>
      results[s]
        ? [
            {
              label: s === 'parley' ? 'Parley' : 'bare Socket.IO',
              color: s === 'parley' ? COLORS.parley : COLORS.baseline,
              points: results[s].steps.map((st) => ({
                x: offered(st),
                y: st.deliveriesPerSec,
                hollow: !st.pass,
              })),
            },
          ]
        : [],
    ),
    hlines: [{ y: 100_000, label: 'target 100k/s' }],
  };
  const svg = chart({
    title: `fanout: one group of ${members} members, all online, ${senderCount} senders — Parley vs bare Socket.IO`,
    subtitle: subtitle(ctx),
    panels: [
      latencyPanels(
        systemLines(results),
        (s) => s.lastRecipient,
        'scheduled send → last of the recipients',
        'offered deliveries/s',
        limit,
        offered,
      ),
      throughput,
    ],
  });
  await writeResults(
    ctx,
    ctx.str('name', 'fanout'),
    { members, senders: senderCount, results, parleyOverBaseline: ratio },
    svg,
  );
}
