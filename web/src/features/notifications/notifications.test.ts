import { describe, expect, it } from 'vitest';
import { shouldNotify, shouldPlaySound, wantsAlert, type AlertInput } from './notifications.js';

const text: AlertInput = {
  mine: false,
  kind: 'text',
  muted: false,
  notify: 'all',
  mentionsMe: false,
};
const mention: AlertInput = { ...text, mentionsMe: true };
const shown = { hidden: true, permission: 'granted' as NotificationPermission };

describe('desktop notifications', () => {
  it('only for someone else’s text message, while hidden, allowed and not muted', () => {
    expect(shouldNotify({ ...text, ...shown })).toBe(true);
    expect(shouldNotify({ ...text, ...shown, hidden: false })).toBe(false);
    expect(shouldNotify({ ...text, ...shown, permission: 'default' })).toBe(false);
    expect(shouldNotify({ ...text, ...shown, permission: 'denied' })).toBe(false);
    expect(shouldNotify({ ...text, ...shown, permission: null })).toBe(false);
    expect(shouldNotify({ ...text, ...shown, muted: true })).toBe(false);
    expect(shouldNotify({ ...text, ...shown, mine: true })).toBe(false);
    expect(shouldNotify({ ...text, ...shown, kind: 'system' })).toBe(false);
  });

  it('follows the level: all → every message, mentions → only mentions, none → nothing', () => {
    expect(wantsAlert({ ...text, notify: 'all' })).toBe(true);
    expect(wantsAlert({ ...mention, notify: 'all' })).toBe(true);
    expect(wantsAlert({ ...text, notify: 'mentions' })).toBe(false);
    expect(wantsAlert({ ...mention, notify: 'mentions' })).toBe(true);
    expect(wantsAlert({ ...text, notify: 'none' })).toBe(false);
    expect(wantsAlert({ ...mention, notify: 'none' })).toBe(false);
    expect(shouldNotify({ ...mention, ...shown, notify: 'mentions' })).toBe(true);
    expect(shouldNotify({ ...text, ...shown, notify: 'mentions' })).toBe(false);
  });

  it('muted wins over every level, even for a mention', () => {
    for (const notify of ['all', 'mentions', 'none'] as const) {
      expect(wantsAlert({ ...mention, notify, muted: true })).toBe(false);
      expect(shouldNotify({ ...mention, ...shown, notify, muted: true })).toBe(false);
    }
  });

  it('my own mention of myself tells me nothing', () => {
    expect(wantsAlert({ ...mention, mine: true })).toBe(false);
  });
});

describe('notification sound', () => {
  const base = { ...text, soundOn: true, hidden: false, viewing: false };
  it('plays for a wanted message outside the conversation on screen, when turned on', () => {
    expect(shouldPlaySound(base)).toBe(true);
    expect(shouldPlaySound({ ...base, hidden: true, viewing: true })).toBe(true);
    expect(shouldPlaySound({ ...base, viewing: true })).toBe(false);
    expect(shouldPlaySound({ ...base, soundOn: false })).toBe(false);
  });

  it('follows the level and mute like notifications', () => {
    expect(shouldPlaySound({ ...base, notify: 'mentions' })).toBe(false);
    expect(shouldPlaySound({ ...base, notify: 'mentions', mentionsMe: true })).toBe(true);
    expect(shouldPlaySound({ ...base, notify: 'none', mentionsMe: true })).toBe(false);
    expect(shouldPlaySound({ ...base, muted: true, mentionsMe: true })).toBe(false);
  });
});
