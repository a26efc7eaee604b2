import { isUsernameChar } from '../../../../protocol/mentions.js';
import type { PublicUser } from '../../../../protocol/schemas/users.js';

/** The `@word` being typed at the caret: where its `@` is and what follows it so far. */
export interface MentionQuery {
  /** Index of the `@`. */
  start: number;
  /** The characters typed after the `@`, up to the caret. */
  query: string;
}

/**
 * The mention being typed at the caret, by the contract's rule for where a mention starts: an
 * `@` at the start or after a character that cannot be in a username, then only username
 * characters up to the caret. Null when the caret is not in such a word (or a selection is
 * made), so `alice@example` opens nothing.
 */
export function mentionQueryAt(
  text: string,
  caret: number,
  selectionEnd = caret,
): MentionQuery | null {
  if (selectionEnd !== caret || caret < 1 || caret > text.length) return null;
  let i = caret;
  while (i > 0 && isUsernameChar(text[i - 1]!)) i--;
  if (i < 1 || text[i - 1] !== '@') return null;
  const at = i - 1;
  if (at > 0 && isUsernameChar(text[at - 1]!)) return null;
  return { start: at, query: text.slice(i, caret) };
}

/** How well a person fits what was typed: lower is better, null for no match. */
function rank(u: PublicUser, q: string): number | null {
  if (q === '') return 3;
  const username = u.username.toLowerCase();
  const name = u.displayName.toLowerCase();
  if (username === q) return 0;
  if (username.startsWith(q)) return 1;
  if (name.startsWith(q) || name.split(/\s+/).some((w) => w.startsWith(q))) return 2;
  if (username.includes(q) || name.includes(q)) return 4;
  return null;
}

/**
 * The members to offer for a query, best first: exact username, username prefix, a name word
 * starting with it, then anything containing it (ties by display name). Case is ignored.
 */
export function filterMembers(
  members: readonly PublicUser[],
  query: string,
  limit = 8,
): PublicUser[] {
  const q = query.toLowerCase();
  const scored: Array<{ u: PublicUser; r: number }> = [];
  for (const u of members) {
    const r = rank(u, q);
    if (r !== null) scored.push({ u, r });
  }
  scored.sort(
    (a, b) =>
      a.r - b.r ||
      a.u.displayName.localeCompare(b.u.displayName) ||
      a.u.username.localeCompare(b.u.username),
  );
  return scored.slice(0, limit).map((s) => s.u);
}

/**
 * The text with the typed `@query` (from `q.start` to the caret) replaced by `@username ` and
 * the caret placed after that space. A space already following is reused, not doubled.
 */
export function insertMention(
  text: string,
  q: MentionQuery,
  caret: number,
  username: string,
): { text: string; caret: number } {
  // Username characters right after the caret belong to the word being replaced.
  let end = caret;
  while (end < text.length && isUsernameChar(text[end]!)) end++;
  const after = text.slice(end);
  const insert = `@${username}${after.startsWith(' ') ? '' : ' '}`;
  const next = text.slice(0, q.start) + insert + after;
  return { text: next, caret: q.start + insert.length + (after.startsWith(' ') ? 1 : 0) };
}
