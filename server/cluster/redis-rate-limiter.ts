import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { RateDecision, RateLimiter } from '../lib/rate-limiter.js';

// One round trip: count the hit, start the window on the first one, report what is left.
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`;

/**
 * Fixed-window limits shared by every node. While Redis is unreachable the limiter lets
 * requests through (logged): chat keeps working through a Redis restart.
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly log: FastifyBaseLogger,
    private readonly prefix: string,
  ) {}

  private failOpen(err: unknown): RateDecision {
    this.log.warn(
      { err: { message: (err as Error).message } },
      'rate limiter unavailable; allowing',
    );
    return { allowed: true, retryAfterMs: 0 };
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    try {
      const [n, ttl] = (await this.redis.eval(HIT, 1, `${this.prefix}:rate:${key}`, windowMs)) as [
        number,
        number,
      ];
      return n <= limit
        ? { allowed: true, retryAfterMs: 0 }
        : { allowed: false, retryAfterMs: ttl };
    } catch (err) {
      return this.failOpen(err);
    }
  }

  async check(key: string, limit: number, _windowMs: number): Promise<RateDecision> {
    try {
      const [count, ttl] = await Promise.all([
        this.redis.get(`${this.prefix}:rate:${key}`),
        this.redis.pttl(`${this.prefix}:rate:${key}`),
      ]);
      const n = Number(count ?? 0);
      return n >= limit
        ? { allowed: false, retryAfterMs: Math.max(ttl, 1) }
        : { allowed: true, retryAfterMs: 0 };
    } catch (err) {
      return this.failOpen(err);
    }
  }

  async reset(key: string): Promise<void> {
    try {
      await this.redis.del(`${this.prefix}:rate:${key}`);
    } catch (err) {
      this.failOpen(err);
    }
  }
}
