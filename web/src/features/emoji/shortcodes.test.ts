import { describe, expect, it } from 'vitest';
import {
  closedShortcodeAt,
  exactShortcode,
  insertAt,
  loadShortcodes,
  matchShortcodes,
  shortcodeQueryAt,
} from './shortcodes.js';

describe(':shortcode: completion', () => {
  it('finds the code being typed, not times or URLs', () => {
    expect(shortcodeQueryAt('nice :ta', 8)).toEqual({ start: 5, query: 'ta' });
    expect(shortcodeQueryAt(':+1', 3)).toEqual({ start: 0, query: '+1' });
    expect(shortcodeQueryAt('nice :t', 7)).toBeNull();
    expect(shortcodeQueryAt('at 12:30', 8)).toBeNull();
    expect(shortcodeQueryAt('see https://x', 13)).toBeNull();
    expect(shortcodeQueryAt('nice :tada: ok', 14)).toBeNull();
  });

  it('offers the emoji whose names fit, shortest names first', async () => {
    const table = await loadShortcodes();
    expect(matchShortcodes(table, 'tad')[0]).toMatchObject({ emoji: '🎉', name: 'tada' });
    expect(matchShortcodes(table, '+1')[0]!.emoji).toBe('👍');
    expect(matchShortcodes(table, 'heart').map((s) => s.name)).toContain('heart');
    expect(matchShortcodes(table, 'zzzzqq')).toEqual([]);
    expect(exactShortcode(table, 'joy')).toBe('😂');
    expect(exactShortcode(table, 'nope_nope')).toBeNull();
  });

  it('replaces the code by the emoji and puts the caret after it', () => {
    expect(insertAt('nice :ta', 5, 8, '🎉')).toEqual({ text: 'nice 🎉 ', caret: 8 });
    expect(insertAt('a :ta b', 2, 5, '🎉')).toEqual({ text: 'a 🎉 b', caret: 4 });
    expect(closedShortcodeAt('yes :joy:', 9)).toEqual({ from: 4, name: 'joy' });
    expect(closedShortcodeAt('at 10:30:', 9)).toBeNull();
  });
});
