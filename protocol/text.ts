/** Text rules shared by the server's schemas and the web client (no dependencies). */

/** The zod issue message of a string that is not well-formed Unicode. */
export const NOT_WELL_FORMED = 'must be well-formed Unicode (no lone surrogates)';

// In a `u` expression a surrogate pair reads as one code point outside this range, so only an
// unpaired half matches. String.prototype.isWellFormed says the same, but it is ES2024: the
// type libraries here stop at ES2023 and the web client runs this code in browsers too.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** True when the string has no lone surrogate, i.e. it can be encoded as UTF-8 and back. */
export const isWellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

// Characters that render as nothing: zero-width spaces and joiners, direction marks, bidi
// embeddings, overrides and isolates, word joiner and invisible operators, the byte-order mark.
const VISIBLE = /[^\s\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u;

/** True when something is left after setting aside white space and invisible characters. */
export const hasVisibleCharacter = (s: string): boolean => VISIBLE.test(s);

/** JavaScript's white space and line terminators (what `\s` matches), except U+FEFF. */
const isSpace = (c: number): boolean =>
  c === 0x20 ||
  (c >= 0x09 && c <= 0x0d) ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000;

/**
 * `String.prototype.trim` without U+FEFF, which JavaScript counts as white space but the
 * contract counts as an invisible character: those are never stripped from text that has
 * other characters. A loop, not `/\s+$/`, whose backtracking is quadratic on long runs of spaces.
 */
export function trimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isSpace(s.charCodeAt(start))) start++;
  while (end > start && isSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * The length every text limit counts: UTF-16 code units of what is stored, after trimming
 * (PROTOCOL v1.1). A client that counts code points lets through what the server refuses.
 */
export const storedLength = (s: string): number => trimSpace(s).length;
