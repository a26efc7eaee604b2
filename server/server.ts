import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import type { Deps } from './context.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { createDeps } from './deps.js';
import { attachRealtime, type Realtime } from './realtime/gateway.js';
import { createCluster, type Cluster } from './cluster/cluster.js';
import { startUploadSweeper } from './features/files/sweep-uploads.js';

/** A running Parley node: its HTTP app, its services and how to stop it. */
export interface ParleyServer {
  app: FastifyInstance;
  deps: Deps;
  realtime: Realtime;
  database: DatabaseHandle;
  /** Present when REDIS_URL is set. */
  cluster: Cluster | null;
  /** The port it listens on (useful with PORT=0). */
  port: number;
  close(): Promise<void>;
}

/** Opens and migrates the database, builds the app and listens: everything main.ts does but signals. */
export async function startParley(
  config: Config,
  log: FastifyBaseLogger,
  overrides: Parameters<typeof createDeps>[3] = {},
): Promise<ParleyServer> {
  const database = openDatabase({
    kind: config.databaseKind,
    url: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.sqliteSynchronous,
    onCheckpointError: (message) => log.warn({ message }, 'SQLite WAL checkpoint failed'),
  });
  try {
    const applied = await migrateToLatest(database.db, database.kind);
    if (applied.length) log.info({ migrations: applied }, 'database migrated');
  } catch (err) {
    await database.close();
    throw err;
  }
  const cluster = config.redisUrl ? createCluster(config.redisUrl, config.redisPrefix, log) : null;
  const deps = createDeps(config, database, log, {
    ...(cluster && { limiter: cluster.limiter, presence: cluster.presence }),
    ...overrides,
  });
  const app = await buildApp(deps, { readinessChecks: cluster ? [cluster.readiness] : [] });
  const realtime = attachRealtime(app, deps, { adapter: cluster?.adapter });
  cluster?.start(deps);
  const sweeper = startUploadSweeper(deps);
  // A store that does not answer yet is not fatal (it may come up later); say so once.
  deps.files
    .check()
    .catch((err: unknown) =>
      log.warn({ err, store: deps.files.kind }, 'the file store does not answer'),
    );
  app.addHook('preClose', async () => {
    sweeper.stop();
    await realtime.close();
    await cluster?.close();
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closed: Promise<void> | null = null;
  return {
    app,
    deps,
    realtime,
    database,
    cluster,
    port,
    close() {
      closed ??= app
        .close()
        .then(() => deps.commits?.close())
        .then(() => database.close())
        .finally(() => deps.files.close());
      return closed;
    },
  };
}
