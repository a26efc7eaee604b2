import type { PresenceEvent } from '../../../../protocol/events.js';
import type { Conversation, Message } from '../../../../protocol/schemas/conversations.js';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import { newerCopy } from '../messages/message-version.js';

export type ConversationMap = Readonly<Record<number, Conversation>>;

/** When a conversation last had activity: its last message, else its creation. */
export function activityOf(c: Conversation): string {
  return c.lastMessage?.createdAt ?? c.createdAt;
}

/** Conversations newest activity first (ties by id, so the order is stable). */
export function sortByActivity(map: ConversationMap): Conversation[] {
  return Object.values(map).sort((a, b) => {
    const d = Date.parse(activityOf(b)) - Date.parse(activityOf(a));
    return d !== 0 ? d : b.id - a.id;
  });
}

/**
 * Merges a fresh copy from the server with the one held. A copy can be older than what live
 * events already told us (it was built before they happened): then the held last message,
 * lastSeq and unread count stay, and the last message keeps its newest version.
 */
export function mergeConversation(
  held: Conversation | undefined,
  fresh: Conversation,
): Conversation {
  if (!held) return fresh;
  let c = fresh;
  if (held.lastSeq > fresh.lastSeq) {
    c = {
      ...c,
      lastSeq: held.lastSeq,
      lastMessage: held.lastMessage,
      unreadCount: held.unreadCount,
      mentionCount: held.mentionCount,
      myReadSeq: held.myReadSeq,
    };
  } else if (held.lastMessage && c.lastMessage?.id === held.lastMessage.id) {
    const lastMessage = newerCopy(held.lastMessage, c.lastMessage);
    if (lastMessage !== c.lastMessage) c = { ...c, lastMessage };
  }
  if (held.lastVersion > c.lastVersion) c = { ...c, lastVersion: held.lastVersion };
  // Read cursors only move forward: keep whichever copy has read further.
  const readSeq = Math.max(held.myReadSeq, fresh.myReadSeq);
  if (readSeq > c.myReadSeq) {
    const left = Math.max(0, c.lastSeq - readSeq);
    c = {
      ...c,
      myReadSeq: readSeq,
      unreadCount: Math.min(c.unreadCount, left),
      mentionCount: Math.min(c.mentionCount, left),
    };
  }
  return c;
}

/** Replaces the whole list (after sign-in or a reconnect): the server's list is the truth. */
export function applyList(map: ConversationMap, list: readonly Conversation[]): ConversationMap {
  const next: Record<number, Conversation> = {};
  for (const c of list) next[c.id] = mergeConversation(map[c.id], c);
  return next;
}

export function upsertConversation(map: ConversationMap, c: Conversation): ConversationMap {
  return { ...map, [c.id]: mergeConversation(map[c.id], c) };
}

export function removeConversation(map: ConversationMap, id: number): ConversationMap {
  if (!(id in map)) return map;
  const next = { ...map };
  delete next[id];
  return next;
}

/** A message counts as unread for me: someone else's text message past my read cursor. */
export function countsAsUnread(m: Message, myId: number, myReadSeq: number): boolean {
  return m.kind === 'text' && m.senderId !== myId && m.seq > myReadSeq && m.deletedAt === null;
}

/** A message counts as an unread mention: unread, and it mentions me. */
export function countsAsMention(m: Message, myId: number, myReadSeq: number): boolean {
  return countsAsUnread(m, myId, myReadSeq) && m.mentions.includes(myId);
}

/**
 * A new or changed message of a conversation: lastVersion, and for a new seq the last message,
 * lastSeq and unread count (once per seq); a changed last message is replaced by its newer copy.
 */
export function applyMessage(map: ConversationMap, m: Message, myId: number): ConversationMap {
  const c = map[m.conversationId];
  if (!c) return map;
  const lastVersion = Math.max(c.lastVersion, m.version);
  if (m.seq <= c.lastSeq) {
    const lastMessage = c.lastMessage?.id === m.id ? newerCopy(c.lastMessage, m) : c.lastMessage;
    if (lastMessage === c.lastMessage && lastVersion === c.lastVersion) return map;
    return { ...map, [c.id]: { ...c, lastMessage, lastVersion } };
  }
  const mine = m.senderId === myId;
  const myReadSeq = mine ? Math.max(c.myReadSeq, m.seq) : c.myReadSeq;
  return {
    ...map,
    [c.id]: {
      ...c,
      lastSeq: m.seq,
      lastMessage: m,
      lastVersion,
      myReadSeq,
      // Sending moves my own read cursor to my message, so nothing before it is unread.
      unreadCount: mine ? 0 : c.unreadCount + (countsAsUnread(m, myId, myReadSeq) ? 1 : 0),
      mentionCount: mine ? 0 : c.mentionCount + (countsAsMention(m, myId, myReadSeq) ? 1 : 0),
    },
  };
}

/** A user's new name or picture, in the direct conversations with them. */
export function applyUser(map: ConversationMap, u: PublicUser): ConversationMap {
  let next: Record<number, Conversation> | null = null;
  for (const c of Object.values(map)) {
    if (c.otherUser?.id !== u.id) continue;
    next ??= { ...map };
    next[c.id] = { ...c, otherUser: u };
  }
  return next ?? map;
}

/**
 * My read cursor moved (here or on another device). The unread count is recounted from the
 * messages held when they cover the range, else estimated from the seqs.
 */
export function applyMyRead(
  map: ConversationMap,
  conversationId: number,
  seq: number,
  myId: number,
  held: readonly Message[] = [],
): ConversationMap {
  const c = map[conversationId];
  if (!c || seq <= c.myReadSeq) return map;
  let unreadCount: number;
  let mentionCount: number;
  if (seq >= c.lastSeq) unreadCount = mentionCount = 0;
  else if (held.length && held[0]!.seq <= seq + 1 && held[held.length - 1]!.seq >= c.lastSeq) {
    unreadCount = held.filter((m) => countsAsUnread(m, myId, seq)).length;
    mentionCount = held.filter((m) => countsAsMention(m, myId, seq)).length;
  } else {
    unreadCount = Math.min(c.unreadCount, c.lastSeq - seq);
    mentionCount = Math.min(c.mentionCount, c.lastSeq - seq);
  }
  return { ...map, [conversationId]: { ...c, myReadSeq: seq, unreadCount, mentionCount } };
}

/** Presence of a user shown in direct conversations. */
export function applyPresence(map: ConversationMap, p: PresenceEvent): ConversationMap {
  let next: Record<number, Conversation> | null = null;
  for (const c of Object.values(map)) {
    if (c.otherUser?.id !== p.userId) continue;
    next ??= { ...map };
    next[c.id] = {
      ...c,
      otherUser: { ...c.otherUser, online: p.online, lastSeenAt: p.lastSeenAt },
    };
  }
  return next ?? map;
}

/** The number in the document title: unread messages in conversations that are not muted. */
export function totalUnread(map: ConversationMap, muted: ReadonlySet<number> = new Set()): number {
  let n = 0;
  for (const c of Object.values(map)) if (!c.muted && !muted.has(c.id)) n += c.unreadCount;
  return n;
}

/** What the tab title and the favicon show: unread messages and mentions, muted ones left out. */
export function unreadSignals(map: ConversationMap): { unread: number; mentions: number } {
  let unread = 0;
  let mentions = 0;
  for (const c of Object.values(map)) {
    if (c.muted) continue;
    unread += c.unreadCount;
    mentions += c.mentionCount;
  }
  return { unread, mentions };
}

/** The tab title: "(3) Parley" while messages are unread outside muted conversations. */
export function documentTitle(s: { unread: number }): string {
  return s.unread > 0 ? `(${s.unread > 999 ? '999+' : s.unread}) Parley` : 'Parley';
}

/** The name to show for a conversation. */
export function conversationTitle(c: Conversation): string {
  if (c.kind === 'direct') return c.otherUser?.displayName ?? 'Direct message';
  return c.name ?? 'Untitled group';
}
