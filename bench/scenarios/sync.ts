import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { sleep } from '../lib/clock.js';
import { subtitle, writeResults, type Context } from '../lib/report.js';
import { CACHE_DIR } from '../lib/servers.js';
import { prepare, startGenerators } from '../lib/setup.js';
import { runStep, stepLine, waitServerIdle, type StepResult } from '../lib/step.js';
import { chart, COLORS } from '../lib/svg.js';
import { dmLanes, dmLoad, dmPlan, latencyPanels, type DmSystemResult } from './dm.js';

type Mode = 'FULL' | 'NORMAL';

function haveStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** fsync/fdatasync calls logged by `strace -ttt` inside an epoch-ms window. */
function syncsInWindow(
  file: string,
  [from, to]: [number, number],
): { fsync: number; fdatasync: number } {
  let fsync = 0;
  let fdatasync = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\d+\s+(\d+\.\d+)\s+(fsync|fdatasync)\(/.exec(line);
    if (!m) continue;
    const t = Number(m[1]) * 1000;
    if (t < from || t > to) continue;
    if (m[2] === 'fsync') fsync++;
    else fdatasync++;
  }
  return { fsync, fdatasync };
}

interface FsyncWindow {
  rate: number;
  step: StepResult;
  fsync: number;
  fdatasync: number;
  perMessage: number;
}

/** One fixed-rate dm step with the server under strace, counting syncs per stored message. */
async function fsyncWindow(ctx: Context, mode: Mode, rate: number): Promise<FsyncWindow> {
  const load = dmLoad(ctx.num('pairs', 500), ctx.num('workers', 2));
  mkdirSync(CACHE_DIR, { recursive: true });
  const straceFile = path.join(CACHE_DIR, `strace-${mode.toLowerCase()}.txt`);
  const p = await prepare('parley', load.spec, {
    log: ctx.log,
    sync: mode,
    keep: true,
    straceFile,
  });
  try {
    const { gens } = await startGenerators(p, load.slices, { log: ctx.log });
    await waitServerIdle(p.server);
    const warm = await runStep(p.server, gens, {
      ...dmPlan(ctx, p, load, 'fw', Math.min(rate, 1000)),
      warmMs: 0,
      measureMs: 3000,
    });
    ctx.log(`${stepLine(`strace ${mode}`, warm)} (warm-up, discarded)`);
    await sleep(1000);
    const step = await runStep(p.server, gens, dmPlan(ctx, p, load, 'fm', rate));
    ctx.log(stepLine(`strace ${mode}`, step));
    await Promise.all(gens.map((g) => g.close()));
    const counts = syncsInWindow(straceFile, step.windowEpochMs);
    const stored = (step.throughput * (step.windowEpochMs[1] - step.windowEpochMs[0])) / 1000;
    const perMessage = Math.round(((counts.fsync + counts.fdatasync) / stored) * 1000) / 1000;
    ctx.log(
      `synchronous=${mode} at ${rate} msg/s offered: ${counts.fsync} fsync + ${counts.fdatasync} fdatasync in the window, ${perMessage} per stored message`,
    );
    return { rate, step, ...counts, perMessage };
  } finally {
    await p.server.stop();
    rmSync(p.dataDir, { recursive: true, force: true });
  }
}

export async function runSync(ctx: Context): Promise<void> {
  const rate = ctx.num('fsync-rate', 5000);
  const strace = haveStrace();
  await ctx.settle('sync');
  const lanes = await dmLanes(ctx, [
    { label: 'FULL', system: 'parley', sync: 'FULL' },
    { label: 'NORMAL', system: 'parley', sync: 'NORMAL' },
  ]);
  const ramps: Partial<Record<Mode, DmSystemResult>> = {};
  for (const r of lanes) ramps[r.sync!] = r;
  const windows: Partial<Record<Mode, FsyncWindow>> = {};
  if (strace) {
    for (const mode of ['FULL', 'NORMAL'] as const) {
      await ctx.settle(`fsync count ${mode}`);
      windows[mode] = await fsyncWindow(ctx, mode, rate);
    }
  } else ctx.log('strace is not installed (apt-get install -y strace): fsyncs not counted');
  const full = ramps.FULL!;
  const normal = ramps.NORMAL!;
  const ratio = normal.sustained
    ? Math.round((full.sustained / normal.sustained) * 100) / 100
    : null;
  ctx.log(`FULL ÷ NORMAL (sustained rate): ${ratio}`);
  const svg = chart({
    title: 'sync: Parley dm ramp with SQLite synchronous=FULL vs NORMAL',
    subtitle: subtitle(ctx),
    panels: [
      latencyPanels(
        [
          { label: 'FULL', color: COLORS.parley, steps: full.steps },
          { label: 'NORMAL', color: COLORS.baseline, steps: normal.steps },
        ],
        (s) => s.ack,
        'scheduled send → sender ack (durable)',
        'offered load, messages/s',
        ctx.num('p99', 200),
      ),
    ],
  });
  await writeResults(
    ctx,
    ctx.str('name', 'sync'),
    { ramps, fsyncWindows: windows, fullOverNormal: ratio, strace },
    svg,
  );
}
