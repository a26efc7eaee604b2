import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestDatabase } from './db.js';
import { freePort, sleep } from './proc.js';

/**
 * Private backing services for the failure tests: a Redis, a PostgreSQL cluster and nginx of
 * the test's own, each a child process it can stop and start again on the same port without
 * disturbing anything else on the machine.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Processes still running when the test process exits are killed (a crashed test leaks none). */
const live = new Set<ChildProcess>();
const pids = new Set<number>();
const clusters = new Set<string>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of clusters) {
    spawnSync(pgBin('pg_ctl'), ['-D', dir, '-m', 'immediate', 'stop'], asPostgres());
  }
});

/** Keeps the last lines a child printed. */
function tailOf(child: ChildProcess, tail: string[], max = 200): void {
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > max) tail.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const done = await Promise.race([exitOf(child).then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

/** Sends `line` to 127.0.0.1:port and resolves with the first reply chunk ('' on failure). */
function ask(port: number, line: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (text: string) => {
      socket.destroy();
      resolve(text);
    };
    socket.setTimeout(timeoutMs, () => done(''));
    socket.once('connect', () => socket.write(line));
    socket.once('data', (d: Buffer) => done(d.toString('utf8')));
    socket.once('error', () => done(''));
  });
}

/** Whether a program can be found on PATH (or at an absolute path). */
export function hasProgram(name: string): boolean {
  if (path.isAbsolute(name)) return existsSync(name);
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && existsSync(path.join(dir, name)));
}

// ---------------------------------------------------------------------------------------------
// Redis

/**
 * A redis-server of the test's own on a free loopback port, without persistence (as DEPLOY.md
 * allows): a restart empties it, as a real Redis restart without persistence does.
 */
export class RedisServer {
  private child: ChildProcess | null = null;
  private readonly tail: string[] = [];
  starts = 0;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  static async start(): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      const r = new RedisServer(await freePort());
      try {
        await r.start();
        return r;
      } catch (err) {
        // Another process took the port between choosing and binding it: choose again.
        if (attempt >= 3 || !/already in use/i.test(String(err))) throw err;
      }
    }
  }

  /** Starts redis-server on its port and resolves once it answers PING. */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() },
    );
    this.starts++;
    this.child = child;
    live.add(child);
    tailOf(child, this.tail);
    child.once('exit', () => {
      live.delete(child);
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child !== child) throw new Error(`redis-server exited:\n${this.logTail()}`);
      if ((await ask(this.port, 'PING\r\n')).startsWith('+PONG')) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not answer in time:\n${this.logTail()}`);
  }

  /** Stops it (SIGTERM: no save, since persistence is off) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    if (!(await waitExit(child, 10_000))) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
  }

  logTail(lines = 40): string {
    return this.tail.slice(-lines).join('\n');
  }
}

/** A REDIS_PREFIX no other run uses. */
export function uniquePrefix(label: string): string {
  return `parley-${label}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** The directory of the newest installed PostgreSQL's programs (Debian layout), else PATH. */
function pgBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && existsSync(path.join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0]!, 'bin') : null;
}

function pgBin(name: string): string {
  const dir = pgBinDir();
  return dir ? path.join(dir, name) : name;
}

export function hasPostgresPrograms(): boolean {
  return hasProgram(pgBin('initdb')) && hasProgram(pgBin('pg_ctl'));
}

const isRoot = () => process.getuid?.() === 0;

/** PostgreSQL refuses to run as root: as root, its programs run as the postgres user. */
function asPostgres(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres']).stdout.toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

function runPg(program: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const cmd = isRoot() ? 'runuser' : pgBin(program);
  const argv = isRoot() ? ['-u', 'postgres', '--', pgBin(program), ...args] : args;
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: timeoutMs, cwd: tmpdir() }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${program} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a directory under /tmp, trust auth,
 * loopback only, its own port and socket), so stopping it disturbs no other test.
 */
export class PrivatePostgres {
  private constructor(
    private readonly base: string,
    readonly port: number,
  ) {}

  private get dataDir(): string {
    return path.join(this.base, 'data');
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<PrivatePostgres> {
    const base = mkdtempSync(path.join('/tmp', 'parley-pg-'));
    const owner = asPostgres();
    if (owner.uid !== undefined) chownSync(base, owner.uid, owner.gid!);
    const p = new PrivatePostgres(base, await freePort());
    clusters.add(p.dataDir);
    await runPg('initdb', [
      '-D',
      p.dataDir,
      '--auth=trust',
      '--username=postgres',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await p.start();
    return p;
  }

  /** Starts the cluster on its port and waits until it accepts connections. */
  async start(): Promise<void> {
    await runPg('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      path.join(this.base, 'server.log'),
      '-o',
      `-p ${this.port} -k /tmp -c listen_addresses=127.0.0.1`,
      '-w',
      '-t',
      '30',
      'start',
    ]);
  }

  /** Stops the cluster: `fast` ends sessions and rolls back open transactions. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await runPg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  /** A fresh database in this cluster, in the shape the other helpers take. */
  async createDatabase(): Promise<TestDatabase> {
    const name = `parley_f_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: this.adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(this.adminUrl);
    url.pathname = '/' + name;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-test-'));
    return {
      kind: 'postgres',
      url: url.toString(),
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }

  /** The server's log (for failure messages). */
  logTail(lines = 40): string {
    try {
      return readFileSync(path.join(this.base, 'server.log'), 'utf8')
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '';
    }
  }

  /** Stops the cluster at once and deletes it. */
  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } catch {
      // already stopped
    }
    clusters.delete(this.dataDir);
    rmSync(this.base, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// nginx

/** The documented nginx configuration (docs/deploy/nginx.conf). */
export const NGINX_CONF = path.join(ROOT, 'docs/deploy/nginx.conf');

/**
 * docs/deploy/nginx.conf with only its addresses changed: `listen 80` becomes a loopback port,
 * `server_name` a local name, and the three upstream servers the given node ports (repeated in
 * turn when fewer than three nodes run). Everything else is the file as documented.
 */
export function rewriteNginxConf(text: string, listenPort: number, nodePorts: number[]): string {
  if (nodePorts.length === 0) throw new Error('nginx needs at least one node');
  const replaceOnce = (t: string, pattern: RegExp, by: string | ((m: string) => string)) => {
    const n = [...t.matchAll(new RegExp(pattern.source, pattern.flags + 'g'))].length;
    if (n !== 1) throw new Error(`${NGINX_CONF}: expected one match of ${pattern}, found ${n}`);
    return t.replace(pattern, by as string);
  };
  let out = replaceOnce(text, /^(\s*)listen 80;/m, `$1listen 127.0.0.1:${listenPort};`);
  out = replaceOnce(out, /^(\s*)server_name [^;]+;/m, '$1server_name localhost;');
  let upstream = 0;
  out = out.replace(/server 127\.0\.0\.1:300[1-3]\b/g, () => {
    const port = nodePorts[upstream % nodePorts.length]!;
    upstream++;
    return `server 127.0.0.1:${port}`;
  });
  if (upstream !== 3) {
    throw new Error(
      `${NGINX_CONF}: expected three upstream servers 127.0.0.1:300N, found ${upstream}`,
    );
  }
  return out;
}

/** One line of the access log. */
export interface AccessEntry {
  status: number;
  method: string;
  uri: string;
  upstream: string;
  upstreamStatus: string;
}

/** nginx running docs/deploy/nginx.conf in front of the nodes, with its files in a temp dir. */
export class Nginx {
  private child: ChildProcess | null = null;
  private readonly tail: string[] = [];

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private static async create(nodePorts: number[]): Promise<Nginx> {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-nginx-'));
    // Worker processes (nobody, when started as root) must reach the temp paths.
    chmodSync(dir, 0o755);
    for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      mkdirSync(path.join(dir, sub));
    }
    const port = await freePort();
    const site = path.join(dir, 'parley.conf');
    writeFileSync(site, rewriteNginxConf(readFileSync(NGINX_CONF, 'utf8'), port, nodePorts));
    const main = path.join(dir, 'nginx.conf');
    writeFileSync(
      main,
      [
        'daemon off;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        'events {}',
        'http {',
        // One parseable line per request: status, method and URI, upstream(s) and their status.
        `    log_format failure '$status "$request_method" "$request_uri" "$upstream_addr" "$upstream_status"';`,
        `    access_log ${dir}/access.log failure;`,
        `    client_body_temp_path ${dir}/client_body;`,
        `    proxy_temp_path ${dir}/proxy;`,
        `    fastcgi_temp_path ${dir}/fastcgi;`,
        `    uwsgi_temp_path ${dir}/uwsgi;`,
        `    scgi_temp_path ${dir}/scgi;`,
        `    include ${site};`,
        '}',
        '',
      ].join('\n'),
    );
    const n = new Nginx(dir, port);
    try {
      await n.run(main);
    } catch (err) {
      n.child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return n;
  }

  /** Like `create`, choosing another port if another process took the first one meanwhile. */
  static async start(nodePorts: number[]): Promise<Nginx> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Nginx.create(nodePorts);
      } catch (err) {
        if (attempt >= 3 || !/already in use/i.test(String(err))) throw err;
      }
    }
  }

  private async run(main: string): Promise<void> {
    const program = hasProgram('nginx') ? 'nginx' : '/usr/sbin/nginx';
    const child = spawn(program, ['-p', this.dir, '-c', main], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    tailOf(child, this.tail);
    child.once('exit', () => {
      live.delete(child);
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child !== child) throw new Error(`nginx exited:\n${this.errors()}`);
      if ((await ask(this.port, 'GET /healthz HTTP/1.0\r\n\r\n')).startsWith('HTTP/1.1')) return;
      await sleep(50);
    }
    throw new Error(`nginx did not answer in time:\n${this.errors()}`);
  }

  /** Every request nginx logged so far. */
  accessLog(): AccessEntry[] {
    let text = '';
    try {
      text = readFileSync(path.join(this.dir, 'access.log'), 'utf8');
    } catch {
      return [];
    }
    const out: AccessEntry[] = [];
    for (const line of text.split('\n')) {
      const m = /^(\d{3}) "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)"$/.exec(line);
      if (m) {
        out.push({
          status: Number(m[1]),
          method: m[2]!,
          uri: m[3]!,
          upstream: m[4]!,
          upstreamStatus: m[5]!,
        });
      }
    }
    return out;
  }

  /** nginx's error log and output (for failure messages). */
  errors(lines = 40): string {
    let text = '';
    try {
      text = readFileSync(path.join(this.dir, 'error.log'), 'utf8');
    } catch {
      // not written yet
    }
    return [...text.split('\n').slice(-lines), ...this.tail].join('\n');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 10_000))) {
        child.kill('SIGKILL');
        await exitOf(child);
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Kills a process of ours (a node's pid) if the test process exits while it still runs. */
export function killOnExit(pid: number | undefined): void {
  if (pid !== undefined) pids.add(pid);
}
