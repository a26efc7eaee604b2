import { describe, expect, it } from 'vitest';
import { typingText } from './TypingIndicator.js';

describe('typing text', () => {
  it('names one or two people, counts more', () => {
    expect(typingText([])).toBe('');
    expect(typingText(['Alice'])).toBe('Alice is typing…');
    expect(typingText(['Alice', 'Bob'])).toBe('Alice and Bob are typing…');
    expect(typingText(['Alice', 'Bob', 'Carol'])).toBe('3 people are typing…');
  });
});
