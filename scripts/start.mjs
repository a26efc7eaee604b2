#!/usr/bin/env node
// `npm start`: builds only when dist/ is missing or older than its sources (see
// build-state.mjs), then runs the server. On a terminal its log lines (JSON, one per line) are
// shown readable through pino-pretty; otherwise (a service, a container, a pipe) they go out as
// JSON, with the server in this very process.
import { spawn, spawnSync } from 'node:child_process';
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildNeeded, ROOT } from './build-state.mjs';

const why = buildNeeded();
if (why) {
  process.stderr.write(`Building Parley (${why})…\n`);
  const npm = process.env.npm_execpath;
  const build = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: ROOT, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: true });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const main = path.join(ROOT, 'dist', 'server', 'main.js');

// Node 22.1 and later keep the compiled code of every module on disk, so the next start skips
// compiling it (most of a start is loading modules); older versions have no such cache.
const compileCache = path.join(ROOT, 'node_modules', '.cache', 'node-compile-cache');
module.enableCompileCache?.(compileCache);

if (!process.stdout.isTTY) {
  await import(pathToFileURL(main).href);
} else {
  const server = spawn(process.execPath, [...process.execArgv, main, ...process.argv.slice(2)], {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: { NODE_COMPILE_CACHE: compileCache, ...process.env },
  });
  // Ctrl-C reaches the server too (same process group); a signal sent to this process alone
  // (by npm, or `kill`) is passed on. The server stops once, however many it gets.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => server.kill(signal));
  }
  const { default: pretty } = await import('pino-pretty');
  server.stdout.pipe(
    pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
  );
  server.on('close', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1);
  });
}
