import { existsSync } from 'node:fs';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startParley } from './server.js';

const SHUTDOWN_GRACE_MS = 10_000;

function config(): Config {
  // An optional .env in the working directory; variables already set in the environment win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(78);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const cfg = config();
  const log = pino({ level: cfg.logLevel });
  const server = await startParley(cfg, log);
  log.info(
    { url: cfg.publicUrl, port: server.port, database: cfg.databaseKind, dataDir: cfg.dataDir },
    'Parley is listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `Parley failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
