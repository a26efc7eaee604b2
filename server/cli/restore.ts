import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CliCommand } from './command.js';
import { parseOptions, UsageError } from './command.js';

export const restoreCommand: CliCommand = {
  words: ['restore'],
  summary: 'put a SQLite backup in place of the database (server stopped)',
  help: `Usage: parley restore FILE [--force]

Restores a backup made with parley backup (or any copy of a stopped server's parley.db) into
DATA_DIR/parley.db. FILE is checked first: it must pass SQLite's integrity check and be a
Parley database this version knows (a newer version's file is refused; an older one is brought
up to date when the server starts).

The server must be stopped: while any program has the current database open, restore refuses
(it asks SQLite for exclusive access, which the system grants only when no other process holds
the file; a killed server holds nothing). An existing database is replaced only with --force,
and is then kept beside it as parley.db.before-restore-<time>; stale -wal/-shm files are removed.

Options:
  --force   replace the database DATA_DIR holds now (kept aside, not deleted)

Not in FILE: uploaded files and avatars, and the JWT secret: copy them back too (the output
says where; see docs/DEPLOY.md). On PostgreSQL or MariaDB, use pg_restore or the mariadb client.

Example:
  systemctl stop parley && parley restore /backups/parley-2026-12-01.db --force && systemctl start parley`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { force: { type: 'boolean' } }, ['FILE']);
    const { cliConfig, sqliteFileOf } = await import('./context.js');
    const config = cliConfig(io);
    if (config.databaseKind !== 'sqlite') {
      throw new UsageError(
        `the database is ${config.databaseKind === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} (DATABASE_URL): ` +
          `restore it with ${config.databaseKind === 'postgres' ? 'pg_restore' : 'the mariadb client'}; parley restore puts back a SQLite backup`,
      );
    }
    const file = path.resolve(positionals[0]!);
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no file ${file}`);
    if (existsSync(file + '-wal')) {
      throw new UsageError(
        `${file}-wal exists: ${file} is a database in use, or was copied while in use; ` +
          'make the copy with parley backup (or stop the server that has it open)',
      );
    }
    const target = sqliteFileOf(config);
    if (file === target) throw new UsageError(`${file} is the database itself`);
    const { restoreSqlite } = await import('./sqlite-files.js');
    const { formatBytes, outsideTheDatabase } = await import('./backup.js');
    const r = restoreSqlite(file, target, { force: values.force === true, now: new Date() });
    io.out(
      `Restored ${file} into ${r.target} (${formatBytes(r.bytes)}, integrity checked, schema ${r.schema}).`,
    );
    if (r.keptAs) io.out(`The database it replaced is kept as ${r.keptAs}.`);
    for (const line of outsideTheDatabase(config, io, 'restore')) io.out(line);
    io.out('Start the server: it brings the schema up to date if the backup is older.');
    return 0;
  },
};
