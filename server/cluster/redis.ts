import { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';

/**
 * A Redis connection for shared state. Commands fail fast while Redis is away (instead of
 * queueing forever), and the client keeps reconnecting in the background.
 */
export function connectRedis(url: string, log: FastifyBaseLogger, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: `parley-${name}`,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: false,
  });
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
