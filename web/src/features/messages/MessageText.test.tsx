import { render } from '@testing-library/react';
import { afterEach, describe, expect, it, beforeAll } from 'vitest';
import { MessageText } from './MessageText.js';
import { loadMarkdown } from './markdown-loader.js';

// The parser loads on demand (markdown-loader.ts); these tests are about what it makes.
beforeAll(() => loadMarkdown());

const CORPUS = [
  '<script>window.__xss = 1</script>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)>',
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  '&#106;avascript:alert(1)',
  'https://example.com/"><script>alert(1)</script>',
  '<a href="javascript:alert(1)">click</a>',
  'www.example.com/<b>bold</b>',
];

afterEach(() => {
  document.body.innerHTML = '';
});

describe('MessageText', () => {
  it.each(CORPUS)('renders %s as text, with no element or handler from it', (text) => {
    const { container } = render(<MessageText text={text} />);
    expect(container.textContent).toBe(text);
    expect(container.querySelectorAll('script, img, svg, iframe, b, object, embed')).toHaveLength(
      0,
    );
    for (const el of container.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) expect(attr.startsWith('on')).toBe(false);
    }
    for (const a of container.querySelectorAll('a')) {
      expect(['http:', 'https:', 'mailto:']).toContain(new URL(a.href).protocol);
      expect(a.rel).toBe('noopener noreferrer');
    }
    expect((window as unknown as { __xss?: unknown }).__xss).toBeUndefined();
  });

  it('makes http(s) links clickable in a new tab', () => {
    const { container } = render(<MessageText text="docs at https://parley.example/docs." />);
    const a = container.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://parley.example/docs');
    expect(a.target).toBe('_blank');
    expect(a.rel).toBe('noopener noreferrer');
  });
});

describe('mention chips', () => {
  const names = new Set(['alice', 'bob', 'dana.k']);
  const chips = (c: HTMLElement) =>
    [...c.querySelectorAll('[data-testid="mention"]')].map((el) => ({
      text: el.textContent,
      me: el.classList.contains('mention--me'),
    }));

  it('draws members’ @names as chips, mine marked, the text unchanged', () => {
    const text = 'ping @Alice and @bob, thanks @dana.k. — not alice@example.com or @zed';
    const { container } = render(<MessageText text={text} names={names} me="bob" />);
    expect(container.textContent).toBe(text);
    expect(chips(container)).toEqual([
      { text: '@Alice', me: false },
      { text: '@bob', me: true },
      { text: '@dana.k', me: false },
    ]);
  });

  it('leaves a mention inside a link to the link, and shows markup around a mention as text', () => {
    const text = '<b>@bob</b> see https://example.com/@alice';
    const { container } = render(<MessageText text={text} names={names} me="bob" />);
    expect(container.textContent).toBe(text);
    expect(container.querySelectorAll('b')).toHaveLength(0);
    expect(chips(container)).toEqual([{ text: '@bob', me: true }]);
    expect(container.querySelector('a')!.textContent).toBe('https://example.com/@alice');
  });

  it('draws no chip until the members are known', () => {
    const { container } = render(<MessageText text="hi @bob" me="bob" />);
    expect(chips(container)).toEqual([]);
    expect(container.textContent).toBe('hi @bob');
  });
});
