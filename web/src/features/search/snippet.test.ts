import { describe, expect, it } from 'vitest';
import { matchHighlights, queryWords } from '../../../../protocol/search.js';
import { buildSnippet, cleanHighlights } from './snippet.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The snippet as a string with hits in [brackets]. */
function show(body: string, highlights: Array<[number, number]>, opts = {}): string {
  const s = buildSnippet(body, highlights, opts);
  const inner = s.parts.map((p) => (p.hit ? `[${p.text}]` : p.text)).join('');
  return `${s.cutStart ? '…' : ''}${inner}${s.cutEnd ? '…' : ''}`;
}

describe('search snippets', () => {
  it('marks the highlighted words from their offsets', () => {
    const body = 'Deploy the release on Friday, release notes after';
    const h = matchHighlights(body, queryWords('release'))!;
    expect(show(body, h)).toBe('Deploy the [release] on Friday, [release] notes after');
  });

  it('counts UTF-16 units: emoji and accents before a highlight do not shift it', () => {
    const body = '👋🏽 Café 🇫🇷 ready for the launch';
    const h = matchHighlights(body, queryWords('launch'))!;
    expect(h).toEqual([[body.indexOf('launch'), body.indexOf('launch') + 6]]);
    expect(show(body, h)).toBe('👋🏽 Café 🇫🇷 ready for the [launch]');
    const cafe = matchHighlights(body, queryWords('cafe'))!;
    expect(show(body, cafe)).toBe('👋🏽 [Café] 🇫🇷 ready for the launch');
  });

  it('starts a little before a far highlight, at a word, and never splits a surrogate pair', () => {
    const body = `${'😀'.repeat(60)} then the word deadline ${'🎉'.repeat(80)} end`;
    const h = matchHighlights(body, queryWords('deadline'))!;
    for (const before of [10, 11, 12, 13, 40]) {
      const s = buildSnippet(body, h, { before, max: 41 });
      expect(s.cutStart).toBe(true);
      expect(s.cutEnd).toBe(true);
      expect(s.parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['deadline']);
      for (const p of s.parts) expect(LONE_SURROGATE.test(p.text)).toBe(false);
    }
    // The end is not cut in the middle of a word either (a run of emoji is one).
    expect(show(body, h, { before: 20, max: 60 })).toBe('…then the word [deadline]…');
  });

  it('shows a long first highlight whole, and collapses line breaks', () => {
    const word = 'a'.repeat(50);
    const body = `intro\n\nline ${word} tail`;
    const h: Array<[number, number]> = [[body.indexOf(word), body.indexOf(word) + 50]];
    expect(show(body, h, { before: 5, max: 20 })).toBe(`…line [${word}]…`);
    expect(show('one\ntwo', [[4, 7]])).toBe('one [two]');
  });

  it('drops offsets it cannot trust and merges overlapping ones', () => {
    const body = 'alpha beta gamma';
    expect(
      cleanHighlights(body, [
        [6, 10],
        [-1, 3],
        [12, 99],
        [3, 3],
        [1.5, 4],
        [0, 5],
        [2, 7],
      ]),
    ).toEqual([[0, 10]]);
    // An offset in the middle of an emoji widens to the whole emoji.
    expect(cleanHighlights('x😀y', [[2, 3]])).toEqual([[1, 3]]);
    expect(show(body, [])).toBe('alpha beta gamma');
  });
});
