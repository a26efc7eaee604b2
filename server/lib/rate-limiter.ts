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
  /** Forgets a key (e.g. failures after a successful login). */
  reset(key: string): Promise<void>;
}

interface Window {
  count: number;
  resetAt: number;
}

/** An in-process fixed-window limiter; stale windows are swept as the map grows. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private current(key: string, windowMs: number): Window {
    const t = this.now();
    if (t >= this.nextSweep) this.sweep(t);
    let w = this.windows.get(key);
    if (!w || w.resetAt <= t) {
      w = { count: 0, resetAt: t + windowMs };
      this.windows.set(key, w);
    }
    return w;
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= t) this.windows.delete(k);
    this.nextSweep = t + 60_000;
  }

  hitSync(key: string, limit: number, windowMs: number): RateDecision {
    const w = this.current(key, windowMs);
    if (w.count >= limit) return { allowed: false, retryAfterMs: w.resetAt - this.now() };
    w.count++;
    return { allowed: true, retryAfterMs: 0 };
  }

  hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    return Promise.resolve(this.hitSync(key, limit, windowMs));
  }

  check(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const w = this.current(key, windowMs);
    return Promise.resolve(
      w.count >= limit
        ? { allowed: false, retryAfterMs: w.resetAt - this.now() }
        : { allowed: true, retryAfterMs: 0 },
    );
  }

  reset(key: string): Promise<void> {
    this.windows.delete(key);
    return Promise.resolve();
  }
}
