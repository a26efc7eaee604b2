#!/usr/bin/env node
// Runs the unit tests and the integration suite once per database: SQLite always, PostgreSQL
// and MariaDB/MySQL when their servers answer; then the reliability suite. With CI=true a
// missing server fails the run.
// Extra arguments go to Vitest (e.g. `npm test -- tests/integration/auth.test.ts`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

const PG_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env.PARLEY_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
const ci = process.env.CI === 'true' || process.env.CI === '1';

function reachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const only = (process.env.PARLEY_TEST_DBS ?? 'sqlite,postgres,mysql')
  .split(',')
  .map((s) => s.trim());
const projects = ['unit', 'web'];
const skipped = [];
for (const [name, url] of [
  ['sqlite', null],
  ['postgres', PG_URL],
  ['mysql', MYSQL_URL],
]) {
  if (!only.includes(name)) {
    skipped.push(`${name}: not in PARLEY_TEST_DBS`);
    continue;
  }
  if (url && !(await reachable(url))) {
    const why = `${name}: no server at ${new URL(url).host}`;
    if (ci) {
      console.error(`FAIL ${why} (CI=true requires every database suite)`);
      process.exit(1);
    }
    skipped.push(why);
    continue;
  }
  projects.push(name);
}

// Several nodes need PostgreSQL and Redis.
const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
if (projects.includes('postgres')) {
  if (await reachable(REDIS_URL)) projects.push('cluster');
  else if (ci) {
    console.error(`FAIL cluster: no Redis at ${new URL(REDIS_URL).host} (CI=true requires it)`);
    process.exit(1);
  } else skipped.push(`cluster: no Redis at ${new URL(REDIS_URL).host}`);
} else skipped.push('cluster: needs the postgres suite');

// The browser suite drives Debian's Chromium (.ci/run installs it).
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(CHROMIUM)) projects.push('e2e');
else if (ci) {
  console.error(`FAIL e2e: no Chromium at ${CHROMIUM} (CI=true requires it)`);
  process.exit(1);
} else skipped.push(`e2e: no Chromium at ${CHROMIUM}`);

const args = [
  'vitest',
  'run',
  ...projects.flatMap((p) => ['--project', p]),
  ...process.argv.slice(2),
];

// The reliability suite (SIGKILL, restarts, load with time budgets) runs on its own after the
// others, so it never competes with them for the two cores. Its per-database tests run on the
// databases found above. PARLEY_TEST_RELIABILITY=0 leaves it out.
const reliability = process.env.PARLEY_TEST_RELIABILITY !== '0';
const reliabilityDbs = ['sqlite', 'postgres', 'mysql'].filter((d) => projects.includes(d));
if (!reliability) skipped.push('reliability: PARLEY_TEST_RELIABILITY=0');

function run(argv, env = {}) {
  return new Promise((resolve) => {
    const child = spawn('npx', argv, { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

console.log(`Running suites: ${projects.join(', ')}${reliability ? ', then reliability' : ''}`);
let code = await run(args);
if (reliability) {
  console.log(`\nRunning the reliability suite (databases: ${reliabilityDbs.join(', ')})`);
  const rcode = await run(
    ['vitest', 'run', '--project', 'reliability', '--passWithNoTests', ...process.argv.slice(2)],
    { PARLEY_RELIABILITY_DBS: reliabilityDbs.join(',') },
  );
  code = code || rcode;
}
if (skipped.length) {
  console.log('\nSkipped database suites:');
  for (const s of skipped) console.log(`  - ${s}`);
}
process.exit(code);
