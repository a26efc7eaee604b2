import type { Ack } from './errors.js';
import type {
  Conversation,
  CursorPayload,
  Member,
  Message,
  MessageDeletePayload,
  MessageEditPayload,
  MessagePinPayload,
  ReactionSetPayload,
  SendMessagePayload,
  TypingPayload,
} from './schemas/conversations.js';
import type { PublicUser } from './schemas/users.js';

/** Socket.IO event names, shared by the server and every client. */
export const EV = {
  messageSend: 'message:send',
  messageDelivered: 'message:delivered',
  conversationRead: 'conversation:read',
  typing: 'typing',
  messageEdit: 'message:edit',
  messageDelete: 'message:delete',
  reactionSet: 'reaction:set',
  messagePin: 'message:pin',
  messageNew: 'message:new',
  messageUpdated: 'message:updated',
  receipt: 'receipt',
  presence: 'presence',
  conversationUpdated: 'conversation:updated',
  conversationRemoved: 'conversation:removed',
  memberUpdated: 'member:updated',
  userUpdated: 'user:updated',
  sessionExpired: 'session:expired',
} as const;

export interface ReceiptEvent {
  conversationId: number;
  userId: number;
  deliveredSeq: number;
  readSeq: number;
}
export interface TypingEvent {
  conversationId: number;
  userId: number;
  typing: boolean;
}
export interface PresenceEvent {
  userId: number;
  online: boolean;
  lastSeenAt: string | null;
}
export interface ConversationRemovedEvent {
  conversationId: number;
}
export interface MemberUpdatedEvent {
  conversationId: number;
  member: Member;
}

type AckFn<T> = (ack: Ack<T>) => void;
type Empty = Record<string, never>;

/** Events a client emits; each takes an ack callback. */
export interface ClientToServerEvents {
  'message:send': (payload: SendMessagePayload, ack: AckFn<Message>) => void;
  'message:delivered': (payload: CursorPayload, ack: AckFn<Empty>) => void;
  'conversation:read': (payload: CursorPayload, ack: AckFn<Empty>) => void;
  typing: (payload: TypingPayload, ack: AckFn<Empty>) => void;
  'message:edit': (payload: MessageEditPayload, ack: AckFn<Message>) => void;
  'message:delete': (payload: MessageDeletePayload, ack: AckFn<Message>) => void;
  'reaction:set': (payload: ReactionSetPayload, ack: AckFn<Message>) => void;
  'message:pin': (payload: MessagePinPayload, ack: AckFn<Message>) => void;
}

/** Events the server emits. */
export interface ServerToClientEvents {
  'message:new': (m: Message) => void;
  'message:updated': (m: Message) => void;
  receipt: (r: ReceiptEvent) => void;
  typing: (t: TypingEvent) => void;
  presence: (p: PresenceEvent) => void;
  'conversation:updated': (c: Conversation) => void;
  'conversation:removed': (r: ConversationRemovedEvent) => void;
  'member:updated': (m: MemberUpdatedEvent) => void;
  'user:updated': (u: PublicUser) => void;
  'session:expired': (e: Empty) => void;
}
