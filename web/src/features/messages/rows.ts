import type { Message } from '../../../../protocol/schemas/conversations.js';
import { dayKey } from '../../lib/time.js';
import type { PendingMessage } from './messages-state.js';

interface RowBase {
  key: string;
  /** ISO time of the message, when a day separator goes above it. */
  dayOf: string | null;
  /** First of a run of messages from one sender (shows the name and avatar). */
  first: boolean;
  /** Last of the run (gets the tail and the time). */
  last: boolean;
  senderId: number;
}

export type Row =
  | (RowBase & { kind: 'message'; message: Message; newMarker: boolean })
  | (RowBase & { kind: 'pending'; pending: PendingMessage });

/** Messages from one sender this close together read as one block. */
const GROUP_GAP_MS = 5 * 60_000;

/** One React key per message that survives the optimistic → stored switch (by clientId). */
export function keyOf(m: Message, myId: number): string {
  return m.senderId === myId && m.clientId ? `c:${m.clientId}` : `m:${m.id}`;
}

/**
 * Turns held and pending messages into list rows: day separators, runs by sender, and a
 * "new messages" marker above the first message that was unread when the view opened.
 * `hasOlder` says more history exists above the first message held.
 */
export function buildRows(
  items: readonly Message[],
  pending: readonly PendingMessage[],
  myId: number,
  firstUnreadSeq: number | null = null,
  hasOlder = false,
): Row[] {
  const rows: Row[] = [];
  let prev: { senderId: number; at: number; day: string; system: boolean } | null = null;
  let markerPlaced = false;
  const push = (
    r: Omit<RowBase, 'dayOf' | 'first' | 'last'> &
      (
        | { kind: 'message'; message: Message; newMarker: boolean }
        | { kind: 'pending'; pending: PendingMessage }
      ),
    createdAt: string,
    system: boolean,
  ) => {
    const at = Date.parse(createdAt);
    const day = dayKey(createdAt);
    // Above the oldest message held, the day is only known once older history is loaded;
    // adding the separator then would push that message down while it is on screen.
    const newDay = prev ? prev.day !== day : !hasOlder;
    const marker = r.kind === 'message' && r.newMarker;
    const first =
      !prev ||
      newDay ||
      marker ||
      system ||
      prev.system ||
      prev.senderId !== r.senderId ||
      at - prev.at > GROUP_GAP_MS;
    const last = rows[rows.length - 1];
    if (first && last) last.last = true;
    rows.push({ ...r, dayOf: newDay ? createdAt : null, first, last: true });
    if (last && !first) last.last = false;
    prev = { senderId: r.senderId, at, day, system };
  };
  // Only a window that reaches back to the first unread message shows the marker: in a later
  // window (say the newest, after a jump) its first row is not where the unread ones begin.
  const reaches =
    firstUnreadSeq !== null && items.length > 0 && (!hasOlder || items[0]!.seq <= firstUnreadSeq);
  for (const m of items) {
    const newMarker =
      reaches &&
      !markerPlaced &&
      firstUnreadSeq !== null &&
      m.seq >= firstUnreadSeq &&
      m.senderId !== myId &&
      m.kind === 'text';
    if (newMarker) markerPlaced = true;
    push(
      { kind: 'message', key: keyOf(m, myId), message: m, senderId: m.senderId, newMarker },
      m.createdAt,
      m.kind === 'system',
    );
  }
  for (const p of pending) {
    push(
      { kind: 'pending', key: `c:${p.clientId}`, pending: p, senderId: myId },
      p.createdAt,
      false,
    );
  }
  return rows;
}
