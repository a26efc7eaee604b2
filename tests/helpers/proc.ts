import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Api } from './api.js';
import type { TestDatabase } from './db.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A TCP port nobody listens on right now (the kernel picks it; we release it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessOptions {
  db: TestDatabase;
  /** Extra environment for every start (each start may add more). */
  env?: Record<string, string>;
  /** How long a start may take to answer /readyz. */
  readyTimeoutMs?: number;
}

const TAIL_LINES = 300;

/** Servers still running when the test process exits are killed with it. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Parley as a real child process (`node --import tsx server/main.ts`), so a test can SIGKILL
 * it and start it again on the same data directory and database. The port and JWT secret are
 * chosen once and kept across restarts, so clients reconnect to the same address and their
 * tokens stay valid.
 */
export class ParleyProcess {
  readonly url: string;
  readonly api: Api;
  readonly jwtSecret = randomBytes(32).toString('hex');
  /** Every exit so far, in order (a chaos crash point shows up as signal SIGKILL). */
  readonly exits: Exit[] = [];
  starts = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<Exit> | null = null;
  private tail: string[] = [];

  private constructor(
    readonly port: number,
    private readonly opts: ProcessOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.api = new Api(this.url);
  }

  /** Picks a port and starts the first process. */
  static async start(
    opts: ProcessOptions,
    env: Record<string, string> = {},
  ): Promise<ParleyProcess> {
    const p = new ParleyProcess(await freePort(), opts);
    await p.start(env);
    return p;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The environment of a start: a clean one, not the test runner's. */
  private envFor(extra: Record<string, string>): Record<string, string> {
    const { db } = this.opts;
    return {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(this.port),
      HOST: '127.0.0.1',
      DATA_DIR: db.dataDir,
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      JWT_SECRET: this.jwtSecret,
      LOG_LEVEL: process.env.PARLEY_TEST_LOG_LEVEL ?? 'warn',
      // Load tests send far faster than a person; the limits are not what is under test here.
      SOCKET_MESSAGES_PER_SECOND: '5000',
      SOCKET_EVENTS_PER_SECOND: '5000',
      RATE_LIMIT_SIGNUPS_PER_HOUR: '100000',
      MAX_SOCKETS_PER_USER: '64',
      // The nodes of a deployment share its DATA_DIR, so local file storage is shared.
      FILE_STORE_SHARED: 'true',
      ...this.opts.env,
      ...extra,
    };
  }

  /** Starts the server and resolves once /readyz answers 200. */
  async start(env: Record<string, string> = {}): Promise<void> {
    if (this.child) throw new Error('Parley is already running');
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      env: this.envFor(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.starts++;
    this.child = child;
    live.add(child);
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        const exit = { code, signal };
        this.exits.push(exit);
        if (this.child === child) this.child = null;
        resolve(exit);
      });
    });
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (this.child !== child) {
        const exit = await this.exited;
        throw new Error(
          `Parley exited during start-up (${exit.signal ?? exit.code})\n${this.logTail(40)}`,
        );
      }
      try {
        const res = await fetch(this.url + '/readyz', { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    await this.kill('SIGKILL');
    throw new Error(`Parley was not ready in time\n${this.logTail(40)}`);
  }

  /** Resolves when the running process exits (at once if none runs). */
  async waitExit(timeoutMs = 15_000): Promise<Exit | null> {
    if (!this.child || !this.exited) return this.exits[this.exits.length - 1] ?? null;
    const exited = this.exited;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 15_000): Promise<Exit | null> {
    const child = this.child;
    if (!child) return this.exits[this.exits.length - 1] ?? null;
    child.kill(signal);
    return this.waitExit(timeoutMs);
  }

  /** SIGKILL, then start again on the same port, data directory and database. */
  async restart(env: Record<string, string> = {}, downMs = 0): Promise<void> {
    await this.kill('SIGKILL');
    if (downMs > 0) await sleep(downMs);
    await this.start(env);
  }

  /** Graceful stop: SIGTERM, and SIGKILL if it does not finish within the grace period. */
  async stop(graceMs = 12_000): Promise<void> {
    if (!this.child) return;
    const exit = await this.kill('SIGTERM', graceMs);
    if (exit === null) await this.kill('SIGKILL');
  }

  /** The last lines the server printed (for failure messages). */
  logTail(lines = 60): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** Lines the server printed that look like trouble: errors, unhandled rejections. */
  troubleLines(): string[] {
    return this.tail.filter((l) => /"level":(50|60)|unhandled|uncaught/i.test(l));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
