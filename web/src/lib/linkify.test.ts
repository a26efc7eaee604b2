import { describe, expect, it } from 'vitest';
import { linkify, safeHref } from './linkify.js';

describe('linkify', () => {
  it('finds http(s) and www links and leaves punctuation outside', () => {
    expect(linkify('see https://example.com/a?b=1, and www.parley.chat.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', and ' },
      { kind: 'link', text: 'www.parley.chat', href: 'https://www.parley.chat/' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('keeps balanced parentheses in a URL', () => {
    const parts = linkify('(https://en.wikipedia.org/wiki/Chat_(software))');
    expect(parts[1]).toMatchObject({ text: 'https://en.wikipedia.org/wiki/Chat_(software)' });
  });

  it('never links other schemes', () => {
    for (const s of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      '[x](javascript:alert(1))',
      'vbscript:msgbox',
    ]) {
      expect(linkify(s).every((p) => p.kind === 'text')).toBe(true);
    }
    expect(safeHref('javascript:alert(1)')).toBeNull();
  });

  it('gives back the text unchanged when joined', () => {
    const s = 'a <b>https://x.test/<img src=x onerror=alert(1)> c';
    expect(
      linkify(s)
        .map((p) => p.text)
        .join(''),
    ).toBe(s);
  });
});
