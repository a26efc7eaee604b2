import { LIMITS } from './limits.js';

/** A character that can be part of a username. */
export const isUsernameChar = (c: string): boolean => /^[A-Za-z0-9_.-]$/.test(c);

/** Where one mention sits in a body: `[start, end)` in UTF-16 units, the `@` included. */
export interface MentionSpan {
  start: number;
  end: number;
  /** The username as written (its case), without the `@`. */
  name: string;
}

/**
 * The mentions of a text, by the contract's rule: `@` at the start or after a character that
 * cannot be in a username, then the longest run of username characters; while that run names no
 * member (`isMember`, given the run lower-cased), trailing `.`, `-` and `_` are dropped, so
 * "thanks @alice." mentions alice. Every occurrence, in order; the server keeps the distinct
 * members, the client draws the chips.
 */
export function findMentions(body: string, isMember: (key: string) => boolean): MentionSpan[] {
  const out: MentionSpan[] = [];
  for (let i = body.indexOf('@'); i >= 0; i = body.indexOf('@', i + 1)) {
    if (i > 0 && isUsernameChar(body[i - 1]!)) continue;
    let end = i + 1;
    while (end < body.length && isUsernameChar(body[end]!)) end++;
    let name = body.slice(i + 1, end);
    while (name !== '' && !isMember(name.toLowerCase()) && /[._-]$/.test(name)) {
      name = name.slice(0, -1);
    }
    if (name !== '' && isMember(name.toLowerCase())) {
      out.push({ start: i, end: i + 1 + name.length, name });
    }
    i = end - 1;
  }
  return out;
}

/**
 * The members a body mentions: distinct, in order of first appearance, at most
 * LIMITS.mentionsMax. `members` maps lower-cased usernames to user ids.
 */
export function mentionedIds(body: string, members: ReadonlyMap<string, number>): number[] {
  if (!body.includes('@')) return [];
  const ids: number[] = [];
  for (const m of findMentions(body, (k) => members.has(k))) {
    const id = members.get(m.name.toLowerCase())!;
    if (!ids.includes(id)) ids.push(id);
    if (ids.length >= LIMITS.mentionsMax) break;
  }
  return ids;
}
