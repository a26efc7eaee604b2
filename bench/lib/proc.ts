import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  readdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { sleep } from './clock.js';

let ticksPerSecond = 0;
function clockTicks(): number {
  if (!ticksPerSecond) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds a process has used so far (from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3, utime field 14, stime field 15 (1-based, of the whole line).
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return NaN;
  }
}

/** Kernel-mode CPU seconds of a process (stime), to tell system-call work from JavaScript. */
export function systemCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[12]) / clockTicks();
  } catch {
    return NaN;
  }
}

/** Resident set size in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** The soft limit on open files of a process. */
export function fdLimit(pid: number): number {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** Whole-machine busy CPU seconds (all cores) from /proc/stat, to see contention. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - idle) / clockTicks();
}

export interface QuietCheck {
  loadAtStart: number;
  loadAtRun: number;
  waitedSeconds: number;
  /** True when the machine stayed busier than the threshold and the run went ahead anyway. */
  loaded: boolean;
}

/**
 * Waits (polling every 30 s, up to 10 minutes) for the 1-minute load average to drop to the
 * threshold, so measurements are not taken next to other work; runs anyway after that.
 */
export async function waitForQuietMachine(
  opts: { threshold?: number; maxSeconds?: number; pollSeconds?: number; skip?: boolean } = {},
): Promise<QuietCheck> {
  const threshold = opts.threshold ?? 1.0;
  const maxSeconds = opts.maxSeconds ?? 600;
  const poll = opts.pollSeconds ?? 30;
  const start = Date.now();
  const loadAtStart = loadAverage();
  let load = loadAtStart;
  while (!opts.skip && load > threshold && (Date.now() - start) / 1000 < maxSeconds) {
    process.stdout.write(
      `load average ${load.toFixed(2)} > ${threshold}; waiting ${poll} s for the machine to calm down\n`,
    );
    await sleep(poll * 1000);
    load = loadAverage();
  }
  return {
    loadAtStart,
    loadAtRun: load,
    waitedSeconds: Math.round((Date.now() - start) / 1000),
    loaded: load > threshold,
  };
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  disk: string;
  node: string;
}

/** What the results must name: cores, CPU model, memory, the disk under the temp directory, Node. */
export function machineInfo(dir = os.tmpdir()): MachineInfo {
  let disk = 'unknown';
  try {
    const df = execFileSync('df', ['-T', dir]).toString().trim().split('\n')[1]?.split(/\s+/) ?? [];
    const dev = df[0] ?? '';
    const base = dev.replace('/dev/', '').replace(/p?\d+$/, '');
    let kind = '';
    try {
      kind =
        readFileSync(`/sys/block/${base}/queue/rotational`, 'utf8').trim() === '1'
          ? 'reports rotational'
          : 'non-rotational';
    } catch {
      kind = '';
    }
    disk = `${dev} (${df[1] ?? '?'}${kind ? ', ' + kind : ''}), fdatasync of 4 KiB ${fsyncProbeMs(dir).toFixed(2)} ms`;
  } catch {
    // keep "unknown"
  }
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    disk,
    node: process.version,
  };
}

/** Mean time of a 4 KiB write + fdatasync in a directory: what one durable commit costs at least. */
export function fsyncProbeMs(dir: string, rounds = 200): number {
  const file = path.join(dir, `.fsync-probe-${process.pid}`);
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    writeSync(fd, block);
    fdatasyncSync(fd);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / rounds;
  closeSync(fd);
  unlinkSync(file);
  return ms;
}
