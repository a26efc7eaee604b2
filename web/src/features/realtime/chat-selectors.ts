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

/**
 * Who among the other members has read a message (for "read by N" in groups), counting only
 * those who were members when it was sent. Their cursors cannot tell: a member who joins
 * starts with both cursors at the conversation's last seq, as if they had read everything
 * before. So a member counts when they joined no later than the message was created (both
 * times are the server's); someone who left and joined again counts from the last join.
 */
export function readersOf(
  state: ChatState,
  conversationId: number,
  message: Pick<Message, 'seq' | 'createdAt'>,
): number[] {
  const members = state.members[conversationId];
  if (!members) return [];
  const cursors = state.cursors[conversationId] ?? {};
  const sentAt = Date.parse(message.createdAt);
  return Object.values(members)
    .filter(
      (m) =>
        m.user.id !== state.myId &&
        (cursors[m.user.id]?.readSeq ?? 0) >= message.seq &&
        Date.parse(m.joinedAt) <= sentAt,
    )
    .map((m) => m.user.id);
}

/** Users typing in a conversation right now. */
export function typingUsers(state: ChatState, conversationId: number, now: number): number[] {
  const here = state.typing[conversationId];
  if (!here) return [];
  return Object.entries(here)
    .filter(([, until]) => until > now)
    .map(([id]) => Number(id));
}
