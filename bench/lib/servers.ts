import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './clock.js';
import { cpuSeconds, rssBytes, systemCpuSeconds } from './proc.js';
import { BENCH_JWT_SECRET } from './seed.js';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH_DIR, '..');
export const CACHE_DIR = path.join(BENCH_DIR, '.cache');
/**
 * The compiled server lives outside the repository (so linters never see it), with a link to
 * the repository's node_modules so its imports resolve. One folder per checkout: two checkouts
 * sharing one would run each other's server.
 */
const BUILD_DIR = path.join(
  os.tmpdir(),
  `parley-bench-dist-${process.getuid?.() ?? 0}-${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`,
);

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Compiles the server (the production JavaScript, as `npm start` runs it) unless that build
 * is newer than every source file.
 */
export function ensureServerBuild(log: (s: string) => void): string {
  const entry = path.join(BUILD_DIR, 'server', 'main.js');
  const stamp = path.join(BUILD_DIR, '.stamp');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'server')),
    newestMtime(path.join(ROOT, 'protocol')),
  );
  if (existsSync(entry) && existsSync(stamp) && statSync(stamp).mtimeMs > sources) return entry;
  log(`compiling the server into ${BUILD_DIR} …`);
  mkdirSync(BUILD_DIR, { recursive: true });
  const modules = path.join(BUILD_DIR, 'node_modules');
  if (!existsSync(modules)) symlinkSync(path.join(ROOT, 'node_modules'), modules, 'dir');
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      BUILD_DIR,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (!existsSync(entry)) throw new Error(`server build failed:\n${r.stdout}${r.stderr}`);
  if (r.status !== 0) log(`tsc reported problems (the build was emitted anyway):\n${r.stdout}`);
  writeFileSync(stamp, new Date().toISOString());
  return entry;
}

export interface ServerProc {
  name: 'parley' | 'baseline';
  /** The Node process (not a wrapper such as strace). */
  pid: number;
  port: number;
  url: string;
  logFile: string;
  cpu(): number;
  /** Kernel-mode part of cpu(). */
  systemCpu(): number;
  rss(): number;
  /** Prometheus text from /metrics, as name (with labels) → value. */
  scrape(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function waitReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const until = Date.now() + 60_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < until) {
    if (exited)
      throw new Error(
        `server exited during start-up; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`,
      );
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server did not become ready; see ${logFile}`);
}

/** The pid of the child of `pid` running `script` (strace forks short-lived probes first). */
async function childPid(pid: number, script: string): Promise<number> {
  for (let i = 0; i < 400; i++) {
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
        for (const kid of kids ? kids.split(' ') : []) {
          const argv = readFileSync(`/proc/${kid}/cmdline`, 'utf8').split('\0');
          if (argv[0] === process.execPath && argv.includes(script)) return Number(kid);
        }
      }
    } catch {
      // not there yet, or a probe that just exited
    }
    await sleep(25);
  }
  throw new Error('could not find the traced process');
}

function wrap(
  name: ServerProc['name'],
  child: ChildProcess,
  pid: number,
  port: number,
  logFile: string,
): ServerProc {
  const url = `http://127.0.0.1:${port}`;
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  return {
    name,
    pid,
    port,
    url,
    logFile,
    cpu: () => cpuSeconds(pid),
    systemCpu: () => systemCpuSeconds(pid),
    rss: () => rssBytes(pid),
    async scrape() {
      const r = await fetch(`${url}/metrics`);
      return parseMetrics(await r.text());
    },
    async stop() {
      if (exitCode !== null || child.exitCode !== null) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }, 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface ParleyOptions {
  dataDir: string;
  sync?: 'FULL' | 'NORMAL';
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Run under strace, logging fsync/fdatasync calls with timestamps to this file. */
  straceFile?: string;
  env?: Record<string, string>;
  /** Listen address (127.0.0.1); 0.0.0.0 lets generators use several loopback addresses. */
  host?: string;
  log: (s: string) => void;
}

/** Starts `node dist/server/main.js` as a child on a fresh port with the bench settings. */
export async function startParley(o: ParleyOptions): Promise<ServerProc> {
  const entry = ensureServerBuild(o.log);
  const port = await freePort();
  const webRoot = path.join(o.dataDir, 'web');
  mkdirSync(webRoot, { recursive: true });
  writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>bench</title>');
  const logFile = path.join(o.dataDir, 'server.log');
  const out = createWriteStream(logFile);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: o.host ?? '127.0.0.1',
    DATA_DIR: o.dataDir,
    WEB_ROOT: webRoot,
    JWT_SECRET: BENCH_JWT_SECRET,
    LOG_LEVEL: 'warn',
    SOCKET_MESSAGES_PER_SECOND: '1000000',
    SOCKET_EVENTS_PER_SECOND: '1000000',
    MAX_SOCKETS_PER_USER: '100000',
    SQLITE_SYNCHRONOUS: o.sync ?? 'FULL',
    ...o.env,
  };
  const nodeArgv = [...(o.nodeArgs ?? []), entry];
  const [cmd, args] = o.straceFile
    ? [
        'strace',
        [
          '-f',
          '--seccomp-bpf',
          '-qq',
          '-ttt',
          '-e',
          'trace=fsync,fdatasync',
          '-e',
          'signal=none',
          '-o',
          o.straceFile,
          process.execPath,
          ...nodeArgv,
        ],
      ]
    : [process.execPath, nodeArgv];
  const child = spawn(cmd, args, { cwd: o.dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const pid = o.straceFile ? await childPid(child.pid!, entry) : child.pid!;
  await waitReady(`http://127.0.0.1:${port}/readyz`, child, logFile);
  return wrap('parley', child, pid, port, logFile);
}

/** Starts bench/baseline-server.ts (bare Socket.IO relay) as a child on a fresh port. */
export async function startBaseline(o: {
  dir: string;
  nodeArgs?: string[];
  /** Listen address (127.0.0.1); 0.0.0.0 lets generators use several loopback addresses. */
  host?: string;
}): Promise<ServerProc> {
  const port = await freePort();
  mkdirSync(o.dir, { recursive: true });
  const logFile = path.join(o.dir, 'baseline.log');
  const out = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [...(o.nodeArgs ?? []), '--import', 'tsx', path.join(BENCH_DIR, 'baseline-server.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: o.host ?? '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  await waitReady(`http://127.0.0.1:${port}/healthz`, child, logFile);
  return wrap('baseline', child, child.pid!, port, logFile);
}
