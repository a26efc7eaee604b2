import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CACHE_DIR, ROOT } from './servers.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  functions: Array<{ name: string; where: string; selfMs: number; share: number }>;
  packages: Array<{ name: string; selfMs: number; share: number }>;
}

/** Where a frame's code comes from: a package, Node itself, the server, or V8 pseudo-frames. */
function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node (core)';
  const s = url.indexOf('/server/');
  if (s >= 0)
    return (
      'parley ' +
      url
        .slice(s + 1)
        .split('/')
        .slice(0, 2)
        .join('/')
    );
  if (url.includes('/protocol/')) return 'parley protocol';
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const s = url.indexOf('/dist/');
  if (s >= 0) return url.slice(s + '/dist/'.length);
  return url.replace(/^file:\/\//, '');
}

/** Self time per function and per package from a V8 .cpuprofile (as written by --cpu-prof). */
export function summarizeProfile(file: string, top = 30): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const pkgs = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const f = fns.get(key) ?? { name, where, us: 0 };
    f.us += us;
    fns.set(key, f);
    const pkg = packageOf(url, name);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  const share = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    totalMs: ms(total),
    idleMs: ms(idle),
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: ms(f.us), share: share(f.us) })),
    packages: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: ms(us), share: share(us) })),
  };
}

export function profileText(s: ProfileSummary): string {
  const lines = [
    `busy ${s.totalMs} ms, idle ${s.idleMs} ms`,
    '',
    'self time by package / area:',
    ...s.packages.map(
      (p) => `  ${String(p.share).padStart(5)}%  ${String(p.selfMs).padStart(9)} ms  ${p.name}`,
    ),
    '',
    'top functions by self time:',
    ...s.functions.map(
      (f) =>
        `  ${String(f.share).padStart(5)}%  ${String(f.selfMs).padStart(9)} ms  ${f.name}  ${f.where}`,
    ),
  ];
  return lines.join('\n') + '\n';
}

/** A fresh directory for `node --cpu-prof`, and the flags that write the profile there. */
export function profiling(): { dir: string; nodeArgs: string[] } {
  const dir = path.join(CACHE_DIR, 'prof', `${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return { dir, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] };
}

/** Summarizes the profile a stopped server wrote into `dir`, into a text file. */
export function writeProfileSummary(dir: string, out: string, log: (s: string) => void): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    log('no CPU profile was written');
    return;
  }
  writeFileSync(out, profileText(summarizeProfile(path.join(dir, file))));
  log(
    `CPU profile summary written to ${path.relative(process.cwd(), out)} (raw: ${path.join(dir, file)})`,
  );
}

/**
 * A module preloaded into the Parley server with `node --import` (for --sql-trace): it times
 * every better-sqlite3 prepare/run/get/all call by SQL text and writes the totals to
 * $PARLEY_SQL_TRACE when the process exits. Measurement only; nothing else changes. Kept as
 * text and written to bench/.cache at use, since the server runs as plain JavaScript.
 */
const SQL_TRACE_HOOK = `import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.env.PARLEY_SQL_TRACE_FROM);
const Database = require('better-sqlite3');
const stats = new Map();

function record(sql, kind, ns) {
  const key = \`\${kind}\\u0000\${sql}\`;
  const s = stats.get(key);
  if (s) {
    s.calls++;
    s.ns += ns;
  } else stats.set(key, { calls: 1, ns });
}

const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (sql) {
  const t = process.hrtime.bigint();
  const stmt = prepare.call(this, sql);
  record(sql, 'prepare', Number(process.hrtime.bigint() - t));
  for (const method of ['run', 'get', 'all']) {
    const original = stmt[method];
    stmt[method] = function (...args) {
      const start = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        record(sql, method, Number(process.hrtime.bigint() - start));
      }
    };
  }
  return stmt;
};

process.on('exit', () => {
  const file = process.env.PARLEY_SQL_TRACE;
  if (!file) return;
  const rows = [...stats.entries()].map(([key, s]) => {
    const [kind, sql] = key.split('\\u0000');
    return { kind, sql, calls: s.calls, ms: s.ns / 1e6 };
  });
  writeFileSync(file, JSON.stringify(rows));
});
`;

/** Node flags and environment that time every SQL statement of a server. */
export function sqlTracing(): { file: string; nodeArgs: string[]; env: Record<string, string> } {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `sql-trace-${Date.now()}.json`);
  // Outside the repository, so linters never see it; it loads better-sqlite3 from the repository.
  const hook = path.join(os.tmpdir(), `parley-bench-sql-trace-${process.pid}.mjs`);
  writeFileSync(hook, SQL_TRACE_HOOK);
  return {
    file,
    nodeArgs: ['--import', pathToFileURL(hook).href],
    env: { PARLEY_SQL_TRACE: file, PARLEY_SQL_TRACE_FROM: path.join(ROOT, 'package.json') },
  };
}

/** The traced statements by total time, with calls per unit of work (e.g. per message). */
export function writeSqlSummary(
  file: string,
  out: string,
  units: { name: string; count: number },
  log: (s: string) => void,
): void {
  let rows: Array<{ kind: string; sql: string; calls: number; ms: number }>;
  try {
    rows = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    log('no SQL trace was written');
    return;
  }
  rows.sort((a, b) => b.ms - a.ms);
  const total = rows.reduce((a, r) => a + r.ms, 0);
  const lines = [
    `${Math.round(total)} ms in SQLite calls (including fsync waits) over ${units.count} ${units.name}`,
    `${(total / Math.max(1, units.count)).toFixed(3)} ms per ${units.name.replace(/s$/, '')}`,
    '',
    '   share     total ms   calls/unit  mean µs  call     statement',
    ...rows
      .slice(0, 40)
      .map(
        (r) =>
          `  ${((r.ms / total) * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(10)}  ${(r.calls / Math.max(1, units.count)).toFixed(3).padStart(10)}  ${((r.ms * 1000) / r.calls).toFixed(1).padStart(7)}  ${r.kind.padEnd(7)}  ${r.sql.replace(/\s+/g, ' ').slice(0, 150)}`,
      ),
  ];
  writeFileSync(out, lines.join('\n') + '\n');
  log(`SQL summary written to ${path.relative(process.cwd(), out)}`);
}
