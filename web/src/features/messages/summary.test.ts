import { describe, expect, it, beforeAll } from 'vitest';
import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import { messageSummary } from './summary.js';
import { loadMarkdown } from './markdown-loader.js';

// The parser loads on demand (markdown-loader.ts); these tests are about what it makes.
beforeAll(() => loadMarkdown());

const text = (body: string) => ({ body, deletedAt: null, attachments: [] });

describe('messageSummary', () => {
  it('says a message without its markup, on one line', () => {
    expect(messageSummary(text('**done**, see `npm test` and ~~not~~ _this_'))).toBe(
      'done, see npm test and not this',
    );
    expect(messageSummary(text('> quoted\n\n- one\n- two'))).toBe('quoted one two');
    expect(messageSummary(text('```\nconst a = 1;\n```\nafter'))).toBe('const a = 1; after');
    expect(messageSummary(text('[the docs](https://example.com/d) and https://x.org/a_b_'))).toBe(
      'the docs and https://x.org/a_b_',
    );
  });

  it('keeps what only looks like markup, and plain text as typed', () => {
    expect(messageSummary(text('2 * 3 * 4 = 24'))).toBe('2 * 3 * 4 = 24');
    expect(messageSummary(text('<b>not html</b>'))).toBe('<b>not html</b>');
    expect(messageSummary(text('line one\nline   two'))).toBe('line one line two');
  });

  it('names files for a message of files only, and says a deleted message is deleted', () => {
    const file = { name: 'report.pdf', mime: 'application/pdf' } as Attachment;
    expect(messageSummary({ body: '', deletedAt: null, attachments: [file] })).toBe(
      '📎 report.pdf',
    );
    expect(messageSummary({ body: '', deletedAt: '2026-01-01T00:00:00Z', attachments: [] })).toBe(
      'This message was deleted',
    );
  });

  it('cuts at a number of code points, never inside an emoji', () => {
    expect(messageSummary(text('😀'.repeat(5)), 3)).toBe('😀😀😀…');
    expect(messageSummary(text('short'), 10)).toBe('short');
  });
});
