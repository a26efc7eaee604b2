import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.js';
import { MessageBody } from './schemas/conversations.js';
import { hasVisibleCharacter, storedLength } from './text.js';

// The web client decides with these whether the send button is enabled; the server decides with
// the schema. They must agree, or the client lets through what the server refuses.
describe('the client-side text rules agree with the server schema', () => {
  const max = LIMITS.messageBodyMax;
  const cases: Array<[string, string]> = [
    ['ASCII at the limit', 'a'.repeat(max)],
    ['ASCII over the limit', 'a'.repeat(max + 1)],
    ['astral emoji at the limit in UTF-16 units', '😀'.repeat(max / 2)],
    ['astral emoji one unit over (more code points would pass)', `${'😀'.repeat(max / 2)}a`],
    ['half as many astral emoji as the limit, then a few more', '😀'.repeat(max / 2 + 3)],
    ['white space around the limit is not counted', `  \n${'b'.repeat(max)}\t `],
    ['zero-width characters only', '\u200B\u200D\u2060'],
    ['zero-width characters around text', '\u200Bhi\u200B'],
    ['a byte-order mark is invisible, not white space', '\uFEFF'],
  ];
  for (const [name, body] of cases) {
    it(name, () => {
      const clientAccepts = hasVisibleCharacter(body) && storedLength(body) <= max;
      const server = MessageBody.safeParse(body);
      expect(clientAccepts).toBe(server.success);
    });
  }

  it('counts UTF-16 units, so an astral emoji is two', () => {
    expect(storedLength(' 😀 ')).toBe(2);
  });
});
