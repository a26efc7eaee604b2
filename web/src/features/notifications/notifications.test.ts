import { describe, expect, it } from 'vitest';
import { shouldNotify } from './notifications.js';

const base = {
  hidden: true,
  permission: 'granted' as NotificationPermission,
  muted: false,
  mine: false,
  kind: 'text' as const,
};

describe('desktop notifications', () => {
  it('only for someone else’s text message, while hidden, allowed and not muted', () => {
    expect(shouldNotify(base)).toBe(true);
    expect(shouldNotify({ ...base, hidden: false })).toBe(false);
    expect(shouldNotify({ ...base, permission: 'default' })).toBe(false);
    expect(shouldNotify({ ...base, permission: 'denied' })).toBe(false);
    expect(shouldNotify({ ...base, muted: true })).toBe(false);
    expect(shouldNotify({ ...base, mine: true })).toBe(false);
    expect(shouldNotify({ ...base, kind: 'system' })).toBe(false);
  });
});
