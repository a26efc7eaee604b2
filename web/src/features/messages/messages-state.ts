import type { Attachment, Message, ReplyTo } from '../../../../protocol/schemas/conversations.js';
import {
  maxVersion,
  newerCopy,
  noteVersion,
  settleVersion,
  type VersionCursor,
} from './message-version.js';

/** A message written here and not yet acknowledged by the server. */
export interface PendingMessage {
  clientId: string;
  conversationId: number;
  body: string;
  /** When the user sent it (ISO), for display and ordering. */
  createdAt: string;
  /** The message it answers, shown while it is on its way. */
  replyTo: ReplyTo | null;
  /** The uploaded files it carries (sent as `attachmentIds`), shown while it is on its way. */
  attachments: Attachment[];
  state: 'sending' | 'failed';
  /** Why the last attempt failed, shown beside the retry button. */
  error: string | null;
  /** A failure the client will retry by itself after reconnecting (network, server busy). */
  autoRetry: boolean;
  attempts: number;
}

/**
 * What the client holds of one conversation's history: one window of consecutive seqs, the
 * newest ones unless the user jumped back to an older message. The version cursor says up to
 * which change of the conversation all of it is known (see message-version.ts).
 */
export interface ConversationMessages extends VersionCursor {
  /** Stored messages, ascending by seq, one per seq, each the copy with the highest version. */
  items: Message[];
  /** Optimistic messages in the order they were written. */
  pending: PendingMessage[];
  /** Whether history older than `items[0]` exists on the server. */
  hasOlder: boolean;
  loadingOlder: boolean;
  /** Whether history newer than the last item exists and is not loaded (a window in the past). */
  hasNewer: boolean;
  loadingNewer: boolean;
  /** Raised whenever the window is replaced (a jump), so the list starts again at its target. */
  window: number;
}

export const emptyMessages: ConversationMessages = {
  items: [],
  pending: [],
  hasOlder: true,
  loadingOlder: false,
  hasNewer: false,
  loadingNewer: false,
  window: 0,
  version: 0,
  ahead: [],
};

/**
 * Merges messages into an ascending list by seq, one per seq (dropping an id seen at another
 * seq). Of two copies of a message the one with the higher version stays (see newerCopy).
 * Appending in order, the common case, costs one copy of the array; when no incoming copy is
 * newer than the one held, the same array is returned.
 */
export function mergeMessages(items: Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return items;
  const last = items[items.length - 1];
  const sorted = isAscending(incoming) ? incoming : [...incoming].sort((a, b) => a.seq - b.seq);
  if (!last || sorted[0]!.seq > last.seq) {
    return items.concat(dedupeSorted(sorted));
  }
  const bySeq = new Map<number, Message>();
  for (const m of items) bySeq.set(m.seq, m);
  const ids = new Set(items.map((m) => m.id));
  let changed = false;
  for (const m of sorted) {
    const held = bySeq.get(m.seq);
    if (ids.has(m.id) && held?.id !== m.id) continue;
    const keep = held && held.id === m.id ? newerCopy(held, m) : m;
    if (keep === held) continue;
    bySeq.set(m.seq, keep);
    changed = true;
  }
  if (!changed) return items;
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function isAscending(list: readonly Message[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]!.seq <= list[i - 1]!.seq) return false;
  return true;
}

function dedupeSorted(list: readonly Message[]): Message[] {
  const out: Message[] = [];
  for (const m of list) {
    const prev = out[out.length - 1];
    if (prev && prev.seq === m.seq) out[out.length - 1] = newerCopy(prev, m);
    else out.push(m);
  }
  return out;
}

/**
 * Whether a message belongs in the window held: not below it while older history is not
 * loaded, not above it while newer history is not loaded (those come with their pages).
 */
function inWindow(state: ConversationMessages, m: Message): boolean {
  const first = state.items[0];
  const last = state.items[state.items.length - 1];
  if (!first || !last) return !state.hasNewer;
  if (state.hasOlder && m.seq < first.seq) return false;
  if (state.hasNewer && m.seq > last.seq) return false;
  return true;
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

export type PageDirection = 'latest' | 'older' | 'newer' | 'window';

export interface HistoryPageIn {
  messages: Message[];
  hasMore: boolean;
  /**
   * `latest`: the newest page, when a conversation opens. `older`/`newer`: the next page up or
   * down. `window`: replaces what is held (a jump to a message, or back to the newest).
   */
  direction: PageDirection;
  /** With `around=`: whether older and newer history exist beyond the page. */
  hasMoreBefore?: boolean | undefined;
  hasMoreAfter?: boolean | undefined;
  /**
   * For `latest` and `window`: the conversation's version known when the page was asked for;
   * every change up to it is reflected in the page.
   */
  baseVersion?: number | undefined;
}

/** Applies a page of history. */
export function applyPage(
  state: ConversationMessages,
  page: HistoryPageIn,
  myId: number,
): ConversationMessages {
  // Not the page's own highest version when the base is known: a change made after the page
  // was asked for may have missed the page, and must be fetched (see HistorySync).
  const base = page.baseVersion ?? maxVersion(page.messages);
  const pending = settlePending(state.pending, page.messages, myId);
  if (page.direction === 'window') {
    const items = mergeMessages([], page.messages);
    return {
      ...state,
      ...settleVersion(state, base),
      items,
      hasOlder: items[0]?.seq === 1 ? false : (page.hasMoreBefore ?? page.hasMore),
      hasNewer: page.hasMoreAfter ?? false,
      loadingOlder: false,
      loadingNewer: false,
      window: state.window + 1,
      pending,
    };
  }
  const items = mergeMessages(state.items, page.messages);
  let hasOlder = state.hasOlder;
  if (page.direction === 'older') hasOlder = page.hasMore;
  else if (page.direction === 'latest' && state.items.length === 0) hasOlder = page.hasMore;
  // Seq 1 is the first message of every conversation: nothing can be older.
  if (items[0]?.seq === 1) hasOlder = false;
  const cursor = page.direction === 'latest' ? settleVersion(state, base) : state;
  return {
    ...state,
    version: cursor.version,
    ahead: cursor.ahead,
    items,
    hasOlder,
    hasNewer: page.direction === 'newer' ? state.hasNewer && page.hasMore : state.hasNewer,
    loadingOlder: page.direction === 'older' ? false : state.loadingOlder,
    loadingNewer: page.direction === 'newer' ? false : state.loadingNewer,
    pending,
  };
}

/** Applies one live message: `message:new`, `message:updated`, or the ack of my own action. */
export function applyLive(
  state: ConversationMessages,
  message: Message,
  myId: number,
): ConversationMessages {
  const items = inWindow(state, message) ? mergeMessages(state.items, [message]) : state.items;
  const cursor = noteVersion(state, message.version);
  const pending = settlePending(state.pending, [message], myId);
  const hasOlder = state.items.length === 0 && items.length > 0 ? message.seq > 1 : state.hasOlder;
  if (
    items === state.items &&
    cursor === state &&
    pending === state.pending &&
    hasOlder === state.hasOlder
  )
    return state;
  return { ...state, version: cursor.version, ahead: cursor.ahead, items, hasOlder, pending };
}

/**
 * Applies a page of `GET …/changes?since=`: the messages whose version is above `since`,
 * ascending by version, complete up to the last one, so the cursor moves there. Messages
 * outside the window held are left to their pages.
 */
export function applyChanges(
  state: ConversationMessages,
  page: { since: number; messages: readonly Message[] },
  myId: number,
): ConversationMessages {
  const inside = page.messages.filter((m) => inWindow(state, m));
  const last = page.messages[page.messages.length - 1];
  const cursor = last && page.since <= state.version ? settleVersion(state, last.version) : state;
  return {
    ...state,
    version: cursor.version,
    ahead: cursor.ahead,
    items: mergeMessages(state.items, inside),
    pending: settlePending(state.pending, page.messages, myId),
  };
}

/** True when events were missed: a version was seen above a hole. */
export function hasVersionGap(state: ConversationMessages): boolean {
  return state.ahead.length > 0;
}

/** Adds an optimistic message. */
export function queuePending(
  state: ConversationMessages,
  p: Pick<PendingMessage, 'clientId' | 'conversationId' | 'body' | 'createdAt'> & {
    replyTo?: ReplyTo | null;
    attachments?: Attachment[];
  },
): ConversationMessages {
  if (state.pending.some((x) => x.clientId === p.clientId)) return state;
  return {
    ...state,
    pending: [
      ...state.pending,
      {
        ...p,
        replyTo: p.replyTo ?? null,
        attachments: p.attachments ?? [],
        state: 'sending',
        error: null,
        autoRetry: true,
        attempts: 0,
      },
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

/** My newest text message that can still be edited (for Up arrow in an empty composer). */
export function lastEditable(
  state: ConversationMessages | undefined,
  myId: number,
): Message | null {
  if (!state || state.hasNewer) return null;
  for (let i = state.items.length - 1; i >= 0; i--) {
    const m = state.items[i]!;
    if (m.senderId === myId && m.kind === 'text' && m.deletedAt === null) return m;
  }
  return null;
}
