import MarkdownIt, { type StateInline, type Token } from 'markdown-it';
import { urlAt } from '../../lib/linkify.js';
import { hasMarkup } from './markup.js';

/**
 * The chat subset of Markdown: **bold**, *italic*, ~~strike~~, `code`, fenced code blocks,
 * > quotes, lists and links. Raw HTML is off (it stays text), and so is everything a chat
 * message would not mean: headings ("# 1" is text), rules, tables, images (nothing is fetched
 * from elsewhere), indented code, link reference definitions and HTML entities (a message
 * shows "&amp;" as typed). Line breaks are kept. markdown-it parses in time linear in the
 * input and caps nesting, so no message can make it slow (see markdown.test.ts).
 *
 * The parser gives tokens, never HTML: MessageText turns them into React elements, so
 * nothing from a message reaches the DOM as markup.
 */
const md = new MarkdownIt('default', {
  html: false,
  linkify: false,
  breaks: true,
  typographer: false,
  maxNesting: 20,
});
md.disable([
  'heading',
  'lheading',
  'hr',
  'table',
  'code',
  'reference',
  'html_block',
  'html_inline',
  'image',
  'entity',
  'linkify',
]);

/**
 * Bare http(s) URLs become links while the line is parsed, before emphasis is matched, so
 * `https://example.com/__init__` keeps its underscores. The URL is found and trimmed exactly
 * as in plain text (lib/linkify.ts); `www.` links are found later, in the text pieces.
 */
function bareUrl(state: StateInline, silent: boolean): boolean {
  if (state.linkLevel > 0 || state.src.charCodeAt(state.pos) !== 0x3a /* : */) return false;
  // The scheme was consumed as plain text just before the ':' (the text rule stops there).
  const scheme = /https?$/i.exec(state.pending)?.[0];
  if (!scheme) return false;
  const start = state.pos - scheme.length;
  const url = urlAt(state.src, start);
  if (!url) return false;
  if (!silent) {
    state.pending = state.pending.slice(0, -scheme.length);
    const open = state.push('link_open', 'a', 1);
    open.attrs = [['href', url.href]];
    open.markup = 'linkify';
    const text = state.push('text', '', 0);
    text.content = url.text;
    state.push('link_close', 'a', -1).markup = 'linkify';
  }
  state.pos = start + url.text.length;
  return true;
}
md.inline.ruler.before('linkify', 'bare_url', bareUrl);

/** The block tokens of a message (their `children` hold the inline tokens). */
export function parseMarkdown(body: string): Token[] {
  return md.parse(body, {});
}

/**
 * What a message says without its markup: the words of every block, one space between blocks
 * and lines, for one-line previews, notifications and screen readers ("**done**" reads "done").
 */
export function plainText(body: string): string {
  if (!hasMarkup(body)) return body;
  const out: string[] = [];
  for (const t of md.parse(body, {})) {
    if (t.type === 'fence' || t.type === 'code_block') out.push(t.content, ' ');
    if (t.type !== 'inline') continue;
    for (const c of t.children ?? []) {
      if (c.type === 'text' || c.type === 'code_inline') out.push(c.content);
      else if (c.type === 'softbreak' || c.type === 'hardbreak') out.push(' ');
    }
    out.push(' ');
  }
  return out.join('').trim();
}

export type { Token };
