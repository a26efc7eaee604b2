import { findMentions } from '../../../../protocol/mentions.js';
import { linkify, type TextPart } from '../../lib/linkify.js';

/** A piece of message text: plain text, a link, or a mention of a member. */
export type MessagePart =
  TextPart | { kind: 'mention'; text: string; username: string; me: boolean };

/**
 * Splits a body into text, links and mentions. Mentions are found by the contract's rule
 * (protocol/mentions.ts) against `names` (lower-cased usernames); a mention inside a link stays
 * part of the link. `me` is my lower-cased username: those mentions are marked.
 */
export function messageParts(
  body: string,
  names: ReadonlySet<string> | undefined,
  me: string,
): MessagePart[] {
  const links = linkify(body);
  if (!names || names.size === 0 || !body.includes('@')) return links;
  const mentions = findMentions(body, (k) => names.has(k));
  if (mentions.length === 0) return links;
  const out: MessagePart[] = [];
  let offset = 0;
  let next = 0;
  for (const part of links) {
    const start = offset;
    const end = offset + part.text.length;
    offset = end;
    if (part.kind === 'link') {
      out.push(part);
      continue;
    }
    let at = start;
    while (next < mentions.length && mentions[next]!.start < end) {
      const m = mentions[next++]!;
      if (m.start < start || m.end > end) continue; // crosses a link: the link wins
      if (m.start > at) out.push({ kind: 'text', text: body.slice(at, m.start) });
      out.push({
        kind: 'mention',
        text: body.slice(m.start, m.end),
        username: m.name,
        me: m.name.toLowerCase() === me,
      });
      at = m.end;
    }
    if (at < end) out.push({ kind: 'text', text: body.slice(at, end) });
  }
  return out;
}
