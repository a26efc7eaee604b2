import { now, sleep } from './clock.js';
import { Hist, type HistJson, type Summary } from './hist.js';
import type { GeneratorProc } from './pool.js';
import { machineBusySeconds } from './proc.js';
import type { ServerProc } from './servers.js';

/** Sampling interval of the event-loop delay histograms (prom-client's default, and the baseline's). */
export const LOOP_RESOLUTION_MS = 10;

/** A generator whose process used more than this share of one core during a step saturated. */
export const GENERATOR_SATURATED = 0.9;

export interface StepPlan {
  tag: string;
  /** Offered messages per second, in total. */
  rate: number;
  warmMs: number;
  measureMs: number;
  drainMs: number;
  /** Per generator: [client index, conversation id] senders. */
  senders: Array<Array<[number, number]>>;
  /** Deliveries each message should make to sockets other than the sender's. */
  recipientsPerMessage: number;
  bodyBytes: number;
  /** p99 limit (ms) for the step to count as sustained. */
  p99Limit: number;
}

export interface ServerWindow {
  cpuSeconds: number;
  /** Share of one core. */
  cpuUtil: number;
  cpuSecondsPer1000: number;
  /** Share of the server's CPU spent in the kernel (socket writes, fsync, …). */
  systemShare: number;
  rssMiB: number;
  /** Event-loop delay beyond the 10 ms sampling interval, over the window. */
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

export interface StepResult {
  rate: number;
  sent: number;
  acked: number;
  failedAcks: number;
  /** Messages at least one recipient never received (by the end of the drain). */
  lost: number;
  missingDeliveries: number;
  /** Acked messages per second scheduled in the measured window. */
  throughput: number;
  deliveriesPerSec: number;
  ack: Summary;
  recipient: Summary;
  lastRecipient: Summary;
  sendLag: Summary;
  server: ServerWindow;
  generatorCpu: number[];
  /** Busy cores of the whole machine during the window. */
  machineBusyCores: number;
  /** Busy cores not explained by this server and these generators: other work on the machine. */
  otherCores: number;
  generatorSaturated: boolean;
  pass: boolean;
  /** Wall-clock (epoch ms) bounds of the measured window, to match outside logs such as strace. */
  windowEpochMs: [number, number];
}

const r2 = (v: number) => Math.round(v * 100) / 100;

export function round(s: Summary): Summary {
  return {
    n: s.n,
    mean: r2(s.mean),
    p50: r2(s.p50),
    p95: r2(s.p95),
    p99: r2(s.p99),
    max: r2(s.max),
  };
}

interface LoadReply {
  sent: Array<[string, number, number, number]>;
  recv: Array<[string, number, number]>;
  echoes: number;
  notConnected: number;
  delivery: HistJson;
  ack: HistJson;
  lag: HistJson;
  cpuMs: number;
  wallMs: number;
}

/** Event-loop delay and CPU of the server over a window (the /metrics scrape resets the loop histogram). */
/** A scrape that gives up after `ms` (a server whose event loop is stuck answers late or never). */
async function scrapeWithin(server: ServerProc, ms: number): Promise<Map<string, number> | null> {
  return Promise.race([
    server.scrape().catch(() => null),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), ms)),
  ]);
}

/**
 * CPU, time and machine load are read first; the /metrics scrape (which resets the event-loop
 * histogram) is sent without waiting for it, so a stalled server cannot shift the window.
 */
export function serverWindowStart(server: ServerProc) {
  const start = {
    cpu: server.cpu(),
    sys: server.systemCpu(),
    at: now(),
    busy: machineBusySeconds(),
  };
  void scrapeWithin(server, 1000);
  return start;
}

export async function serverWindowEnd(
  server: ServerProc,
  start: { cpu: number; sys: number; at: number },
  messages: number,
): Promise<ServerWindow> {
  const cpu = server.cpu() - start.cpu;
  const sys = server.systemCpu() - start.sys;
  const seconds = (now() - start.at) / 1000;
  const rss = server.rss();
  const m = (await scrapeWithin(server, 3000)) ?? new Map<string, number>();
  // monitorEventLoopDelay samples every 10 ms and reports the whole interval: keep the excess.
  // NaN when the server did not answer the scrape within 3 s (its loop was stuck).
  const ms = (name: string) => r2(Math.max(0, (m.get(name) ?? NaN) * 1000 - LOOP_RESOLUTION_MS));
  return {
    cpuSeconds: r2(cpu),
    cpuUtil: r2(cpu / seconds),
    cpuSecondsPer1000: messages > 0 ? Math.round((cpu / messages) * 1000 * 1000) / 1000 : NaN,
    systemShare: cpu > 0 ? r2(sys / cpu) : NaN,
    rssMiB: r2(rss / 2 ** 20),
    loopP50Ms: ms('nodejs_eventloop_lag_p50_seconds'),
    loopP99Ms: ms('nodejs_eventloop_lag_p99_seconds'),
    loopMaxMs: ms('nodejs_eventloop_lag_max_seconds'),
  };
}

/** One open-loop step at a fixed total rate, spread over the generators that have senders. */
export async function runStep(
  server: ServerProc,
  gens: GeneratorProc[],
  plan: StepPlan,
): Promise<StepResult> {
  const active = gens.map((_, i) => i).filter((i) => (plan.senders[i]?.length ?? 0) > 0);
  const totalSenders = active.reduce((a, i) => a + plan.senders[i]!.length, 0);
  const startAt = now() + 300;
  const replies = gens.map((g, i) =>
    g.call<LoadReply>({
      op: 'load',
      tag: plan.tag,
      startAt,
      rate: active.includes(i) ? (plan.rate * plan.senders[i]!.length) / totalSenders : 0.000001,
      warmMs: plan.warmMs,
      measureMs: plan.measureMs,
      drainMs: plan.drainMs,
      senders: active.includes(i) ? plan.senders[i] : [],
      bodyBytes: plan.bodyBytes,
    }),
  );
  const winStart = startAt + plan.warmMs;
  const winEnd = winStart + plan.measureMs;
  await sleep(winStart - now());
  const epochStart = Date.now();
  const w0 = serverWindowStart(server);
  await sleep(winEnd - now());
  const epochEnd = Date.now();
  const busy = machineBusySeconds() - w0.busy;
  const windowSeconds = (now() - w0.at) / 1000;
  const expectedInWindow = Math.round((plan.rate * plan.measureMs) / 1000);
  const server1 = await serverWindowEnd(server, w0, expectedInWindow);
  const results = await Promise.all(replies);

  const recv = new Map<string, [number, number]>();
  for (const r of results) {
    for (const [cid, n, max] of r.recv) {
      const a = recv.get(cid);
      if (a) {
        a[0] += n;
        if (max > a[1]) a[1] = max;
      } else recv.set(cid, [n, max]);
    }
  }
  let sent = 0;
  let acked = 0;
  let failedAcks = 0;
  let lost = 0;
  let missing = 0;
  let windowAcked = 0;
  let windowDeliveries = 0;
  const last = new Hist();
  for (const r of results) {
    for (const [cid, sched, , ok] of r.sent) {
      sent++;
      if (ok) acked++;
      else failedAcks++;
      const got = recv.get(cid);
      const n = got?.[0] ?? 0;
      const inWindow = sched >= winStart && sched < winEnd;
      if (ok && n < plan.recipientsPerMessage) {
        lost++;
        missing += plan.recipientsPerMessage - n;
      }
      if (inWindow) {
        if (ok) windowAcked++;
        windowDeliveries += n;
        if (got && n >= plan.recipientsPerMessage) last.record(got[1]);
      }
    }
  }
  const ack = new Hist();
  const delivery = new Hist();
  const lag = new Hist();
  for (const r of results) {
    ack.merge(r.ack);
    delivery.merge(r.delivery);
    lag.merge(r.lag);
  }
  server1.cpuSecondsPer1000 =
    windowAcked > 0 ? Math.round((server1.cpuSeconds / windowAcked) * 1000 * 1000) / 1000 : NaN;
  const generatorCpu = results.map((r) => (r.wallMs > 0 ? r2(r.cpuMs / r.wallMs) : 0));
  const generatorSaturated = generatorCpu.some((c) => c > GENERATOR_SATURATED);
  const latency = plan.recipientsPerMessage > 1 ? last.summary() : delivery.summary();
  const pass =
    failedAcks === 0 &&
    lost === 0 &&
    ack.n > 0 &&
    ack.percentile(99) < plan.p99Limit &&
    latency.p99 < plan.p99Limit;
  return {
    rate: plan.rate,
    sent,
    acked,
    failedAcks,
    lost,
    missingDeliveries: missing,
    throughput: r2(windowAcked / (plan.measureMs / 1000)),
    deliveriesPerSec: r2(windowDeliveries / (plan.measureMs / 1000)),
    ack: round(ack.summary()),
    recipient: round(delivery.summary()),
    lastRecipient: round(last.summary()),
    sendLag: round(lag.summary()),
    server: server1,
    generatorCpu,
    machineBusyCores: r2(busy / windowSeconds),
    otherCores: r2(
      Math.max(0, busy / windowSeconds - server1.cpuUtil - generatorCpu.reduce((a, c) => a + c, 0)),
    ),
    generatorSaturated,
    pass,
    windowEpochMs: [epochStart, epochEnd],
  };
}

export function stepLine(name: string, s: StepResult, fanout = false): string {
  const lat = fanout ? s.lastRecipient : s.recipient;
  return [
    `${name.padEnd(8)} ${String(s.rate).padStart(6)}/s`,
    `ack p50 ${s.ack.p50} p99 ${s.ack.p99}`,
    `${fanout ? 'last' : 'recv'} p50 ${lat.p50} p99 ${lat.p99} max ${lat.max} ms`,
    `thr ${Math.round(s.throughput)}/s${fanout ? ` deliv ${Math.round(s.deliveriesPerSec)}/s` : ''}`,
    `lost ${s.lost} failed ${s.failedAcks}`,
    `srv cpu ${Math.round(s.server.cpuUtil * 100)}% (sys ${Math.round(s.server.systemShare * 100)}%) ${s.server.cpuSecondsPer1000} s/1k rss ${Math.round(s.server.rssMiB)}M loop p99 ${s.server.loopP99Ms}ms`,
    `gen ${s.generatorCpu.map((c) => Math.round(c * 100) + '%').join('/')} other ${s.otherCores}`,
    s.generatorSaturated ? 'INVALID (generator saturated)' : s.pass ? 'ok' : 'FAIL',
  ].join(' | ');
}

/** Other work above this many cores during a window makes a failing step worth another try. */
export const DISTURBED_CORES = 0.25;

/** One system under test in a ramp: its server, its generators and how to build a step. */
export interface Lane {
  name: string;
  server: ServerProc;
  gens: GeneratorProc[];
  plan: (rate: number, i: number) => StepPlan;
  steps: StepResult[];
  /** Warm-up steps and failed attempts that were retried (their messages were stored too). */
  unreported: StepResult[];
  failed?: boolean;
  done?: boolean;
}

export interface RampOptions {
  rates: number[];
  /** Always measure this rate (the target rate) even after a failing step. */
  mustInclude?: number;
  log: (s: string) => void;
  fanout?: boolean;
  /** Seconds of discarded load at the first rate before the ramp. */
  warmupSeconds?: number;
  /** Tries of a failing step before a lane stops: 1 more, or up to 2 more when the machine was busy with other work. */
  retries?: number;
}

const failing = (s: StepResult) => !s.pass || s.generatorSaturated;

/**
 * Steps every lane through increasing rates, one lane after the other at each rate, so the
 * systems compared are measured seconds apart under the same conditions. A lane stops after
 * its first failing step (past `mustInclude`); a failing step is retried first, so one noisy
 * window does not end a ramp.
 */
export async function ramp(lanes: Lane[], o: RampOptions): Promise<void> {
  if (o.warmupSeconds && o.rates.length) {
    for (const lane of lanes) {
      // A discarded first step, so the measured ones run on warmed-up code (JIT, caches).
      const w = lane.plan(o.rates[0]!, o.rates.length);
      const s = await runStep(lane.server, lane.gens, {
        ...w,
        tag: `${w.tag}w`,
        warmMs: 0,
        measureMs: o.warmupSeconds * 1000,
      });
      lane.unreported.push(s);
      o.log(`${stepLine(lane.name, s, o.fanout)} (warm-up, discarded)`);
      await sleep(1000);
    }
  }
  for (let i = 0; i < o.rates.length; i++) {
    const rate = o.rates[i]!;
    for (const lane of lanes) {
      if (lane.done) continue;
      if (lane.failed && rate !== o.mustInclude) continue;
      const plan = lane.plan(rate, i);
      let s = await runStep(lane.server, lane.gens, plan);
      o.log(stepLine(lane.name, s, o.fanout));
      let tries = 0;
      const allowed = (d: StepResult) =>
        (d.otherCores > DISTURBED_CORES ? 2 : 1) * (o.retries ?? 1);
      while (failing(s) && !lane.failed && tries < allowed(s)) {
        lane.unreported.push(s);
        tries++;
        await sleep(2000);
        s = await runStep(lane.server, lane.gens, { ...plan, tag: `${plan.tag}r${tries}` });
        o.log(`${stepLine(lane.name, s, o.fanout)} (retry ${tries})`);
      }
      lane.steps.push(s);
      if (failing(s)) {
        lane.failed = true;
        if (o.mustInclude === undefined || rate >= o.mustInclude) lane.done = true;
      }
      await sleep(1000);
    }
    if (lanes.every((l) => l.done)) break;
  }
}

/** The highest rate among steps that passed, with every lower measured step passing too. */
export function sustained(steps: StepResult[]): number {
  let best = 0;
  for (const s of [...steps].sort((a, b) => a.rate - b.rate)) {
    if (!s.pass || s.generatorSaturated) break;
    best = s.rate;
  }
  return best;
}

/** Waits until the server uses less than `share` of a core over a second (after a connection storm). */
export async function waitServerIdle(
  server: ServerProc,
  share = 0.15,
  maxMs = 60_000,
): Promise<number> {
  const start = now();
  while (now() - start < maxMs) {
    const c0 = server.cpu();
    await sleep(1000);
    if (server.cpu() - c0 < share) break;
  }
  return Math.round(now() - start);
}
