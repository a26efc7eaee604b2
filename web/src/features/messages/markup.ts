import { safeHref } from '../../lib/linkify.js';

// What decides whether a message needs the Markdown parser (markdown.ts, loaded on demand:
// markdown-it and its tables are most of a chunk, and most chat lines never need them).

/** Characters and line starts that can change how a message renders. */
const MARKUP = /[*_~`[\]<\\\n]|^\s*(?:>|[-+]\s|\d{1,9}[.)]\s)|https?:/i;

/** Whether a body needs the parser at all (most chat lines do not). */
export function hasMarkup(body: string): boolean {
  return MARKUP.test(body);
}

/** A link's destination if it may be followed: http, https or mailto, as the browser sees it. */
export function safeLinkHref(raw: string): string | null {
  if (/^www\./i.test(raw)) return safeHref(raw);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:'
    ? u.href
    : null;
}
