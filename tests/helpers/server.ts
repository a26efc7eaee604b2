import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../server/config.js';
import type { Deps } from '../../server/context.js';
import { startParley, type ParleyServer } from '../../server/server.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { Api } from './api.js';

export interface TestServer {
  server: ParleyServer;
  db: TestDatabase;
  url: string;
  api: Api;
  deps: Deps;
  /** Stops the server (the database stays, for restarts). */
  stop(): Promise<void>;
  /** Stops the server and drops its database. */
  close(): Promise<void>;
}

/** Environment for a test server: fresh secret, quiet logs, random port; overrides win. */
export function testEnv(
  db: TestDatabase,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: db.dataDir,
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: process.env.PARLEY_TEST_LOG_LEVEL ?? 'silent',
    // Nodes of one test share its DATA_DIR, so local file storage is shared when they cluster.
    FILE_STORE_SHARED: 'true',
    ...env,
  };
}

/** Starts a real, listening Parley on a fresh database of the run's kind. */
export async function startTestServer(
  env: Record<string, string> = {},
  opts: { db?: TestDatabase; overrides?: Parameters<typeof startParley>[2] } = {},
): Promise<TestServer> {
  const db = opts.db ?? (await createTestDatabase());
  const config = loadConfig(testEnv(db, env));
  const log = pino({ level: config.logLevel });
  const server = await startParley(config, log, opts.overrides);
  const url = `http://127.0.0.1:${server.port}`;
  return {
    server,
    db,
    url,
    api: new Api(url),
    deps: server.deps,
    stop: () => server.close(),
    close: async () => {
      await server.close();
      await db.drop();
    },
  };
}
