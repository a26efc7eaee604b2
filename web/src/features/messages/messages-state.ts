import type { Message } from '../../../../protocol/schemas/conversations.js';

/** A message written here and not yet acknowledged by the server. */
export interface PendingMessage {
  clientId: string;
  conversationId: number;
  body: string;
  /** When the user sent it (ISO), for display and ordering. */
  createdAt: string;
  state: 'sending' | 'failed';
  /** Why the last attempt failed, shown beside the retry button. */
  error: string | null;
  /** A failure the client will retry by itself after reconnecting (network, server busy). */
  autoRetry: boolean;
  attempts: number;
}

/** What the client holds of one conversation's history. */
export interface ConversationMessages {
  /** Stored messages, ascending by seq, one per seq. */
  items: Message[];
  /** Optimistic messages in the order they were written. */
  pending: PendingMessage[];
  /** Whether history older than `items[0]` exists on the server. */
  hasOlder: boolean;
  loadingOlder: boolean;
}

export const emptyMessages: ConversationMessages = {
  items: [],
  pending: [],
  hasOlder: true,
  loadingOlder: false,
};

/**
 * Merges messages into an ascending list by seq, dropping duplicates (by seq, and by id for
 * good measure). Incoming copies win, since they are newer views of the same message (status).
 * Appending in order, the common case, costs one copy of the array.
 */
export function mergeMessages(items: Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return items;
  const last = items[items.length - 1];
  const sorted = isAscending(incoming) ? incoming : [...incoming].sort((a, b) => a.seq - b.seq);
  if (!last || sorted[0]!.seq > last.seq) {
    return items.concat(dedupeSorted([...sorted]));
  }
  const bySeq = new Map<number, Message>();
  for (const m of items) bySeq.set(m.seq, m);
  const ids = new Set(items.map((m) => m.id));
  for (const m of sorted) {
    if (ids.has(m.id) && bySeq.get(m.seq)?.id !== m.id) continue;
    bySeq.set(m.seq, m);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function isAscending(list: readonly Message[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]!.seq <= list[i - 1]!.seq) return false;
  return true;
}

function dedupeSorted(list: Message[]): Message[] {
  const out: Message[] = [];
  for (const m of list) {
    const prev = out[out.length - 1];
    if (prev && prev.seq === m.seq) out[out.length - 1] = m;
    else out.push(m);
  }
  return out;
}

/**
 * The catch-up cursor: the highest seq held with no gap below it, counting from the oldest
 * message held. `after=` this seq fetches everything missed, even when live events arrived
 * past a hole. 0 when nothing is held.
 */
export function contiguousSeq(items: readonly Message[]): number {
  if (items.length === 0) return 0;
  let seq = items[0]!.seq;
  for (let i = 1; i < items.length; i++) {
    if (items[i]!.seq !== seq + 1) break;
    seq = items[i]!.seq;
  }
  return seq;
}

/** The newest seq held, or 0. */
export function newestSeq(items: readonly Message[]): number {
  return items.length ? items[items.length - 1]!.seq : 0;
}

/** Removes the optimistic copies of messages the server now holds (same clientId, mine). */
function settlePending(
  pending: PendingMessage[],
  stored: readonly Message[],
  myId: number,
): PendingMessage[] {
  if (pending.length === 0) return pending;
  const done = new Set(
    stored.filter((m) => m.senderId === myId && m.clientId).map((m) => m.clientId),
  );
  if (done.size === 0) return pending;
  const left = pending.filter((p) => !done.has(p.clientId));
  return left.length === pending.length ? pending : left;
}

/** Applies a page of history: the newest page, an older page, or a catch-up page (`after=`). */
export function applyPage(
  state: ConversationMessages,
  page: { messages: Message[]; hasMore: boolean; direction: 'latest' | 'older' | 'newer' },
  myId: number,
): ConversationMessages {
  const items = mergeMessages(state.items, page.messages);
  let hasOlder = state.hasOlder;
  if (page.direction === 'older') hasOlder = page.hasMore;
  else if (page.direction === 'latest' && state.items.length === 0) hasOlder = page.hasMore;
  // Seq 1 is the first message of every conversation: nothing can be older.
  if (items[0]?.seq === 1) hasOlder = false;
  return {
    ...state,
    items,
    hasOlder,
    loadingOlder: page.direction === 'older' ? false : state.loadingOlder,
    pending: settlePending(state.pending, page.messages, myId),
  };
}

/** Applies one live message (`message:new` or a send ack). */
export function applyLive(
  state: ConversationMessages,
  message: Message,
  myId: number,
): ConversationMessages {
  return {
    ...state,
    items: mergeMessages(state.items, [message]),
    hasOlder: state.items.length === 0 ? message.seq > 1 : state.hasOlder,
    pending: settlePending(state.pending, [message], myId),
  };
}

/** True when a live message skipped seqs after what is held: fetch `after=` the cursor. */
export function hasGapBefore(state: ConversationMessages, seq: number): boolean {
  return state.items.length > 0 && seq > contiguousSeq(state.items) + 1;
}

/** Adds an optimistic message. */
export function queuePending(
  state: ConversationMessages,
  p: Pick<PendingMessage, 'clientId' | 'conversationId' | 'body' | 'createdAt'>,
): ConversationMessages {
  if (state.pending.some((x) => x.clientId === p.clientId)) return state;
  return {
    ...state,
    pending: [
      ...state.pending,
      { ...p, state: 'sending', error: null, autoRetry: true, attempts: 0 },
    ],
  };
}

/** Updates one optimistic message; a no-op when it is already settled. */
export function updatePending(
  state: ConversationMessages,
  clientId: string,
  change: (p: PendingMessage) => PendingMessage | null,
): ConversationMessages {
  const i = state.pending.findIndex((p) => p.clientId === clientId);
  if (i < 0) return state;
  const next = change(state.pending[i]!);
  const pending = [...state.pending];
  if (next) pending[i] = next;
  else pending.splice(i, 1);
  return { ...state, pending };
}

/** Replaces a stored message that is already held (a newer view of it), by id. */
export function replaceMessage(state: ConversationMessages, m: Message): ConversationMessages {
  const i = state.items.findIndex((x) => x.id === m.id);
  if (i < 0) return state;
  const items = [...state.items];
  items[i] = m;
  return { ...state, items };
}
