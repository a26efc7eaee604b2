import { existsSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.js';
import type { Deps } from '../context.js';
import { openDatabase, pingDatabase, type DatabaseHandle } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { AppError } from '../errors.js';
import { PasswordHasher } from '../features/auth/passwords.js';
import { LocalPresence } from '../features/presence/presence-store.js';
import { findUserByLogin, type UserRow } from '../features/users/users.queries.js';
import { UsageError, type CliIo } from './command.js';

/**
 * The commands sign no tokens. Without JWT_SECRET, loadConfig would generate
 * DATA_DIR/jwt-secret: a placeholder keeps a command from writing one (a restore into a fresh
 * folder must leave the place to the secret copied from the backup).
 */
const UNUSED_SECRET = 'parley-cli-signs-no-tokens-placeholder-secret';

/** The server's configuration (same variables, same .env); a bad value is the operator's: exit 2. */
export function cliConfig(io: CliIo): Config {
  const env = io.env.JWT_SECRET ? io.env : { ...io.env, JWT_SECRET: UNUSED_SECRET };
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** The SQLite file of a data folder (database.ts opens the same name). */
export const sqliteFileOf = (config: Config) => path.join(config.dataDir, 'parley.db');

/** Where the database is, for messages: the SQLite file, or DATABASE_URL without its password. */
export function databaseLabel(config: Config): string {
  if (config.databaseUrl === null) return sqliteFileOf(config);
  const url = new URL(config.databaseUrl);
  if (url.password) url.password = '***';
  return url.toString();
}

/** A driver's error in a few words: its message, else its code (mysql2 may give only that). */
export function describeDbError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return describeDbError(err.errors[0]);
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : '';
  const code = typeof e?.code === 'string' ? e.code : '';
  if (message === '') return code || String(err);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** An open database with the services the use cases need, as the server builds them. */
export interface CliContext {
  config: Config;
  deps: Deps;
  database: DatabaseHandle;
  close(): Promise<void>;
}

/**
 * Opens the configured database, checks that it answers and brings its schema up to date
 * (migrations are safe while servers run). An unreachable database is a UsageError. A SQLite
 * file that does not exist is one too, unless `create` (the first admin may come before the
 * first start): a mistyped DATA_DIR must not quietly answer "no such user".
 */
export async function openCli(io: CliIo, opts: { create?: boolean } = {}): Promise<CliContext> {
  const config = cliConfig(io);
  const label = databaseLabel(config);
  if (config.databaseKind === 'sqlite' && !opts.create && !existsSync(sqliteFileOf(config))) {
    throw new UsageError(
      `no database at ${label} (set DATA_DIR, or DATABASE_URL for PostgreSQL/MariaDB)`,
    );
  }
  let database: DatabaseHandle;
  try {
    database = openDatabase({
      kind: config.databaseKind,
      url: config.databaseUrl,
      dataDir: config.dataDir,
      sqliteSynchronous: config.sqliteSynchronous,
      poolSize: 2,
    });
  } catch (err) {
    throw new UsageError(`cannot open the database at ${label}: ${describeDbError(err)}`);
  }
  try {
    await pingDatabase(database.db);
  } catch (err) {
    await database.close().catch(() => {});
    throw new UsageError(`cannot reach the database at ${label}: ${describeDbError(err)}`);
  }
  // Use-case logs (who was deactivated…) go to stderr, warnings and up: stdout is the result.
  const log = pino({ level: 'warn', base: { source: 'parley-cli' } }, pino.destination(2));
  try {
    const applied = await migrateToLatest(database.db, database.kind);
    if (applied.length) io.err(`Database at ${label} migrated: ${applied.join(', ')}`);
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  const deps = commandDeps(config, database, log);
  return {
    config,
    deps,
    database,
    close: () => database.close(),
  };
}

/**
 * The services the commands' use cases use: the database, the password hasher, a clock, a log
 * and presence (read by the user presenter; nobody is online in this process). The server's
 * other services load heavy modules (the S3 SDK, JWT, SMTP) that a one-shot command would pay
 * for at every start; here touching one is a bug that fails loudly, not a silent no-op.
 */
function commandDeps(config: Config, database: DatabaseHandle, log: Deps['log']): Deps {
  const provided: Partial<Deps> = {
    config,
    db: database.db,
    dbKind: database.kind,
    // Single statements, outside the server's SQLite group commit (busy_timeout waits for it).
    commits: null,
    log,
    now: Date.now,
    passwords: new PasswordHasher(config.argon2),
    presence: new LocalPresence(),
  };
  return new Proxy(provided, {
    get(target, key) {
      if (key in target) return target[key as keyof Deps];
      if (typeof key === 'symbol' || key === 'then') return undefined;
      throw new Error(`the parley command does not provide deps.${key}`);
    },
  }) as Deps;
}

/** A user named by username or email (any case); an unknown one is a UsageError. */
export async function findUser(deps: Deps, login: string): Promise<UserRow> {
  const row = await findUserByLogin(deps.db, login.trim());
  if (!row) throw new UsageError(`no user "${login}" (give a username or an email)`);
  return row;
}

/**
 * A refusal of a use case (a taken username, a weak password) in one line: the fields and what
 * is wrong with each, else its message. Other errors are returned as they are.
 */
export function asUsageError(err: unknown): unknown {
  if (!(err instanceof AppError) || err.code === 'internal') return err;
  const fields = (err.details?.fields ?? null) as Record<string, string> | null;
  const text =
    fields && Object.keys(fields).length
      ? Object.entries(fields)
          .map(([field, why]) => (why.startsWith('That ') ? why : `${field} ${why}`))
          .join('; ')
      : err.message;
  return new UsageError(text);
}

/** Runs `work` on an open database and closes it, whatever happens. */
export async function withCli<T>(
  io: CliIo,
  opts: { create?: boolean },
  work: (ctx: CliContext) => Promise<T>,
): Promise<T> {
  const ctx = await openCli(io, opts);
  try {
    return await work(ctx);
  } catch (err) {
    throw asUsageError(err);
  } finally {
    await ctx.close();
  }
}
