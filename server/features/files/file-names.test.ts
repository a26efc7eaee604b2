import { describe, expect, it } from 'vitest';
import { contentDisposition, sanitizeFileName } from './file-names.js';
import { byteRange } from './uploads.routes.js';

describe('sanitizeFileName', () => {
  it.each([
    ['photo.jpg', 'photo.jpg'],
    ['../../etc/passwd', '.._.._etc_passwd'],
    ['C:\\Users\\me\\a.txt', 'C:_Users_me_a.txt'],
    ['a\u0000b\u0007c\u007fd\u0085e.txt', 'abcde.txt'],
    ['evil\r\nSet-Cookie: x=1', 'evilSet-Cookie: x=1'],
    ['photo\u202Egnp.exe', 'photognp.exe'],
    ['  spaced  ', 'spaced'],
    ['', 'file'],
    [undefined, 'file'],
    ['\u0001\u0002', 'file'],
    ['lone \ud800 surrogate', 'lone \ufffd surrogate'],
    ['résumé 📄.pdf', 'résumé 📄.pdf'],
  ])('%j → %j', (raw, want) => {
    expect(sanitizeFileName(raw)).toBe(want);
  });

  it('keeps at most 255 UTF-16 units, never half a surrogate pair', () => {
    expect(sanitizeFileName('x'.repeat(400))).toBe('x'.repeat(255));
    const emoji = 'x'.repeat(254) + '😀';
    const cut = sanitizeFileName(emoji);
    expect(cut).toBe('x'.repeat(254));
    expect(sanitizeFileName('x'.repeat(253) + '😀')).toHaveLength(255);
  });
});

describe('contentDisposition', () => {
  const params = (h: string) => {
    const m =
      /^(inline|attachment); filename="([\x20-\x7e]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)$/.exec(
        h,
      );
    if (!m) throw new Error(`malformed: ${h}`);
    return { kind: m[1], fallback: m[2]!, name: decodeURIComponent(m[3]!) };
  };

  it.each([
    'plain.txt',
    'say "hi".txt',
    'x"; filename="evil.html',
    'back\\slash',
    '100% off;now',
    'résumé 📄 日本.pdf',
    "it's (1).png",
    'evil\r\nSet-Cookie: a=b',
  ])('encodes %j by RFC 6266 / 8187 without breaking the header', (name) => {
    const h = contentDisposition('attachment', name);
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(h).not.toMatch(/[\u0000-\u001f\u007f]/);
    const p = params(h);
    expect(p.kind).toBe('attachment');
    expect(p.name).toBe(name);
    expect(p.fallback).not.toMatch(/["\\%;]/);
  });

  it('gives a readable ASCII fallback', () => {
    expect(params(contentDisposition('inline', 'Café déjà vu.png')).fallback).toBe(
      'Cafe deja vu.png',
    );
    expect(params(contentDisposition('inline', '日本')).fallback).toBe('file');
  });
});

describe('byteRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-500', 100, { start: 0, end: 99 }],
    ['bytes=50-500', 100, { start: 50, end: 99 }],
    ['bytes=100-', 100, null],
    ['bytes=5-2', 100, null],
    ['bytes=-0', 100, null],
    ['bytes=0-1,3-4', 100, null],
    ['bytes=-', 100, null],
    ['items=0-1', 100, null],
    [undefined, 100, null],
    ['bytes=0-0', 0, null],
  ] as const)('%s of %d', (header, size, want) => {
    expect(byteRange(header, size)).toEqual(want);
  });
});
