import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { machineInfo, waitForQuietMachine, type MachineInfo, type QuietCheck } from './proc.js';
import { BENCH_DIR } from './servers.js';

export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

export interface Options {
  [key: string]: string | boolean | undefined;
}

export interface Context {
  scenario: string;
  opts: Options;
  log: (s: string) => void;
  command: string;
  date: string;
  machine: MachineInfo;
  /** Load checks made before each measured system. */
  quiet: Record<string, QuietCheck>;
  /** Waits for a quiet machine (unless --no-wait) and records what it found under `label`. */
  settle(label: string): Promise<void>;
  num(name: string, def: number): number;
  list(name: string, def: number[]): number[];
  flag(name: string): boolean;
  str(name: string, def: string): string;
  systems(): Array<'parley' | 'baseline'>;
}

export function makeContext(scenario: string, opts: Options, argv: string[]): Context {
  const log = (s: string) =>
    process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  const ctx: Context = {
    scenario,
    opts,
    log,
    command: `npm run bench -- ${argv.join(' ')}`,
    date: new Date().toISOString(),
    machine: machineInfo(),
    quiet: {},
    async settle(label) {
      const q = await waitForQuietMachine({
        skip: opts['no-wait'] === true,
        maxSeconds: typeof opts['max-wait'] === 'string' ? Number(opts['max-wait']) : 600,
      });
      ctx.quiet[label] = q;
      log(
        `load average before ${label}: ${q.loadAtRun.toFixed(2)}${q.loaded ? ' (machine busy: results marked as measured on a loaded machine)' : ''}`,
      );
    },
    num(name, def) {
      const v = opts[name];
      return typeof v === 'string' ? Number(v) : def;
    },
    list(name, def) {
      const v = opts[name];
      return typeof v === 'string' ? v.split(',').map(Number) : def;
    },
    flag(name) {
      return opts[name] === true || opts[name] === 'true';
    },
    str(name, def) {
      const v = opts[name];
      return typeof v === 'string' ? v : def;
    },
    systems() {
      const only = opts.only;
      if (only === 'parley' || only === 'baseline') return [only];
      return opts['no-baseline'] === true ? ['parley'] : ['parley', 'baseline'];
    },
  };
  return ctx;
}

/** Writes bench/results/<name>.json (and .svg when given). */
export async function writeResults(
  ctx: Context,
  name: string,
  data: Record<string, unknown>,
  svg?: string,
): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const loaded = Object.values(ctx.quiet).some((q) => q.loaded);
  const out = {
    scenario: ctx.scenario,
    date: ctx.date,
    command: ctx.command,
    machine: ctx.machine,
    loadChecks: ctx.quiet,
    measuredOnLoadedMachine: loaded,
    options: ctx.opts,
    ...data,
  };
  const file = path.join(RESULTS_DIR, `${name}.json`);
  const config = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(JSON.stringify(out), { ...config, parser: 'json' }));
  if (svg) writeFileSync(path.join(RESULTS_DIR, `${name}.svg`), svg);
  ctx.log(`wrote bench/results/${name}.json${svg ? ` and ${name}.svg` : ''}`);
}

export function subtitle(ctx: Context): string {
  const m = ctx.machine;
  const loaded = Object.values(ctx.quiet).some((q) => q.loaded)
    ? ' · MEASURED ON A LOADED MACHINE'
    : '';
  return `${m.cores} × ${m.cpuModel}, Node ${m.node}, ${ctx.date.slice(0, 10)} · ${ctx.command}${loaded}`;
}
