import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryRateLimiter, redisRateLimiter, type RateLimiter } from './rate-limiter.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const clients: Redis[] = [];
afterAll(() => {
  for (const c of clients) c.disconnect();
});

/** Counts how many of `n` hits on one key are allowed. */
async function allowedOf(l: RateLimiter, key: string, n: number, limit: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) if ((await l.hit(key, limit, 60_000)).allowed) ok++;
  return ok;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function ready(r: Redis): Promise<Redis> {
  if (r.status !== 'ready') await new Promise((resolve) => r.once('ready', resolve));
  return r;
}

function redis(url = REDIS_URL): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2000, lazyConnect: false });
  r.on('error', () => {});
  clients.push(r);
  return r;
}

describe('memory limiter', () => {
  it('allows the limit per window, says how long to wait, checks, refunds and resets', async () => {
    const l = memoryRateLimiter();
    expect(await allowedOf(l, 'k', 5, 3)).toBe(3);
    const refused = await l.hit('k', 3, 60_000);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
    expect((await l.check('k', 3, 60_000)).allowed).toBe(false);
    expect((await l.check('other', 3, 60_000)).allowed).toBe(true);
    await l.reset('k');
    expect(await allowedOf(l, 'k', 3, 3)).toBe(3);
    // An attempt given back leaves room for one more, and only one.
    await l.refund('k', 3, 60_000);
    expect(await allowedOf(l, 'k', 3, 3)).toBe(1);
  });
});

describe('Redis limiter', () => {
  it('shares one count between nodes', async () => {
    const prefix = `rl-test-${randomBytes(4).toString('hex')}`;
    const a = redisRateLimiter(await ready(redis()), prefix);
    const b = redisRateLimiter(await ready(redis()), prefix);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).hit('shared', 7, 60_000)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
    expect((await b.check('shared', 7, 60_000)).allowed).toBe(false);
    await a.reset('shared');
    expect((await b.check('shared', 7, 60_000)).allowed).toBe(true);
  });

  it('keeps limiting in memory while Redis does not answer', async () => {
    const down = redis(`redis://127.0.0.1:${await closedPort()}`);
    const l = redisRateLimiter(down, 'rl-test-down');
    // Neither everything let through nor everything refused: the rule holds on this node.
    expect(await allowedOf(l, 'k', 10, 4)).toBe(4);
  });
});
