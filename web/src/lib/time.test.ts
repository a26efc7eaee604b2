import { describe, expect, it } from 'vitest';
import { formatClock, formatDay, formatPresence } from './time.js';

const now = new Date(2026, 10, 24, 15, 0).getTime();
const ago = (ms: number) => new Date(now - ms).toISOString();

describe('time formatting', () => {
  it('presence reads like a chat app', () => {
    expect(formatPresence(true, null, now)).toBe('online');
    expect(formatPresence(false, ago(20_000), now)).toBe('last seen just now');
    expect(formatPresence(false, ago(5 * 60_000), now)).toBe('last seen 5 min ago');
    expect(formatPresence(false, ago(2 * 3600_000), now)).toBe('last seen 2 hours ago');
    expect(formatPresence(false, ago(26 * 3600_000), now)).toMatch(/^last seen yesterday at /);
  });

  it('day separators say Today and Yesterday', () => {
    expect(formatDay(ago(60_000), now)).toBe('Today');
    expect(formatDay(ago(24 * 3600_000), now)).toBe('Yesterday');
  });

  it('clocks have no leading zero on the hour', () => {
    const t = new Date(2026, 10, 24, 13, 39).toISOString();
    const early = new Date(2026, 10, 24, 9, 5).toISOString();
    expect(formatClock(t, 'en-US')).toMatch(/^1:39\sPM$/u);
    expect(formatClock(early, 'en-US')).toMatch(/^9:05\sAM$/u);
    expect(formatClock(t, 'en-GB')).toBe('13:39');
  });
});
