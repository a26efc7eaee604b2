import { describe, expect, it } from 'vitest';
import {
  foldWord,
  INDEXED_WORD_MAX,
  indexedForm,
  indexWords,
  matchHighlights,
  queryWords,
} from './search.js';

describe('search words', () => {
  it('are runs of letters, digits and _, folded for case and accents', () => {
    expect(queryWords('Café au-lait, NAÏVE_idea 42!')).toEqual([
      'cafe',
      'au',
      'lait',
      'naive_idea',
      '42',
    ]);
    expect(foldWord('Ångström')).toBe('angstrom');
    expect(foldWord('ﬁne')).toBe('fine');
    expect(queryWords('  ...  ')).toEqual([]);
    expect(queryWords('日本語 テキスト')).toEqual(['日本語', 'テキスト']);
    expect(indexWords('the cat and THE hat')).toEqual(['the', 'cat', 'and', 'hat']);
  });

  it('match every word whole and the last also as a prefix, with UTF-16 offsets', () => {
    const body = 'Le café 😀 est prêt; cafeteria closed';
    expect(matchHighlights(body, ['cafe'])).toEqual([
      [3, 7],
      [21, 30],
    ]);
    expect(matchHighlights(body, ['pret', 'caf'])).toEqual([
      [3, 7],
      [15, 19],
      [21, 30],
    ]);
    // A word before the last must be whole.
    expect(matchHighlights(body, ['caf', 'closed'])).toBeNull();
    expect(matchHighlights(body, ['missing'])).toBeNull();
    expect(matchHighlights(body, [])).toBeNull();
  });
});

describe('indexWords', () => {
  it('gives the same words on its ASCII fast path as the general rule', () => {
    const texts = [
      'The quick_brown FOX, jumps! over 42 lazy-dogs; the end.',
      'a_b __x__ 9lives x9 MIXED Case',
      '   ',
      '',
      'tab\tnew\nline\u0007bell',
    ];
    for (const t of texts) {
      expect(indexWords(t)).toEqual([...new Set(queryWords(t))]);
    }
    // And non-ASCII text takes the general rule.
    expect(indexWords('Café CAFE naïve')).toEqual(['cafe', 'naive']);
  });

  it('cuts very long words to INDEXED_WORD_MAX code points, on both paths', () => {
    const long = 'x'.repeat(8000);
    expect(indexWords(`a ${long} b`)).toEqual(['a', 'x'.repeat(INDEXED_WORD_MAX), 'b']);
    const astral = '𝒜'.repeat(INDEXED_WORD_MAX + 5); // two UTF-16 units each
    const [cut] = indexWords(astral);
    expect([...cut!]).toHaveLength(INDEXED_WORD_MAX);
    expect(astral.startsWith(cut!)).toBe(false); // folded: NFKD makes 𝒜 an A, then a
    expect(cut).toBe('a'.repeat(INDEXED_WORD_MAX));
    expect(indexedForm('short')).toBe('short');
  });
});
