import { render } from '@testing-library/react';
import { afterEach, describe, expect, it, beforeAll } from 'vitest';
import { LIMITS } from '../../../../protocol/limits.js';
import { safeLinkHref } from './markup.js';
import { MessageText } from './MessageText.js';
import { loadMarkdown } from './markdown-loader.js';

// The parser loads on demand (markdown-loader.ts); these tests are about what it makes.
beforeAll(() => loadMarkdown());

afterEach(() => {
  document.body.innerHTML = '';
});

const html = (text: string, names?: ReadonlySet<string>) =>
  render(<MessageText text={text} names={names} me="bob" />).container;

/** Nothing from the text became an element, a handler or a link elsewhere than web and mail. */
function expectSafe(c: HTMLElement): void {
  expect(c.querySelectorAll('script, img, svg, iframe, object, embed, style, b, i')).toHaveLength(
    0,
  );
  for (const el of c.querySelectorAll('*'))
    for (const attr of el.getAttributeNames()) expect(attr.startsWith('on')).toBe(false);
  for (const a of c.querySelectorAll('a')) {
    expect(['http:', 'https:', 'mailto:']).toContain(new URL(a.href).protocol);
    expect(a.rel).toBe('noopener noreferrer');
  }
}

describe('formatting', () => {
  it('bold, italic, strikethrough and inline code', () => {
    const c = html('**bold** *italic* _also_ ~~gone~~ `a <b> c`');
    expect(c.querySelector('strong')!.textContent).toBe('bold');
    expect([...c.querySelectorAll('em')].map((e) => e.textContent)).toEqual(['italic', 'also']);
    expect(c.querySelector('s')!.textContent).toBe('gone');
    expect(c.querySelector('code')!.textContent).toBe('a <b> c');
    // One line stays inline (no paragraph), so the time sits at its end.
    expect(c.querySelector('p, div')).toBeNull();
  });

  it('code blocks keep their text, spaces and lines, unformatted', () => {
    const c = html('look:\n```js\nconst x = **1**;\n  if (a < b) {}\n```');
    const pre = c.querySelector('pre')!;
    expect(pre.textContent).toBe('const x = **1**;\n  if (a < b) {}');
    expect(pre.querySelector('strong')).toBeNull();
  });

  it('quotes and lists, ordered and not', () => {
    const c = html('> quoted **text**\n\nTo do:\n- milk\n- eggs\n\n3. three\n4. four');
    expect(c.querySelector('blockquote strong')!.textContent).toBe('text');
    expect([...c.querySelectorAll('ul li')].map((li) => li.textContent)).toEqual(['milk', 'eggs']);
    expect(c.querySelector('ol')!.getAttribute('start')).toBe('3');
  });

  it('keeps line breaks, and shows what chat does not format as typed', () => {
    const c = html('one\ntwo\n# not a heading\n---\n&amp; <b>x</b> ![img](https://e.com/a.png)');
    expect(c.textContent.split('\n')).toHaveLength(5);
    expect(c.querySelectorAll('h1, hr, img, b')).toHaveLength(0);
    expect(c.textContent).toContain('# not a heading');
    expect(c.textContent).toContain('&amp; <b>x</b> !');
  });

  it('links: markdown, autolinks, bare URLs (underscores kept), www and mailto', () => {
    const c = html(
      '[docs](https://parley.example/docs) <https://a.example> https://x.example/__init__ ' +
        'www.example.com [mail](mailto:me@example.com) snake_case_word',
    );
    expect(
      [...c.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')]),
    ).toEqual([
      ['docs', 'https://parley.example/docs'],
      ['https://a.example', 'https://a.example/'],
      ['https://x.example/__init__', 'https://x.example/__init__'],
      ['www.example.com', 'https://www.example.com/'],
      ['mail', 'mailto:me@example.com'],
    ]);
    expect(c.querySelector('strong, em')).toBeNull();
    for (const a of c.querySelectorAll('a')) expect(a.target).toBe('_blank');
  });

  it('mentions are chips inside formatting, never inside links or code', () => {
    const names = new Set(['alice', 'bob']);
    const c = html('**hey @alice** `@bob` [@bob](https://e.example) _@bob_', names);
    const chips = [...c.querySelectorAll('[data-testid="mention"]')];
    expect(chips.map((m) => [m.textContent, m.parentElement!.tagName])).toEqual([
      ['@alice', 'STRONG'],
      ['@bob', 'EM'],
    ]);
    expect(chips[1]!.classList.contains('mention--me')).toBe(true);
  });
});

describe('links only go to the web and to mail', () => {
  it.each([
    ['javascript:alert(1)', null],
    ['JaVaScRiPt:alert(1)', null],
    [' javascript:alert(1)', null],
    ['java\tscript:alert(1)', null],
    ['data:text/html,<script>alert(1)</script>', null],
    ['vbscript:msgbox(1)', null],
    ['file:///etc/passwd', null],
    ['/relative', null],
    ['https://ok.example/a?b#c', 'https://ok.example/a?b#c'],
    ['MAILTO:me@example.com', 'mailto:me@example.com'],
  ])('%s', (raw, expected) => {
    expect(safeLinkHref(raw)).toBe(expected);
  });
});

/** TESTPLAN S18, as the parser and renderer see it (the browser test runs it for real). */
export const XSS_CORPUS = [
  '<script>window.__xss = 1</script>',
  '<img src=x onerror="window.__xss=2">',
  '<svg onload="window.__xss=3">',
  '[x](javascript:window.__xss=4)',
  '[x](JaVaScRiPt:window.__xss=5)',
  '[x](&#106;avascript:window.__xss=6)',
  '[x](&#x6A;avascript&colon;window.__xss=7)',
  '[x](java&#x09;script:window.__xss=8)',
  '[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9OTwvc2NyaXB0Pg==)',
  'data:text/html,<script>window.__xss=10</script>',
  '<javascript:window.__xss=11>',
  '<data:text/html,x>',
  '[x](  javascript:window.__xss=12  "t")',
  '[a](https://ok.example "x\\" onmouseover=\\"window.__xss=13")',
  '<a href="javascript:window.__xss=14">click</a>',
  '![x](javascript:window.__xss=15)',
  '```"><img src=x onerror=window.__xss=16>\ncode\n```',
  '`<script>window.__xss=17</script>`',
  '**<img src=x onerror=window.__xss=18>**',
  '> <iframe src="javascript:window.__xss=19"></iframe>',
  '[x][r]\n\n[r]: javascript:window.__xss=20',
  'https://example.com/"><script>window.__xss=21</script>',
  'www.example.com/<b onmouseover=window.__xss=22>bold</b>',
  '[<img src=x onerror=window.__xss=23>](https://ok.example)',
  '<style>*{display:none}</style>',
];

describe('XSS corpus (TESTPLAN S18)', () => {
  it.each(XSS_CORPUS)('%s renders as text and safe links only', (text) => {
    const c = html(text, new Set(['bob']));
    expectSafe(c);
    expect((window as unknown as { __xss?: unknown }).__xss).toBeUndefined();
  });
});

/** TESTPLAN S19 at the server's body cap: each renders fast (jsdom is slower than a browser). */
export const DOS_CASES: Array<[string, string]> = [
  ['8000 [', '['.repeat(LIMITS.messageBodyMax)],
  ['8000 *', '*'.repeat(LIMITS.messageBodyMax)],
  ['8000 _', '_'.repeat(LIMITS.messageBodyMax)],
  ['[]( pairs', '[]('.repeat(LIMITS.messageBodyMax / 3)],
  ['nested quotes', '>'.repeat(LIMITS.messageBodyMax)],
  ['nested lists', '- '.repeat(LIMITS.messageBodyMax / 2)],
  ['nested emphasis', '*a **b '.repeat(LIMITS.messageBodyMax / 7)],
  ['nested links', '[a '.repeat(LIMITS.messageBodyMax / 3)],
  ['backticks', '`a``'.repeat(LIMITS.messageBodyMax / 4)],
  ['2666 mentions', '@bob '.repeat(1600)],
  ['newlines', `a${'\n'.repeat(LIMITS.messageBodyMax - 2)}b`],
];

describe('parser DoS (TESTPLAN S19)', () => {
  it.each(DOS_CASES)('%s', (_, text) => {
    expect(text.length).toBeLessThanOrEqual(LIMITS.messageBodyMax);
    const started = performance.now();
    const c = html(text, new Set(['bob']));
    const took = performance.now() - started;
    expectSafe(c);
    expect(took).toBeLessThan(1500);
  });
});
