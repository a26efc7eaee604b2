#!/usr/bin/env node
// Runs the unit tests and the integration suite once per database: SQLite always, PostgreSQL
// and MariaDB/MySQL when their servers answer; then the reliability suite. With CI=true a
// missing server fails the run.
// Extra arguments go to Vitest (e.g. `npm test -- tests/integration/auth.test.ts`).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
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

// The failure suite runs real deployments: node processes on PostgreSQL (a private cluster
// too, from initdb), private redis-server processes, and nginx running docs/deploy/nginx.conf.
// It runs last, and only once the first run passed. PARLEY_TEST_FAILURE=0 leaves it out.
const onPath = (name) =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${name}`));
const pgPrograms = () =>
  ['initdb', 'pg_ctl'].every(
    (p) =>
      onPath(p) ||
      (existsSync('/usr/lib/postgresql') &&
        readdirSync('/usr/lib/postgresql').some((v) =>
          existsSync(`/usr/lib/postgresql/${v}/bin/${p}`),
        )),
  );
let failure = process.env.PARLEY_TEST_FAILURE !== '0';
if (!failure) skipped.push('failure: PARLEY_TEST_FAILURE=0');
else {
  const missing = [
    ...(projects.includes('postgres') ? [] : ['a PostgreSQL server']),
    ...(pgPrograms() ? [] : ['PostgreSQL programs (initdb, pg_ctl)']),
    ...(onPath('redis-server') ? [] : ['redis-server']),
    ...(onPath('nginx') || existsSync('/usr/sbin/nginx') ? [] : ['nginx']),
  ];
  if (missing.length && ci) {
    console.error(`FAIL failure: needs ${missing.join(', ')} (CI=true requires it)`);
    process.exit(1);
  }
  if (missing.length) {
    skipped.push(`failure: needs ${missing.join(', ')}`);
    failure = false;
  }
}

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

console.log(
  `Running suites: ${projects.join(', ')}${reliability ? ', then reliability' : ''}${failure ? ', then failure' : ''}`,
);
let code = await run(args);
const firstPassed = code === 0;
if (reliability) {
  console.log(`\nRunning the reliability suite (databases: ${reliabilityDbs.join(', ')})`);
  const rcode = await run(
    ['vitest', 'run', '--project', 'reliability', '--passWithNoTests', ...process.argv.slice(2)],
    { PARLEY_RELIABILITY_DBS: reliabilityDbs.join(',') },
  );
  code = code || rcode;
}
if (failure && firstPassed) {
  console.log('\nRunning the failure suite (several nodes, Redis, PostgreSQL and nginx restarts)');
  const fcode = await run([
    'vitest',
    'run',
    '--project',
    'failure',
    '--passWithNoTests',
    ...process.argv.slice(2),
  ]);
  code = code || fcode;
} else if (failure) skipped.push('failure: the suites before it failed');
if (skipped.length) {
  console.log('\nSkipped database suites:');
  for (const s of skipped) console.log(`  - ${s}`);
}
process.exit(code);
