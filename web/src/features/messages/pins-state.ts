import type { Message } from '../../../../protocol/schemas/conversations.js';
import { newerCopy } from './message-version.js';

/**
 * The pinned messages of a conversation once its pins panel was opened: the newest copy of
 * every message seen since (unpinned ones too, so that a late, older copy cannot pin a message
 * again), by id.
 */
export type PinsHeld = Readonly<Record<number, Message>>;

/** The answer of `GET …/pins`, merged with what live events already said. */
export function loadPins(held: PinsHeld | undefined, list: readonly Message[]): PinsHeld {
  const next: Record<number, Message> = { ...held };
  for (const m of list) {
    const h = next[m.id];
    next[m.id] = h ? newerCopy(h, m) : m;
  }
  return next;
}

/** A new copy of a message: kept when it is newer than the one held, or pinned. */
export function applyPinChange(held: PinsHeld, m: Message): PinsHeld {
  const h = held[m.id];
  if (!h && m.pinned === null) return held;
  const keep = h ? newerCopy(h, m) : m;
  return keep === h ? held : { ...held, [m.id]: keep };
}

/** The pinned messages to show: not deleted, latest pin first. */
export function pinnedList(held: PinsHeld): Message[] {
  return Object.values(held)
    .filter((m) => m.pinned !== null && m.deletedAt === null)
    .sort((a, b) => Date.parse(b.pinned!.at) - Date.parse(a.pinned!.at) || b.id - a.id);
}
