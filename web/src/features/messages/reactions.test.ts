import { describe, expect, it } from 'vitest';
import type { Reaction } from '../../../../protocol/schemas/conversations.js';
import { reactedText, shownReactions, toggleReaction } from './reactions.js';

const ME = 1;
const names: Record<number, string> = { 2: 'Bob Chen', 3: 'Carol Diaz' };

describe('reactions', () => {
  const base: Reaction[] = [
    { emoji: '👍', count: 2, userIds: [2, 3] },
    { emoji: '🎉', count: 1, userIds: [ME] },
  ];

  it('adds and removes like the server: counts, order of first use, empty emoji dropped', () => {
    expect(toggleReaction(base, '👍', ME, true)).toEqual([
      { emoji: '👍', count: 3, userIds: [2, 3, ME] },
      base[1],
    ]);
    expect(toggleReaction(base, '🎉', ME, false)).toEqual([base[0]]);
    expect(toggleReaction(base, '❤️', ME, true)[2]).toEqual({
      emoji: '❤️',
      count: 1,
      userIds: [ME],
    });
    // Already so: nothing changes.
    expect(toggleReaction(base, '🎉', ME, true)).toEqual(base);
    expect(toggleReaction(base, '❤️', ME, false)).toEqual(base);
  });

  it('shows my changes on their way on top of the server’s reactions', () => {
    const shown = shownReactions(
      base,
      { '🎉': { on: false, token: 1 }, '👍': { on: true, token: 2 } },
      ME,
    );
    expect(shown).toEqual([{ emoji: '👍', count: 3, userIds: [2, 3, ME] }]);
    expect(shownReactions(base, undefined, ME)).toBe(base);
  });

  it('names who reacted, me last as “you”', () => {
    const nameOf = (id: number) => names[id];
    expect(reactedText(base[0]!, ME, nameOf)).toBe('Bob Chen and Carol Diaz reacted with 👍');
    expect(reactedText(base[1]!, ME, nameOf)).toBe('You reacted with 🎉');
    expect(reactedText({ emoji: '😮', count: 3, userIds: [2, 9, ME] }, ME, nameOf)).toBe(
      'Bob Chen, Someone and you reacted with 😮',
    );
  });
});
