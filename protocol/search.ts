/**
 * Words as search sees them, the same on every database: maximal runs of letters, digits and
 * `_`, compared under case folding with accents removed (NFKD, combining marks dropped), no
 * stemming, no stop words. The server indexes these folded words and checks every result
 * against `matchHighlights`; clients may use the offsets it gives to draw highlights.
 */

const WORD = /[\p{L}\p{N}_]+/gu;
const MARKS = /\p{M}/gu;

/** A word's folded form: what is indexed and compared. */
export function foldWord(word: string): string {
  return word.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/** Every word of a text with its `[start, end)` UTF-16 offsets and folded form. */
export function textWords(text: string): Array<{ start: number; end: number; folded: string }> {
  const out: Array<{ start: number; end: number; folded: string }> = [];
  for (const m of text.matchAll(WORD)) {
    const folded = foldWord(m[0]);
    if (folded !== '') out.push({ start: m.index, end: m.index + m[0].length, folded });
  }
  return out;
}

// eslint-disable-next-line no-control-regex -- the ASCII range is the point
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_WORD = /[a-z0-9_]+/g;

/**
 * The longest word an index holds, in code points: longer words are indexed (and looked up) by
 * their first INDEXED_WORD_MAX code points, which finds every true match and a few more that
 * `matchHighlights` then drops. MariaDB's FULLTEXT ignores words over 84 characters
 * (innodb_ft_max_token_size) and PostgreSQL refuses a lexeme over 2 KB; a query is at most 64
 * characters, so queries are rarely cut.
 */
export const INDEXED_WORD_MAX = 84;

/** A folded word as an index holds it: cut to INDEXED_WORD_MAX code points. */
export function indexedForm(word: string): string {
  if (word.length <= INDEXED_WORD_MAX) return word;
  // Cut by code points: by UTF-16 units only where no surrogate pair could be split.
  return SURROGATE.test(word)
    ? [...word].slice(0, INDEXED_WORD_MAX).join('')
    : word.slice(0, INDEXED_WORD_MAX);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** The distinct folded words of a text, in order of first appearance (what an index holds). */
export function indexWords(text: string): string[] {
  // Most messages are plain ASCII, where folding is lower-casing and a word is [a-z0-9_]+: the
  // same words without normalising each one (this runs inside every send's transaction).
  const words = ASCII.test(text)
    ? (text.toLowerCase().match(ASCII_WORD) ?? [])
    : textWords(text).map((w) => w.folded);
  return [...new Set(words.map(indexedForm))];
}

/** The folded words of a query, in order (the last one also matches as a prefix). */
export function queryWords(q: string): string[] {
  return textWords(q).map((w) => w.folded);
}

/**
 * Whether a body matches a query (every word as a whole word, the last also as a prefix), and
 * if so the offsets of every matching word of the body, whole, ascending; null otherwise.
 */
export function matchHighlights(
  body: string,
  words: readonly string[],
): Array<[number, number]> | null {
  if (words.length === 0) return null;
  const whole = new Set(words.slice(0, -1));
  const last = words[words.length - 1]!;
  const found = new Set<string>();
  let lastFound = false;
  const spans: Array<[number, number]> = [];
  for (const w of textWords(body)) {
    const isWhole = whole.has(w.folded);
    const isPrefix = w.folded.startsWith(last);
    if (isWhole) found.add(w.folded);
    if (isPrefix) lastFound = true;
    if (isWhole || isPrefix) spans.push([w.start, w.end]);
  }
  return lastFound && found.size === whole.size ? spans : null;
}
