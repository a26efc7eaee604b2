import type { Deps } from '../context.js';
import { AppError } from '../errors.js';

/** Counts one use of a throttled action and throws `rate_limited` past the limit. */
export async function throttle(
  deps: Deps,
  key: string,
  limit: number,
  windowMs: number,
  what: string,
): Promise<void> {
  const d = await deps.limiter.hit(key, limit, windowMs);
  if (!d.allowed) {
    const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
    throw new AppError(
      'rate_limited',
      `Too many ${what}; try again in ${seconds} s`,
      { retryAfterSeconds: seconds, retryAfterMs: Math.max(1, d.retryAfterMs) },
      seconds,
    );
  }
}
