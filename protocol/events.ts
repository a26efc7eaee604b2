import type { Ack } from './errors.js';
import type {
  Conversation,
  CursorPayload,
  Member,
  Message,
  SendMessagePayload,
  TypingPayload,
} from './schemas/conversations.js';

/** Socket.IO event names, shared by the server and every client. */
export const EV = {
  messageSend: 'message:send',
  messageDelivered: 'message:delivered',
  conversationRead: 'conversation:read',
  typing: 'typing',
  messageNew: 'message:new',
  receipt: 'receipt',
  presence: 'presence',
  conversationUpdated: 'conversation:updated',
  conversationRemoved: 'conversation:removed',
  memberUpdated: 'member:updated',
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

type AckFn<T> = (ack: Ack<T>) => void;

/** Events a client emits; each takes an ack callback. */
export interface ClientToServerEvents {
  'message:send': (payload: SendMessagePayload, ack: AckFn<Message>) => void;
  'message:delivered': (payload: CursorPayload, ack: AckFn<Record<string, never>>) => void;
  'conversation:read': (payload: CursorPayload, ack: AckFn<Record<string, never>>) => void;
  typing: (payload: TypingPayload, ack: AckFn<Record<string, never>>) => void;
}

/** Events the server emits. */
export interface ServerToClientEvents {
  'message:new': (m: Message) => void;
  receipt: (r: ReceiptEvent) => void;
  typing: (t: TypingEvent) => void;
  presence: (p: PresenceEvent) => void;
  'conversation:updated': (c: Conversation) => void;
  'conversation:removed': (r: { conversationId: number }) => void;
  'member:updated': (m: { conversationId: number; member: Member }) => void;
  'session:expired': (e: Record<string, never>) => void;
}
