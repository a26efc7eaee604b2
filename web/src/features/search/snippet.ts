/** A piece of a result's snippet: plain text, or a word that matched the query. */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

export interface Snippet {
  parts: SnippetPart[];
  /** Text was left out before / after the snippet (show an ellipsis). */
  cutStart: boolean;
  cutEnd: boolean;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Moves an offset off the middle of a surrogate pair (backwards, or forwards with `up`). */
function onCodePoint(s: string, i: number, up = false): number {
  if (i > 0 && i < s.length && isLow(s.charCodeAt(i)) && isHigh(s.charCodeAt(i - 1)))
    return up ? i + 1 : i - 1;
  return i;
}

/**
 * The highlights the server gave, made safe to slice with: whole numbers inside the body,
 * ascending, not overlapping, on code point boundaries. Anything else is dropped.
 */
export function cleanHighlights(
  body: string,
  highlights: ReadonlyArray<readonly [number, number]>,
): Array<[number, number]> {
  const spans = highlights
    .filter(
      ([s, e]) => Number.isInteger(s) && Number.isInteger(e) && s >= 0 && s < e && e <= body.length,
    )
    .map(([s, e]): [number, number] => [onCodePoint(body, s), onCodePoint(body, e, true)])
    .sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const span of spans) {
    const last = out[out.length - 1];
    if (last && span[0] < last[1]) last[1] = Math.max(last[1], span[1]);
    else out.push(span);
  }
  return out;
}

/**
 * The part of a body to show for a search result: from a little before the first highlight
 * (starting at a word when it can), at most `max` UTF-16 units long (longer only to finish the
 * first highlight), split into text and hits by the `[start, end)` offsets. Offsets count UTF-16
 * units as the server sends them; no cut splits a surrogate pair. White space runs show as one
 * space. The parts are strings, for React to render as text (e.g. hits in <mark>).
 */
export function buildSnippet(
  body: string,
  highlights: ReadonlyArray<readonly [number, number]>,
  { before = 40, max = 180 }: { before?: number; max?: number } = {},
): Snippet {
  const spans = cleanHighlights(body, highlights);
  const first = spans[0];
  let start = 0;
  if (first && first[0] > before) {
    start = first[0] - before;
    // Begin at a word: skip the rest of one cut in two.
    const space = /\s/.test(body[start - 1]!) ? -1 : body.slice(start, first[0]).search(/\s/);
    if (space >= 0) start += space + 1;
    start = onCodePoint(body, start, true);
  }
  let end = Math.min(body.length, Math.max(start + max, first?.[1] ?? 0));
  if (end < body.length) {
    const cut = body.slice(start, end).search(/\s\S*$/);
    const lastHit = spans.filter((s) => s[0] < end).pop();
    if (cut > 0 && start + cut >= (lastHit?.[1] ?? 0)) end = start + cut;
    end = onCodePoint(body, end);
  }
  const parts: SnippetPart[] = [];
  const push = (from: number, to: number, hit: boolean) => {
    if (to <= from) return;
    const text = body.slice(from, to).replace(/\s+/g, ' ');
    parts.push({ text, hit });
  };
  let at = start;
  for (const [s, e] of spans) {
    if (e <= start) continue;
    if (s >= end) break;
    const from = Math.max(s, start);
    const to = Math.min(e, end);
    push(at, from, false);
    push(from, to, true);
    at = to;
  }
  push(at, end, false);
  return { parts, cutStart: start > 0, cutEnd: end < body.length };
}
