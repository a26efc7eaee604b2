import type { Conversation, Message } from '../../../protocol/schemas/conversations.js';
import type { PublicUser } from '../../../protocol/schemas/users.js';

const T0 = Date.parse('2026-11-24T09:00:00.000Z');

/** A stored message of conversation 1 at a seq (one per minute), overridable. */
export function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: 1000 + seq,
    conversationId: 1,
    seq,
    senderId: 2,
    clientId: null,
    kind: 'text',
    body: `message ${seq}`,
    meta: null,
    createdAt: new Date(T0 + seq * 60_000).toISOString(),
    editedAt: null,
    status: 'sent',
    version: seq,
    deletedAt: null,
    replyTo: null,
    reactions: [],
    mentions: [],
    pinned: null,
    attachments: [],
    ...over,
  };
}

export function range(from: number, to: number, over: Partial<Message> = {}): Message[] {
  const out: Message[] = [];
  for (let s = from; s <= to; s++) out.push(msg(s, over));
  return out;
}

export function user(id: number, over: Partial<PublicUser> = {}): PublicUser {
  return {
    id,
    username: `user${id}`,
    displayName: `User ${id}`,
    avatarUrl: null,
    online: false,
    lastSeenAt: null,
    ...over,
  };
}

export function conversation(id: number, over: Partial<Conversation> = {}): Conversation {
  return {
    id,
    kind: 'direct',
    name: null,
    topic: null,
    isPrivate: true,
    createdAt: new Date(T0).toISOString(),
    createdBy: 1,
    otherUser: user(2),
    memberCount: 2,
    myRole: 'member',
    lastSeq: 0,
    lastVersion: over.lastSeq ?? 0,
    lastMessage: null,
    unreadCount: 0,
    mentionCount: 0,
    myReadSeq: 0,
    muted: false,
    notify: 'all',
    ...over,
  };
}
