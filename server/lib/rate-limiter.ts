import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/** The outcome of one hit on a limit. */
export interface RateDecision {
  allowed: boolean;
  /** Milliseconds until the window frees up (0 when allowed). */
  retryAfterMs: number;
}

/** Counts events per key in fixed windows. The memory store serves one node; Redis serves many. */
export interface RateLimiter {
  /** Records one event and says whether it stays within `limit` per `windowMs`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /** Says whether `key` is already at its limit, without counting. */
  check(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /** Gives back one event counted by `hit` (an attempt that turned out not to count). */
  refund(key: string, limit: number, windowMs: number): Promise<void>;
  /** Forgets a key (e.g. failures after a successful login). */
  reset(key: string): Promise<void>;
}

const ALLOWED: RateDecision = { allowed: true, retryAfterMs: 0 };

/**
 * Limits counted by rate-limiter-flexible, one limiter object per (limit, window) and one
 * counter per key. `shared`: every limiter object reads the same counters (Redis), so a reset
 * needs one delete; memory limiters each hold their own.
 */
class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly make: (points: number, duration: number) => RateLimiterAbstract,
    private readonly shared: boolean,
  ) {}

  private limiterFor(limit: number, windowMs: number): RateLimiterAbstract {
    // The library counts windows in whole seconds.
    const duration = Math.max(1, Math.ceil(windowMs / 1000));
    const k = `${limit}/${duration}`;
    let l = this.limiters.get(k);
    if (!l) {
      l = this.make(limit, duration);
      this.limiters.set(k, l);
    }
    return l;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    try {
      await this.limiterFor(limit, windowMs).consume(key, 1);
      return ALLOWED;
    } catch (res) {
      if (res instanceof RateLimiterRes) return { allowed: false, retryAfterMs: res.msBeforeNext };
      throw res;
    }
  }

  async check(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const res = await this.limiterFor(limit, windowMs).get(key);
    return res && res.consumedPoints >= limit
      ? { allowed: false, retryAfterMs: Math.max(res.msBeforeNext, 1) }
      : ALLOWED;
  }

  async refund(key: string, limit: number, windowMs: number): Promise<void> {
    await this.limiterFor(limit, windowMs).reward(key, 1);
  }

  async reset(key: string): Promise<void> {
    const all = [...this.limiters.values()];
    await Promise.all((this.shared ? all.slice(0, 1) : all).map((l) => l.delete(key)));
  }
}

/** Limits of one process (a single node, or what is per connection anyway). */
export function memoryRateLimiter(): RateLimiter {
  return new FlexibleRateLimiter(
    (points, duration) => new RateLimiterMemory({ points, duration }),
    false,
  );
}

/**
 * Limits shared by every node through Redis. While Redis does not answer, each node falls back
 * to an in-memory limiter of the same rule (the limit then holds per node) instead of letting
 * everything through or refusing everything.
 */
export function redisRateLimiter(redis: Redis, prefix: string): RateLimiter {
  return new FlexibleRateLimiter(
    (points, duration) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}:rate`,
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration }),
      }),
    true,
  );
}
