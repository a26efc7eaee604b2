import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { CliCommand, CliIo } from './command.js';
import { parseOptions, UsageError } from './command.js';

/** The tool to back up a database that is not SQLite, in one line. */
export function dumpAdvice(kind: Config['databaseKind']): string {
  return kind === 'postgres'
    ? 'the database is PostgreSQL (DATABASE_URL): back it up with pg_dump, e.g. pg_dump --format=custom --file=parley.dump "$DATABASE_URL"'
    : 'the database is MySQL/MariaDB (DATABASE_URL): back it up with mariadb-dump (or mysqldump) --single-transaction';
}

/** What a database backup leaves out (files, the JWT secret) and how to keep it, in lines. */
export function outsideTheDatabase(
  config: Config,
  io: CliIo,
  verb: 'backup' | 'restore',
): string[] {
  const lines: string[] = [];
  const store = config.fileStore;
  if (store.kind === 'local') {
    const dir = store.dir;
    lines.push(
      verb === 'backup'
        ? `Not in this file: uploaded files and avatars, under ${path.join(dir, 'uploads')} and ${path.join(dir, 'avatars')}. ` +
            'Copy them now, after the database (files are written once under new names and never changed, ' +
            'so a copy taken while the server runs holds every file this backup names), e.g.:\n' +
            `  rsync -a ${path.join(dir, 'uploads')} ${path.join(dir, 'avatars')} /backups/parley-files/`
        : `Uploaded files and avatars are not in a database backup: copy them back into ${dir} ` +
            '(uploads/ and avatars/) from the copy taken with it.',
    );
  } else {
    lines.push(
      `Uploaded files and avatars are in the S3 bucket "${store.bucket}", not in the database: ` +
        `${verb === 'backup' ? 'back it up' : 'restore it'} with your storage's own tools.`,
    );
  }
  if (!io.env.JWT_SECRET) {
    const secret = path.join(config.dataDir, 'jwt-secret');
    lines.push(
      verb === 'backup'
        ? `Keep ${secret} with it too: a server restored without it starts with a new secret, and everyone signs in again.`
        : `Sessions stay valid only with the JWT secret they were issued under: copy the backed-up jwt-secret to ${secret} before starting the server (else everyone signs in again).`,
    );
  }
  return lines;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export const backupCommand: CliCommand = {
  words: ['backup'],
  summary: 'copy the SQLite database to a file, while the server runs',
  help: `Usage: parley backup FILE [--force]

Writes a consistent copy of the SQLite database (DATA_DIR/parley.db) to FILE, through SQLite's
online backup: the server keeps running and taking messages meanwhile, and the copy holds
exactly what was committed when it began (every message acknowledged before then). FILE is
one self-contained SQLite file; restore it with parley restore.

Options:
  --force   replace FILE if it exists (otherwise an existing FILE is refused)

Not in FILE: uploaded files and avatars (under DATA_DIR, or FILE_STORE_DIR, or the S3 bucket)
and the generated JWT secret (DATA_DIR/jwt-secret): the output says what to copy, and
docs/DEPLOY.md how. On PostgreSQL or MariaDB, use pg_dump or mariadb-dump instead.

Example:
  parley backup /backups/parley-$(date +%F).db`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { force: { type: 'boolean' } }, ['FILE']);
    const force = values.force === true;
    const { cliConfig, sqliteFileOf } = await import('./context.js');
    const config = cliConfig(io);
    if (config.databaseKind !== 'sqlite') throw new UsageError(dumpAdvice(config.databaseKind));
    const source = sqliteFileOf(config);
    if (!existsSync(source)) throw new UsageError(`no database at ${source} (set DATA_DIR)`);
    const target = path.resolve(positionals[0]!);
    if (target === source || target.startsWith(source + '-')) {
      throw new UsageError(
        `${target} is the live database (or one of its files): choose another FILE`,
      );
    }
    if (!existsSync(path.dirname(target)) || !statSync(path.dirname(target)).isDirectory()) {
      throw new UsageError(`the folder ${path.dirname(target)} does not exist`);
    }
    if (existsSync(target) && !force) {
      throw new UsageError(`${target} exists; add --force to replace it`);
    }
    const { backupSqlite } = await import('./sqlite-files.js');
    const result = await backupSqlite(source, target, force);
    io.out(
      `Backed up ${source} to ${target}: ${formatBytes(result.bytes)} in ${(result.ms / 1000).toFixed(2)} s.`,
    );
    for (const line of outsideTheDatabase(config, io, 'backup')) io.out(line);
    return 0;
  },
};
