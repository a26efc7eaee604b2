import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from './db.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The `parley` program as package.json's `bin` names it. */
export const PARLEY_BIN = path.join(ROOT, 'bin', 'parley.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment the command reads for a test database: its DATA_DIR and DATABASE_URL. */
export function cliEnv(
  db: TestDatabase,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATA_DIR: db.dataDir,
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    ...extra,
  };
}

/**
 * Runs `parley <args>` as a child process, as an operator would (a clean environment plus
 * `env`, the working directory `cwd`), with `input` on its stdin; resolves when it exits.
 */
export function runParley(
  args: readonly string[],
  env: Record<string, string>,
  opts: { input?: string; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PARLEY_BIN, ...args], {
      cwd: opts.cwd ?? env.DATA_DIR ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
