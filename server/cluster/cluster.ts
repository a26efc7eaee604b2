import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Deps } from '../context.js';
import type { ReadinessCheck } from '../features/health/health.routes.js';
import type { TypingSignal } from '../features/typing/typing-service.js';
import { ClusterPresence } from './cluster-presence.js';
import { connectBlockingRedis, connectRedis } from './redis.js';
import { redisRateLimiter, type RateLimiter } from '../lib/rate-limiter.js';

/** What a node needs to work with others: shared limits, presence, fan-out, readiness. */
export interface Cluster {
  redis: Redis;
  presence: ClusterPresence;
  limiter: RateLimiter;
  adapter: ReturnType<typeof createAdapter>;
  readiness: ReadinessCheck;
  /** Starts the cross-node relays that need the node's services. */
  start(deps: Deps): void;
  close(): Promise<void>;
}

/**
 * How long the fan-out's reader blocks on the stream waiting for new entries (XREAD BLOCK).
 * Shorter than the adapter's default (5 s): the reading connection is taken as dead only
 * after this plus a margin of silence, so a dead one is replaced sooner. An idle node costs
 * one Redis read per period.
 */
export const ADAPTER_BLOCK_MS = 2000;

/**
 * Connects a node to Redis. Fan-out uses Socket.IO's Redis streams adapter: it reconnects and
 * resumes reading its stream by itself after a Redis outage, from the last entry it read.
 * Emits a node makes while Redis is down cannot be written to the stream and are lost to other
 * nodes; the database stays the source of truth, and clients fill the hole by seq (a gap in
 * seqs, or their next catch-up).
 */
export function createCluster(url: string, prefix: string, log: FastifyBaseLogger): Cluster {
  const TYPING_CHANNEL = `${prefix}:typing`;
  const redis = connectRedis(url, log, 'main');
  const adapterRedis = connectRedis(url, log, 'adapter');
  // The adapter opens its stream reader (XREAD BLOCK) and its subscriber with duplicate():
  // those must not inherit the fail-fast command timeout of the connection it writes with.
  const readers: Redis[] = [];
  adapterRedis.duplicate = () => {
    const reader = connectBlockingRedis(url, log, `adapter-${readers.length}`, ADAPTER_BLOCK_MS);
    readers.push(reader);
    return reader;
  };
  const presence = new ClusterPresence(redis, log, prefix);
  const limiter = redisRateLimiter(redis, prefix);
  const adapter = createAdapter(adapterRedis, {
    streamName: `${prefix}:socket.io`,
    channelPrefix: `${prefix}:socket.io`,
    maxLen: 100_000,
    onlyPlaintext: true,
    blockTimeInMs: ADAPTER_BLOCK_MS,
  });
  let typingSub: Redis | null = null;

  return {
    redis,
    presence,
    limiter,
    adapter,
    readiness: {
      name: 'redis',
      check: async () => {
        await redis.ping();
      },
    },
    start(deps: Deps) {
      // Typing lives on one node at a time; the signals that end or move it reach the others.
      deps.typing.link((signal: TypingSignal) => {
        redis
          .publish(TYPING_CHANNEL, JSON.stringify({ node: presence.nodeId, signal }))
          .catch(() => {});
      });
      typingSub = redis.duplicate();
      typingSub.on('error', () => {});
      void typingSub.subscribe(TYPING_CHANNEL).catch(() => {});
      typingSub.on('message', (_c: string, text: string) => {
        let msg: { node: string; signal: TypingSignal };
        try {
          msg = JSON.parse(text) as { node: string; signal: TypingSignal };
        } catch {
          return;
        }
        if (msg.node === presence.nodeId) return;
        deps.events.publishAll(deps.typing.receive(msg.signal));
      });
    },
    async close() {
      typingSub?.disconnect();
      await presence.close();
      redis.disconnect();
      adapterRedis.disconnect();
      for (const r of readers) r.disconnect();
    },
  };
}
