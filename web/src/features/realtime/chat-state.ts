import type { PresenceEvent, ReceiptEvent, TypingEvent } from '../../../../protocol/events.js';
import { TYPING_TIMEOUT_MS } from '../../../../protocol/limits.js';
import type {
  Attachment,
  Conversation,
  ConversationWithMembers,
  Member,
  Message,
  ReplyTo,
} from '../../../../protocol/schemas/conversations.js';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import {
  applyList,
  applyMessage,
  applyMyRead,
  applyPresence,
  applyUser,
  removeConversation,
  upsertConversation,
  type ConversationMap,
} from '../conversations/conversations-state.js';
import {
  applyChanges,
  applyLive,
  applyPage,
  emptyMessages,
  queuePending,
  updatePending,
  type ConversationMessages,
  type HistoryPageIn,
  type PendingMessage,
} from '../messages/messages-state.js';
import { applyPinChange, loadPins, type PinsHeld } from '../messages/pins-state.js';
import { applyOverlay, type OverlayChange, type ReactionOverlay } from '../messages/reactions.js';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting';

export interface Cursor {
  deliveredSeq: number;
  readSeq: number;
}

/** Everything the signed-in client knows; replaced, never mutated. */
export interface ChatState {
  myId: number;
  conversations: ConversationMap;
  /** The conversation list has been fetched at least once. */
  listLoaded: boolean;
  messages: Readonly<Record<number, ConversationMessages>>;
  /** Members of the conversations whose details were loaded, by user id. */
  members: Readonly<Record<number, Readonly<Record<number, Member>>>>;
  /** Other members' receipt cursors, by conversation then user. */
  cursors: Readonly<Record<number, Readonly<Record<number, Cursor>>>>;
  users: Readonly<Record<number, PublicUser>>;
  /** Who is typing where: conversation → user → when it ends (ms). */
  typing: Readonly<Record<number, Readonly<Record<number, number>>>>;
  /** Pinned messages of the conversations whose pins were loaded. */
  pins: Readonly<Record<number, PinsHeld>>;
  /** My reaction changes on their way, by message id (shown at once, undone on an error). */
  reactionOverlay: Readonly<Record<number, ReactionOverlay>>;
  connection: ConnectionState;
}

export type ChatAction =
  | { type: 'connection'; state: ConnectionState }
  | { type: 'conversations/list'; list: Conversation[] }
  | { type: 'conversation/upsert'; conversation: Conversation }
  | { type: 'conversation/details'; conversation: ConversationWithMembers }
  | { type: 'conversation/removed'; conversationId: number }
  | ({ type: 'messages/page'; conversationId: number } & HistoryPageIn)
  | {
      type: 'messages/changes';
      conversationId: number;
      since: number;
      messages: Message[];
      hasMore: boolean;
    }
  | { type: 'messages/loadingOlder'; conversationId: number }
  | { type: 'messages/loadingNewer'; conversationId: number; loading: boolean }
  | { type: 'message/new'; message: Message }
  | { type: 'message/updated'; message: Message }
  | {
      type: 'message/queued';
      pending: Pick<PendingMessage, 'clientId' | 'conversationId' | 'body' | 'createdAt'> & {
        replyTo?: ReplyTo | null;
        attachments?: Attachment[];
      };
    }
  | { type: 'message/acked'; clientId: string; message: Message }
  | {
      type: 'message/failed';
      conversationId: number;
      clientId: string;
      error: string;
      autoRetry: boolean;
    }
  | { type: 'message/attempt'; conversationId: number; clientId: string }
  | { type: 'message/retry'; conversationId: number; clientId: string }
  | { type: 'message/discard'; conversationId: number; clientId: string }
  | { type: 'receipt'; receipt: ReceiptEvent }
  | { type: 'read/local'; conversationId: number; seq: number }
  | { type: 'typing'; event: TypingEvent; now: number }
  | { type: 'presence'; presence: PresenceEvent }
  | { type: 'member/updated'; conversationId: number; member: Member }
  | { type: 'users'; users: PublicUser[] }
  | { type: 'user/updated'; user: PublicUser }
  | { type: 'pins/loaded'; conversationId: number; messages: Message[] }
  | OverlayChange;

export function initialChatState(myId: number): ChatState {
  return {
    myId,
    conversations: {},
    listLoaded: false,
    messages: {},
    members: {},
    cursors: {},
    users: {},
    typing: {},
    pins: {},
    reactionOverlay: {},
    connection: 'connecting',
  };
}

function withUsers(state: ChatState, users: readonly PublicUser[]): ChatState {
  if (users.length === 0) return state;
  let changed = false;
  const next = { ...state.users };
  for (const u of users) {
    const held = next[u.id];
    if (
      held &&
      held.displayName === u.displayName &&
      held.username === u.username &&
      held.avatarUrl === u.avatarUrl &&
      held.online === u.online &&
      held.lastSeenAt === u.lastSeenAt
    )
      continue;
    next[u.id] = u;
    changed = true;
  }
  return changed ? { ...state, users: next } : state;
}

function setIn<T>(
  outer: Readonly<Record<number, Readonly<Record<number, T>>>>,
  a: number,
  b: number,
  value: T,
): Record<number, Record<number, T>> {
  return { ...outer, [a]: { ...outer[a], [b]: value } };
}

function withoutKey<T>(rec: Readonly<Record<number, T>>, key: number): Record<number, T> {
  const next = { ...rec };
  delete next[key];
  return next;
}

function moveCursor(state: ChatState, r: ReceiptEvent): ChatState {
  const held = state.cursors[r.conversationId]?.[r.userId];
  const next: Cursor = {
    deliveredSeq: Math.max(held?.deliveredSeq ?? 0, r.deliveredSeq, r.readSeq),
    readSeq: Math.max(held?.readSeq ?? 0, r.readSeq),
  };
  if (held && held.deliveredSeq === next.deliveredSeq && held.readSeq === next.readSeq)
    return state;
  return { ...state, cursors: setIn(state.cursors, r.conversationId, r.userId, next) };
}

function messagesOf(state: ChatState, id: number): ConversationMessages {
  return state.messages[id] ?? emptyMessages;
}

function setMessages(state: ChatState, id: number, m: ConversationMessages): ChatState {
  return state.messages[id] === m ? state : { ...state, messages: { ...state.messages, [id]: m } };
}

/**
 * Copies of messages that may be new or changed (live, acks, catch-up): the conversation's
 * summary and the pins panel take them; the history takes them when held (see applyLive).
 */
function withCopies(state: ChatState, list: readonly Message[]): ChatState {
  let conversations = state.conversations;
  let pins = state.pins;
  for (const m of list) {
    conversations = applyMessage(conversations, m, state.myId);
    const held = pins[m.conversationId];
    if (held) {
      const next = applyPinChange(held, m);
      if (next !== held) pins = { ...pins, [m.conversationId]: next };
    }
  }
  if (conversations === state.conversations && pins === state.pins) return state;
  return { ...state, conversations, pins };
}

/** Changes one user in every member list held. */
function withMemberUser(
  state: ChatState,
  userId: number,
  change: (u: PublicUser) => PublicUser,
): ChatState {
  let members: Record<number, Readonly<Record<number, Member>>> | null = null;
  for (const [cid, byUser] of Object.entries(state.members)) {
    const m = byUser[userId];
    if (!m) continue;
    members ??= { ...state.members };
    members[Number(cid)] = { ...byUser, [userId]: { ...m, user: change(m.user) } };
  }
  return members ? { ...state, members } : state;
}

/** A user's new name or picture, everywhere it is shown. */
function withUser(state: ChatState, u: PublicUser): ChatState {
  const next = withUsers(state, [u]);
  const conversations = applyUser(next.conversations, u);
  return withMemberUser(
    conversations === next.conversations ? next : { ...next, conversations },
    u.id,
    () => u,
  );
}

/** The one reducer of the signed-in client. */
export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'connection':
      return state.connection === action.state ? state : { ...state, connection: action.state };

    case 'conversations/list': {
      const next = {
        ...state,
        listLoaded: true,
        conversations: applyList(state.conversations, action.list),
      };
      return withUsers(
        next,
        action.list.flatMap((c) => (c.otherUser ? [c.otherUser] : [])),
      );
    }

    case 'conversation/upsert': {
      const c = action.conversation;
      const next = {
        ...state,
        conversations: upsertConversation(state.conversations, c),
      };
      return withUsers(next, c.otherUser ? [c.otherUser] : []);
    }

    case 'conversation/details': {
      const { members, ...c } = action.conversation;
      const byUser: Record<number, Member> = {};
      const cursors: Record<number, Cursor> = { ...state.cursors[c.id] };
      for (const m of members) {
        byUser[m.user.id] = m;
        const held = cursors[m.user.id];
        cursors[m.user.id] = {
          deliveredSeq: Math.max(held?.deliveredSeq ?? 0, m.deliveredSeq),
          readSeq: Math.max(held?.readSeq ?? 0, m.readSeq),
        };
      }
      const next: ChatState = {
        ...state,
        conversations:
          c.myRole === null && !(c.id in state.conversations)
            ? state.conversations
            : upsertConversation(state.conversations, c),
        members: { ...state.members, [c.id]: byUser },
        cursors: { ...state.cursors, [c.id]: cursors },
      };
      return withUsers(
        next,
        members.map((m) => m.user),
      );
    }

    case 'conversation/removed': {
      const id = action.conversationId;
      return {
        ...state,
        conversations: removeConversation(state.conversations, id),
        messages: withoutKey(state.messages, id),
        members: withoutKey(state.members, id),
        cursors: withoutKey(state.cursors, id),
        typing: withoutKey(state.typing, id),
        pins: withoutKey(state.pins, id),
      };
    }

    case 'messages/page': {
      const held = messagesOf(state, action.conversationId);
      const next = setMessages(state, action.conversationId, applyPage(held, action, state.myId));
      return action.direction === 'older' ? next : withCopies(next, action.messages);
    }

    case 'messages/changes': {
      const held = state.messages[action.conversationId];
      const next = held
        ? setMessages(state, action.conversationId, applyChanges(held, action, state.myId))
        : state;
      return withCopies(next, action.messages);
    }

    case 'messages/loadingOlder': {
      const held = messagesOf(state, action.conversationId);
      return setMessages(state, action.conversationId, { ...held, loadingOlder: true });
    }

    case 'messages/loadingNewer': {
      const held = state.messages[action.conversationId];
      if (!held || held.loadingNewer === action.loading) return state;
      return setMessages(state, action.conversationId, { ...held, loadingNewer: action.loading });
    }

    case 'message/updated': {
      const m = action.message;
      const next = withCopies(state, [m]);
      const held = next.messages[m.conversationId];
      return held ? setMessages(next, m.conversationId, applyLive(held, m, state.myId)) : next;
    }

    case 'message/new': {
      const m = action.message;
      let next = withCopies(state, [m]);
      // Only conversations whose history is held keep messages; others load when opened.
      if (state.messages[m.conversationId]) {
        next = setMessages(
          next,
          m.conversationId,
          applyLive(messagesOf(state, m.conversationId), m, state.myId),
        );
      }
      // A message from someone ends their typing; sending also implies my cursors moved.
      const typingHere = next.typing[m.conversationId];
      if (typingHere?.[m.senderId] !== undefined) {
        next = {
          ...next,
          typing: { ...next.typing, [m.conversationId]: withoutKey(typingHere, m.senderId) },
        };
      }
      if (m.senderId !== state.myId) {
        next = moveCursor(next, {
          conversationId: m.conversationId,
          userId: m.senderId,
          deliveredSeq: m.seq,
          readSeq: m.seq,
        });
      }
      return next;
    }

    case 'message/queued': {
      const id = action.pending.conversationId;
      return setMessages(state, id, queuePending(messagesOf(state, id), action.pending));
    }

    case 'message/acked': {
      const m = action.message;
      let next = chatReducer(state, { type: 'message/new', message: m });
      // The ack can reach a conversation whose history was dropped meanwhile: settle anyway.
      const held = next.messages[m.conversationId];
      if (held) {
        next = setMessages(
          next,
          m.conversationId,
          updatePending(held, action.clientId, () => null),
        );
      }
      return next;
    }

    case 'message/failed': {
      const held = state.messages[action.conversationId];
      if (!held) return state;
      return setMessages(
        state,
        action.conversationId,
        updatePending(held, action.clientId, (p) => ({
          ...p,
          state: 'failed',
          error: action.error,
          autoRetry: action.autoRetry,
        })),
      );
    }

    case 'message/attempt':
    case 'message/retry': {
      const held = state.messages[action.conversationId];
      if (!held) return state;
      const retry = action.type === 'message/retry';
      return setMessages(
        state,
        action.conversationId,
        updatePending(held, action.clientId, (p) => ({
          ...p,
          state: 'sending',
          error: retry ? null : p.error,
          autoRetry: retry ? true : p.autoRetry,
          attempts: retry ? 0 : p.attempts + 1,
        })),
      );
    }

    case 'message/discard': {
      const held = state.messages[action.conversationId];
      if (!held) return state;
      return setMessages(
        state,
        action.conversationId,
        updatePending(held, action.clientId, () => null),
      );
    }

    case 'receipt': {
      const r = action.receipt;
      if (r.userId === state.myId) {
        return {
          ...state,
          conversations: applyMyRead(
            state.conversations,
            r.conversationId,
            r.readSeq,
            state.myId,
            state.messages[r.conversationId]?.items,
          ),
        };
      }
      let next = moveCursor(state, r);
      const member = next.members[r.conversationId]?.[r.userId];
      if (member && (member.readSeq < r.readSeq || member.deliveredSeq < r.deliveredSeq)) {
        next = {
          ...next,
          members: setIn(next.members, r.conversationId, r.userId, {
            ...member,
            readSeq: Math.max(member.readSeq, r.readSeq),
            deliveredSeq: Math.max(member.deliveredSeq, r.deliveredSeq, r.readSeq),
          }),
        };
      }
      return next;
    }

    case 'read/local':
      return {
        ...state,
        conversations: applyMyRead(
          state.conversations,
          action.conversationId,
          action.seq,
          state.myId,
          state.messages[action.conversationId]?.items,
        ),
      };

    case 'typing': {
      const t = action.event;
      if (t.userId === state.myId) return state;
      const here = state.typing[t.conversationId] ?? {};
      if (!t.typing && here[t.userId] === undefined) return state;
      const nextHere = t.typing
        ? { ...here, [t.userId]: action.now + TYPING_TIMEOUT_MS }
        : withoutKey(here, t.userId);
      return { ...state, typing: { ...state.typing, [t.conversationId]: nextHere } };
    }

    case 'presence': {
      const p = action.presence;
      const u = state.users[p.userId];
      let next: ChatState = {
        ...state,
        conversations: applyPresence(state.conversations, p),
      };
      if (u) {
        next = {
          ...next,
          users: { ...next.users, [u.id]: { ...u, online: p.online, lastSeenAt: p.lastSeenAt } },
        };
      }
      // Group member lists show presence too.
      return withMemberUser(next, p.userId, (u) => ({
        ...u,
        online: p.online,
        lastSeenAt: p.lastSeenAt,
      }));
    }

    case 'member/updated': {
      const { conversationId, member } = action;
      if (!state.members[conversationId]) return withUsers(state, [member.user]);
      const next = {
        ...state,
        members: setIn(state.members, conversationId, member.user.id, member),
      };
      return withUsers(
        moveCursor(next, {
          conversationId,
          userId: member.user.id,
          deliveredSeq: member.deliveredSeq,
          readSeq: member.readSeq,
        }),
        [member.user],
      );
    }

    case 'users':
      return withUsers(state, action.users);

    case 'user/updated':
      return withUser(state, action.user);

    case 'pins/loaded':
      return {
        ...state,
        pins: {
          ...state.pins,
          [action.conversationId]: loadPins(state.pins[action.conversationId], action.messages),
        },
      };

    case 'reaction/pending':
    case 'reaction/settled': {
      const reactionOverlay = applyOverlay(state.reactionOverlay, action);
      return reactionOverlay === state.reactionOverlay ? state : { ...state, reactionOverlay };
    }
  }
}
