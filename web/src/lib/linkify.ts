/** A piece of message text: plain text, or a link the client may make clickable. */
export type TextPart =
  { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_LIKE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"»)\]}]+$/;

/** Drops trailing punctuation, keeping a closing bracket that has its opening one in the URL. */
function trimUrl(raw: string): string {
  let s = raw;
  for (;;) {
    const m = TRAILING.exec(s);
    if (!m) return s;
    const last = s[s.length - 1]!;
    const open = { ')': '(', ']': '[', '}': '{' }[last];
    if (open && s.split(open).length > s.split(last).length - 1) return s;
    s = s.slice(0, -1);
  }
}

/** The href for a URL-looking piece of text, or null unless it is plain http(s). */
export function safeHref(text: string): string | null {
  const candidate = /^www\./i.test(text) ? `https://${text}` : text;
  try {
    const u = new URL(candidate);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.href;
  } catch {
    return null;
  }
}

/**
 * The link that starts at `start` of a text, found and trimmed as `linkify` does (a word
 * boundary before it, trailing punctuation dropped), or null.
 */
export function urlAt(text: string, start: number): { text: string; href: string } | null {
  if (start > 0 && /\w/.test(text[start - 1]!)) return null;
  const sticky = new RegExp(URL_LIKE.source, 'iy');
  sticky.lastIndex = start;
  const m = sticky.exec(text);
  if (!m) return null;
  const raw = trimUrl(m[0]);
  const href = safeHref(raw);
  return href && raw.length >= 5 ? { text: raw, href } : null;
}

/**
 * Splits message text into text and http(s) links. Nothing is ever parsed as HTML: the parts
 * are rendered as React text nodes and anchors, so `<script>` stays the characters it is.
 */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_LIKE)) {
    const start = m.index;
    const raw = trimUrl(m[0]);
    const href = safeHref(raw);
    if (!href || raw.length < 5) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
