import path from 'node:path';
import type { CliCommand, CliIo } from './command.js';
import { UsageError } from './command.js';
import type { MoveReport } from './move-db/move.js';
import { n } from './move-db/progress.js';

const PROTOCOLS = ['postgres:', 'postgresql:', 'mysql:', 'mariadb:'];
const DEFAULT_BATCH_ROWS = 5000;

const HELP = `Usage: parley move-db --to <database URL> [--batch-rows N]

Moves this deployment's SQLite database (DATA_DIR/parley.db) to an empty PostgreSQL or
MariaDB/MySQL database in one step: runs Parley's migrations on the target, copies every table
keeping ids, seqs, versions and times, rebuilds the search index, sets the id sequences past
the copied ids, and verifies the result (rows per table; every conversation's last seq and
version). The SQLite database is only read.

Stop the Parley server first: move-db refuses to run while a process holds the SQLite file.
An interrupted move (a crash, kill -9, a lost connection) continues where it stopped when run
again with the same source and target; run again after success, it says so.

Options:
  --to URL          the target: postgres://user:password@host:5432/database (or postgresql://),
                    mysql://user:password@host:3306/database (or mariadb://)
  --batch-rows N    rows per transaction (default ${DEFAULT_BATCH_ROWS})

Environment: DATA_DIR (default ./data) names the data directory; DATABASE_URL must be unset
(it means the deployment already runs on another database).

Exit codes: 0 moved (or moved before), 1 failed (see the message; run again to resume),
2 refused (bad URL, unreachable or non-empty target, the SQLite file in use).

Example:
  DATA_DIR=/var/lib/parley parley move-db --to postgres://parley:secret@127.0.0.1:5432/parley`;

function parseArgs(args: readonly string[]): { to: URL; batchRows: number } {
  let to: string | undefined;
  let batchRows = DEFAULT_BATCH_ROWS;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--to') to = value();
    else if (flag === '--batch-rows') {
      const v = value();
      batchRows = Number(v);
      if (!/^\d+$/.test(v) || batchRows < 1 || batchRows > 100_000) {
        throw new UsageError(`--batch-rows must be a whole number from 1 to 100000, got "${v}"`);
      }
    } else throw new UsageError(`unknown argument "${arg}" (see parley move-db --help)`);
  }
  if (to === undefined) {
    throw new UsageError('--to is required, e.g. --to postgres://user:password@host:5432/parley');
  }
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    throw new UsageError(
      `--to "${to}" is not a URL; give postgres://user:password@host:5432/database or mysql://user:password@host:3306/database`,
    );
  }
  if (!PROTOCOLS.includes(url.protocol)) {
    throw new UsageError(
      `--to must start with postgres://, postgresql://, mysql:// or mariadb://, got "${url.protocol}//"`,
    );
  }
  return { to: url, batchRows };
}

function summary(r: MoveReport, dataDir: string): string[] {
  const width = Math.max(...r.tables.map((t) => t.name.length), 'message_search'.length) + 2;
  const lines = [
    r.already
      ? `Already moved: ${r.source} went to ${r.target} at ${r.finishedAt} (in ${r.seconds} s).`
      : `Moved ${r.source} to ${r.target} in ${r.seconds} s${r.resumed ? ' (resumed)' : ''}.`,
    ...r.tables.map((t) => `  ${t.name.padEnd(width)}${n(t.rows).padStart(12)}`),
    `  ${'message_search'.padEnd(width)}${n(r.searchRows).padStart(12)}  rebuilt from the messages${
      r.sourceSearchRows !== null ? ` (SQLite's index held ${n(r.sourceSearchRows)})` : ''
    }`,
    `Verified: each table has as many rows as in SQLite and the same highest key; all ${n(
      r.conversations,
    )} conversations have last_seq = max(seq) and last_version = max(version), the same on both sides; ${r.migrations} migrations recorded.`,
    `The SQLite database was only read: keep it as a backup until you are satisfied.`,
    '',
    'Next:',
    `  1. Set DATABASE_URL=${r.target} (with the real password) where Parley reads its`,
    `     environment (e.g. /etc/parley/parley.env or .env).`,
    `  2. Keep DATA_DIR (${dataDir}): it holds the JWT secret (jwt-secret, unless JWT_SECRET is`,
    `     set) and, with the local file store, the uploaded files and avatars (uploads/, avatars/).`,
    `     If the server moves to another machine, copy those along; parley.db is no longer used.`,
    `  3. Start Parley: it finds the schema up to date and serves the moved data.`,
  ];
  return lines;
}

/** `parley move-db`: moves a SQLite deployment to PostgreSQL or MariaDB. */
export const moveDbCommand: CliCommand = {
  words: ['move-db'],
  summary: 'move the SQLite database to PostgreSQL or MariaDB (server stopped)',
  help: HELP,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { to, batchRows } = parseArgs(args);
    const current = io.env.DATABASE_URL;
    if (current !== undefined && current.trim() !== '') {
      throw new UsageError(
        'DATABASE_URL is set: this deployment does not run on SQLite (move-db moves DATA_DIR/parley.db; unset DATABASE_URL to run it)',
      );
    }
    const dataDir = path.resolve(io.env.DATA_DIR || './data');
    // The copying machinery (database drivers included) loads only when a move runs.
    const { moveDatabase } = await import('./move-db/move.js');
    const report = await moveDatabase({ dataDir, url: to, batchRows, say: io.err });
    for (const line of summary(report, dataDir)) io.out(line);
    return 0;
  },
};
