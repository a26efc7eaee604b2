import { describe, expect, it } from 'vitest';
import { isSeen } from './useSeenMessages.js';

const rect = (top: number, height: number) => new DOMRect(0, top, 100, height);
const screen = rect(100, 600); // 100..700

describe('a message counts as seen', () => {
  it('when at least half of it is on screen', () => {
    expect(isSeen(rect(200, 40), screen)).toBe(true);
    expect(isSeen(rect(680, 40), screen)).toBe(true); // 20 of 40 px
    expect(isSeen(rect(690, 40), screen)).toBe(false); // 10 of 40 px
    expect(isSeen(rect(800, 40), screen)).toBe(false); // below, scrolled up
    expect(isSeen(rect(20, 40), screen)).toBe(false); // above
  });

  it('a message taller than the screen, when it fills half of it', () => {
    expect(isSeen(rect(-1000, 3000), screen)).toBe(true);
    expect(isSeen(rect(500, 3000), screen)).toBe(false); // 200 of 600 px
    expect(isSeen(rect(350, 3000), screen)).toBe(true); // 350 px
  });
});
