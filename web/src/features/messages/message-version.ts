import type { Message, MessageStatus } from '../../../../protocol/schemas/conversations.js';

const RANK: Record<MessageStatus, number> = { sent: 0, delivered: 1, read: 2 };

/**
 * Of two copies of one message, the one to keep. The higher `version` is the later state of the
 * message; a deleted copy always wins, so a tombstone never turns back into the old text, even
 * when an older copy arrives late. At the same version only the receipt status can differ.
 */
export function newerCopy(held: Message, incoming: Message): Message {
  if (held === incoming) return held;
  if (held.deletedAt !== null && incoming.deletedAt === null) return held;
  if (incoming.deletedAt !== null && held.deletedAt === null) return incoming;
  if (incoming.version !== held.version) return incoming.version > held.version ? incoming : held;
  return RANK[incoming.status] > RANK[held.status] ? incoming : held;
}

/**
 * The catch-up cursor of a conversation, in versions. Every change up to `version` is reflected
 * in what the client holds; `ahead` lists versions seen live above it. The server raises a
 * conversation's version by one for every change and sends one event per change, so a version
 * above `version + 1` means events were missed (or are still on their way): fetch the changes
 * since `version`.
 */
export interface VersionCursor {
  version: number;
  ahead: readonly number[];
}

/** Absorbs the versions in `ahead` that now follow the cursor without a hole. */
function absorb(version: number, ahead: readonly number[]): VersionCursor {
  let v = version;
  let i = 0;
  while (i < ahead.length && ahead[i]! <= v + 1) {
    v = Math.max(v, ahead[i]!);
    i++;
  }
  return { version: v, ahead: i === 0 ? ahead : ahead.slice(i) };
}

/** Records one version seen live (an event or an ack). */
export function noteVersion(c: VersionCursor, v: number): VersionCursor {
  if (v <= c.version || c.ahead.includes(v)) return c;
  if (v === c.version + 1) return absorb(v, c.ahead);
  const ahead = [...c.ahead, v].sort((a, b) => a - b);
  return { version: c.version, ahead };
}

/** Everything up to `v` is known (a changes page that started at or below the cursor). */
export function settleVersion(c: VersionCursor, v: number): VersionCursor {
  if (v <= c.version) return c;
  return absorb(
    v,
    c.ahead.filter((x) => x > v),
  );
}

/** The highest version among messages, or 0. */
export function maxVersion(messages: readonly Message[]): number {
  let v = 0;
  for (const m of messages) if (m.version > v) v = m.version;
  return v;
}
