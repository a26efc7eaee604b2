/** An emoji and one of its `:shortcode:` names (GitHub's and Slack's: `:tada:`, `:+1:`). */
export interface Shortcode {
  emoji: string;
  name: string;
  tags: readonly string[];
}

let loading: Promise<readonly Shortcode[]> | null = null;

/**
 * The shortcode table (the gemoji package), loaded as its own chunk the first time a `:code`
 * is typed, so it costs nothing until then.
 */
export function loadShortcodes(): Promise<readonly Shortcode[]> {
  loading ??= import('gemoji').then(({ gemoji }) =>
    gemoji.flatMap((g) => g.names.map((name) => ({ emoji: g.emoji, name, tags: g.tags }))),
  );
  return loading;
}

export interface ShortcodeQuery {
  /** Index of the ':' that starts it. */
  start: number;
  /** What follows the ':' up to the caret, lower-cased. */
  query: string;
}

const QUERY = /(?:^|[\s([{])(:([a-z0-9_+-]{2,32}))$/i;

/**
 * The `:code` being typed at the caret, if any: a ':' at the start or after a space or an
 * opening bracket (so "12:30" and "https://" are not), then at least two name characters.
 */
export function shortcodeQueryAt(text: string, caret: number): ShortcodeQuery | null {
  const m = QUERY.exec(text.slice(Math.max(0, caret - 40), caret));
  if (!m) return null;
  return { start: caret - m[1]!.length, query: m[2]!.toLowerCase() };
}

/** Shortcodes that fit a query: names starting with it, then containing it, then by tag. */
export function matchShortcodes(
  table: readonly Shortcode[],
  query: string,
  limit = 8,
): Shortcode[] {
  const q = query.toLowerCase();
  const starts: Shortcode[] = [];
  const contains: Shortcode[] = [];
  const tagged: Shortcode[] = [];
  const seen = new Set<string>();
  for (const s of table) {
    if (s.name.startsWith(q)) starts.push(s);
    else if (s.name.includes(q)) contains.push(s);
    else if (s.tags.some((t) => t.startsWith(q))) tagged.push(s);
  }
  starts.sort((a, b) => a.name.length - b.name.length);
  const out: Shortcode[] = [];
  for (const s of [...starts, ...contains, ...tagged]) {
    if (seen.has(s.emoji)) continue;
    seen.add(s.emoji);
    out.push(s);
    if (out.length === limit) break;
  }
  return out;
}

/** The emoji of an exact `:name:`, if there is one. */
export function exactShortcode(table: readonly Shortcode[], name: string): string | null {
  const n = name.toLowerCase();
  return table.find((s) => s.name === n)?.emoji ?? null;
}

/** Replaces `text[from, to)` with an emoji (and a space after it); returns the caret after it. */
export function insertAt(
  text: string,
  from: number,
  to: number,
  emoji: string,
): { text: string; caret: number } {
  const after = text.slice(to);
  const space = after.startsWith(' ') ? '' : ' ';
  const next = text.slice(0, from) + emoji + space + after;
  return { text: next, caret: from + emoji.length + space.length };
}

/**
 * A `:name:` just completed before the caret, with the range it covers, for replacing it by
 * its emoji as soon as the closing ':' is typed.
 */
export function closedShortcodeAt(
  text: string,
  caret: number,
): { from: number; name: string } | null {
  const m = /(?:^|[\s([{]):([a-z0-9_+-]{1,32}):$/i.exec(text.slice(Math.max(0, caret - 40), caret));
  if (!m) return null;
  return { from: caret - m[1]!.length - 2, name: m[1]! };
}
