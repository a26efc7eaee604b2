// Whether dist/ is there and at least as new as what it is built from: `npm start` builds only
// when it is not, and `parley` runs the built command only when it is (else its sources).
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What the server build (tsc) reads. */
const SERVER_INPUTS = [
  'server',
  'protocol',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];
/** What the whole build reads: the server's inputs, the web client and its config. */
const ALL_INPUTS = [...SERVER_INPUTS, 'web', 'package.json'];

/** Never build inputs: tests (beside the code), installed packages, outputs. */
const SKIP_DIRS = new Set(['node_modules', 'dist', 'placeholder', 'coverage']);
const SKIP_FILE = /\.test\.tsx?$/;

/** The newest modification time (ms) of the files under `inputs`, which file it is, how many. */
export function newestInput(inputs, root = ROOT) {
  let newest = { mtimeMs: 0, file: null, count: 0 };
  const visit = (p) => {
    let s;
    try {
      s = statSync(p);
    } catch {
      return; // an optional input (a config file) that is not there
    }
    if (s.isDirectory()) {
      for (const e of readdirSync(p)) {
        if (!SKIP_DIRS.has(e) && !e.startsWith('.')) visit(path.join(p, e));
      }
    } else if (!SKIP_FILE.test(p)) {
      newest.count++;
      if (s.mtimeMs > newest.mtimeMs)
        newest = { ...newest, mtimeMs: s.mtimeMs, file: path.relative(root, p) };
    }
  };
  for (const input of inputs) visit(path.join(root, input));
  return newest;
}

/** When an output was written (ms), or 0 when it is missing. */
function writtenAt(file, root) {
  try {
    return statSync(path.join(root, file)).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Why the whole build (server and web client) must run, or null when it is up to date. tsc
 * rewrites every output on each build, and Vite its index.html, so the older of the two
 * entry points dates the build, however it was run (`npm start`, `npm run build`).
 */
export function buildNeeded(root = ROOT) {
  const builtAt = Math.min(
    writtenAt('dist/server/main.js', root),
    writtenAt('dist/web/index.html', root),
  );
  if (builtAt === 0) return 'there is no build yet';
  const newest = newestInput(ALL_INPUTS, root);
  return newest.mtimeMs > builtAt ? `${newest.file} changed since the last build` : null;
}

/** Whether the built `parley` command (dist/server/cli/main.js) is there and up to date. */
export function cliBuildFresh(root = ROOT) {
  const builtAt = writtenAt('dist/server/cli/main.js', root);
  return builtAt > 0 && newestInput(SERVER_INPUTS, root).mtimeMs <= builtAt;
}

/**
 * The `parley` command compiled from the sources, for a checkout whose build is older than
 * them: bundled with esbuild (the one tsx brings, so present wherever tsx is) into
 * node_modules/.cache/parley-cli/<sources' time>/, once per change of the sources, packages
 * left external. Running that costs about half of running the sources through tsx, whose
 * loader hooks see every module of every package. Null when esbuild is not there.
 */
export async function cliFromSources(root = ROOT) {
  const require = createRequire(path.join(root, 'package.json'));
  let esbuild;
  try {
    const tsx = createRequire(require.resolve('tsx/package.json'));
    esbuild = await import(pathToFileURL(tsx.resolve('esbuild')).href);
  } catch {
    return null;
  }
  const cache = path.join(root, 'node_modules', '.cache', 'parley-cli');
  // A file removed or renamed changes the count even when no time moves.
  const inputs = newestInput(SERVER_INPUTS, root);
  const version = `${Math.ceil(inputs.mtimeMs)}-${inputs.count}`;
  const dir = path.join(cache, version);
  const main = path.join(dir, 'main.js');
  if (existsSync(main)) return main;
  // Written aside and renamed, so that commands started together never run half a bundle.
  const temp = `${dir}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: { main: path.join(root, 'server', 'cli', 'main.ts') },
    outdir: temp,
    bundle: true,
    splitting: true, // commands stay in chunks of their own, loaded when asked for
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  try {
    renameSync(temp, dir);
  } catch {
    rmSync(temp, { recursive: true, force: true }); // another run got there first
  }
  for (const old of readdirSync(cache)) {
    if (old !== version && !old.endsWith('.tmp')) {
      rmSync(path.join(cache, old), { recursive: true, force: true });
    }
  }
  return main;
}
