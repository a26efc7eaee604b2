import { Redis, type RedisOptions } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';

/** How long a command may wait for its reply before it fails (every connection but readers). */
export const COMMAND_TIMEOUT_MS = 2000;

function options(name: string): RedisOptions {
  return {
    connectionName: `parley-${name}`,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: false,
  };
}

function logState(redis: Redis, log: FastifyBaseLogger, name: string): Redis {
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) log.warn({ err: { message: err.message }, redis: name }, 'redis unavailable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({ redis: name }, 'redis is back');
    down = false;
  });
  return redis;
}

/**
 * A Redis connection for shared state. Commands fail fast while Redis is away (instead of
 * queueing forever), and the client keeps reconnecting in the background.
 */
export function connectRedis(url: string, log: FastifyBaseLogger, name: string): Redis {
  return logState(new Redis(url, options(name)), log, name);
}

/**
 * A connection for blocking reads (XREAD BLOCK). A command timeout must never end such a read
 * on the client: the reply still comes later, goes to a command that was given up, and the
 * entries it carried are lost (a reader starting at the stream's end never gets past them).
 * Instead, a connection that sends nothing at all for `blockMs` plus a margin while a read is
 * outstanding is taken as dead and replaced; the read fails and is sent again from the offset
 * it had, so nothing is skipped.
 */
export function connectBlockingRedis(
  url: string,
  log: FastifyBaseLogger,
  name: string,
  blockMs: number,
): Redis {
  return logState(
    new Redis(url, {
      ...options(name),
      commandTimeout: undefined,
      socketTimeout: blockMs + COMMAND_TIMEOUT_MS * 2,
    }),
    log,
    name,
  );
}
