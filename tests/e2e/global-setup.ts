import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The newest modification time of any file under the given paths. */
function newest(paths: string[]): number {
  let t = 0;
  const walk = (p: string) => {
    const s = statSync(p);
    if (s.isDirectory()) {
      for (const e of readdirSync(p))
        if (e !== 'node_modules' && e !== 'placeholder') walk(path.join(p, e));
    } else t = Math.max(t, s.mtimeMs);
  };
  for (const p of paths) if (existsSync(p)) walk(p);
  return t;
}

/**
 * The browser tests run the built client: build it once when dist/web is missing or older
 * than its sources, so a plain `npm test` after editing the client tests the edit.
 */
export default function setup(): void {
  const index = path.join(root, 'dist', 'web', 'index.html');
  const sources = newest(['web', 'protocol'].map((p) => path.join(root, p)));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const vite = path.join(root, 'node_modules', '.bin', 'vite');
  const r = spawnSync(vite, ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('vite build of the web client failed');
}
