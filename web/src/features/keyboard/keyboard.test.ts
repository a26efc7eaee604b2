import { describe, expect, it } from 'vitest';
import { conversation, user } from '../../test/factories.js';
import { switcherMatches } from './QuickSwitcher.js';
import { neighbour } from './useShortcuts.js';

describe('Alt+Up/Down', () => {
  it('goes to the conversation above or below, and stops at the ends', () => {
    expect(neighbour([3, 1, 2], 1, 1)).toBe(2);
    expect(neighbour([3, 1, 2], 1, -1)).toBe(3);
    expect(neighbour([3, 1, 2], 2, 1)).toBeNull();
    expect(neighbour([3, 1, 2], 3, -1)).toBeNull();
    // From no conversation: the first (down) or the last (up).
    expect(neighbour([3, 1, 2], null, 1)).toBe(3);
    expect(neighbour([3, 1, 2], null, -1)).toBe(2);
    expect(neighbour([], null, 1)).toBeNull();
  });
});

describe('quick switcher', () => {
  const list = [
    conversation(1, { kind: 'group', name: 'Design & UX', otherUser: null }),
    conversation(2, { otherUser: { ...user(5), displayName: 'Carol Diaz', username: 'cdiaz' } }),
    conversation(3, { kind: 'group', name: 'Scarecrows', otherUser: null }),
  ];
  const names = (q: string) =>
    switcherMatches(list, q).map((c) => c.name ?? c.otherUser!.displayName);

  it('ranks names that start with the query, then words, then anywhere', () => {
    expect(names('car')).toEqual(['Carol Diaz', 'Scarecrows']);
    expect(names('ux')).toEqual(['Design & UX']);
    expect(names('cdi')).toEqual(['Carol Diaz']);
    expect(names('zzz')).toEqual([]);
    expect(names('')).toEqual(['Design & UX', 'Carol Diaz', 'Scarecrows']);
  });
});
