#!/usr/bin/env node
// `parley`, the operator's command (accounts, backup, restore): `npx parley --help`.
// Runs the built command (dist/server/cli/main.js) when it is at least as new as its sources;
// else, in a development checkout, the sources (compiled on the fly, see build-state.mjs), so
// it never runs code older than the checkout.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliBuildFresh, cliFromSources, ROOT } from '../scripts/build-state.mjs';

const built = path.join(ROOT, 'dist', 'server', 'cli', 'main.js');

async function entry() {
  if (cliBuildFresh()) return built;
  const compiled = await cliFromSources().catch((err) => {
    process.stderr.write(`parley: compiling the sources failed: ${err.message}\n`);
    process.exit(1);
  });
  if (compiled) return compiled;
  // No tsx, hence no esbuild (an install without devDependencies): the build, even if older.
  if (existsSync(built)) {
    process.stderr.write('parley: the build is older than the sources; run npm run build\n');
    return built;
  }
  process.stderr.write('parley: nothing to run: build it (npm run build) or npm install\n');
  process.exit(1);
}

const { runProgram } = await import(pathToFileURL(await entry()).href);
await runProgram(process.argv.slice(2));
