import type { Message, MessageStatus } from '../../../../protocol/schemas/conversations.js';
import type { ChatState } from './chat-state.js';

const RANK: Record<MessageStatus, number> = { sent: 0, delivered: 1, read: 2 };

/**
 * The live status of my message: the server's status when it built the message, raised by the
 * receipts seen since (every other member's cursor at or past the seq).
 */
export function statusOf(state: ChatState, m: Message): MessageStatus {
  const others = otherMemberIds(state, m.conversationId);
  if (others.length === 0) return m.status;
  const cursors = state.cursors[m.conversationId] ?? {};
  let live: MessageStatus = 'read';
  for (const id of others) {
    const c = cursors[id];
    if (!c || c.deliveredSeq < m.seq) return m.status;
    if (c.readSeq < m.seq) live = 'delivered';
  }
  return RANK[live] > RANK[m.status] ? live : m.status;
}

/** The other members of a conversation, when known (members loaded, or a direct chat). */
export function otherMemberIds(state: ChatState, conversationId: number): number[] {
  const members = state.members[conversationId];
  if (members)
    return Object.keys(members)
      .map(Number)
      .filter((id) => id !== state.myId);
  const other = state.conversations[conversationId]?.otherUser;
  return other ? [other.id] : [];
}

/** Who among the other members has read up to a seq (for "read by N" in groups). */
export function readersOf(state: ChatState, conversationId: number, seq: number): number[] {
  const members = state.members[conversationId];
  if (!members) return [];
  const cursors = state.cursors[conversationId] ?? {};
  return Object.keys(members)
    .map(Number)
    .filter((id) => id !== state.myId && (cursors[id]?.readSeq ?? 0) >= seq);
}

/** Users typing in a conversation right now. */
export function typingUsers(state: ChatState, conversationId: number, now: number): number[] {
  const here = state.typing[conversationId];
  if (!here) return [];
  return Object.entries(here)
    .filter(([, until]) => until > now)
    .map(([id]) => Number(id));
}
