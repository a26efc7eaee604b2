import { describe, expect, it } from 'vitest';
import { conversation, msg, range, user } from '../../test/factories.js';
import {
  chatReducer,
  initialChatState,
  readersOf,
  statusOf,
  typingUsers,
  type ChatAction,
  type ChatState,
} from './chat-state.js';

const ME = 1;
const run = (actions: ChatAction[], state: ChatState = initialChatState(ME)) =>
  actions.reduce(chatReducer, state);

describe('chat state', () => {
  it('reconnect: the fresh list plus after= pages and overlapping live events give every message once', () => {
    let s = run([
      {
        type: 'conversations/list',
        list: [conversation(1, { lastSeq: 5, lastMessage: msg(5), myReadSeq: 5 })],
      },
      {
        type: 'messages/page',
        conversationId: 1,
        messages: range(1, 5),
        hasMore: false,
        direction: 'latest',
      },
      { type: 'connection', state: 'reconnecting' },
    ]);
    // While away, 6..9 were sent. The new list arrives, 9 also arrives live, then the page.
    s = run(
      [
        { type: 'connection', state: 'online' },
        {
          type: 'conversations/list',
          list: [
            conversation(1, { lastSeq: 9, lastMessage: msg(9), myReadSeq: 5, unreadCount: 4 }),
          ],
        },
        { type: 'message/new', message: msg(9) },
        {
          type: 'messages/page',
          conversationId: 1,
          messages: range(6, 9),
          hasMore: false,
          direction: 'newer',
        },
      ],
      s,
    );
    expect(s.messages[1]!.items.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.conversations[1]!.unreadCount).toBe(4);
  });

  it('optimistic send: queued, then acked into its seq with the same clientId, no duplicate', () => {
    let s = run([
      { type: 'conversations/list', list: [conversation(1, { lastSeq: 2, lastMessage: msg(2) })] },
      {
        type: 'messages/page',
        conversationId: 1,
        messages: range(1, 2),
        hasMore: false,
        direction: 'latest',
      },
      {
        type: 'message/queued',
        pending: { clientId: 'k1', conversationId: 1, body: 'hi', createdAt: msg(3).createdAt },
      },
    ]);
    expect(s.messages[1]!.pending).toHaveLength(1);
    const stored = msg(3, { senderId: ME, clientId: 'k1', body: 'hi' });
    // The fan-out may reach this tab before the ack does; both must settle to one message.
    s = run(
      [
        { type: 'message/new', message: stored },
        { type: 'message/acked', clientId: 'k1', message: stored },
      ],
      s,
    );
    expect(s.messages[1]!.pending).toHaveLength(0);
    expect(s.messages[1]!.items.filter((m) => m.clientId === 'k1')).toHaveLength(1);
    expect(s.conversations[1]!.lastMessage?.id).toBe(stored.id);
  });

  it('a failed send keeps its clientId for the retry', () => {
    let s = run([
      { type: 'conversations/list', list: [conversation(1)] },
      {
        type: 'messages/page',
        conversationId: 1,
        messages: [],
        hasMore: false,
        direction: 'latest',
      },
      {
        type: 'message/queued',
        pending: { clientId: 'k2', conversationId: 1, body: 'x', createdAt: msg(1).createdAt },
      },
      {
        type: 'message/failed',
        conversationId: 1,
        clientId: 'k2',
        error: 'nope',
        autoRetry: false,
      },
    ]);
    expect(s.messages[1]!.pending[0]).toMatchObject({
      clientId: 'k2',
      state: 'failed',
      error: 'nope',
    });
    s = chatReducer(s, { type: 'message/retry', conversationId: 1, clientId: 'k2' });
    expect(s.messages[1]!.pending[0]).toMatchObject({
      clientId: 'k2',
      state: 'sending',
      error: null,
    });
  });

  it('ticks follow receipts: sent, delivered, read; groups count readers', () => {
    const mine = msg(3, { senderId: ME, conversationId: 7 });
    let s = run([
      {
        type: 'conversation/details',
        conversation: {
          ...conversation(7, { kind: 'group', name: 'G', otherUser: null, lastSeq: 3 }),
          members: [ME, 2, 3].map((id) => ({
            user: user(id),
            role: 'member' as const,
            joinedAt: msg(1).createdAt,
            deliveredSeq: 2,
            readSeq: 2,
          })),
        },
      },
    ]);
    expect(statusOf(s, mine)).toBe('sent');
    s = run(
      [
        { type: 'receipt', receipt: { conversationId: 7, userId: 2, deliveredSeq: 3, readSeq: 3 } },
        { type: 'receipt', receipt: { conversationId: 7, userId: 3, deliveredSeq: 3, readSeq: 2 } },
      ],
      s,
    );
    expect(statusOf(s, mine)).toBe('delivered');
    expect(readersOf(s, 7, 3)).toEqual([2]);
    s = chatReducer(s, {
      type: 'receipt',
      receipt: { conversationId: 7, userId: 3, deliveredSeq: 3, readSeq: 3 },
    });
    expect(statusOf(s, mine)).toBe('read');
    // A stale receipt never moves a cursor back.
    s = chatReducer(s, {
      type: 'receipt',
      receipt: { conversationId: 7, userId: 3, deliveredSeq: 1, readSeq: 1 },
    });
    expect(statusOf(s, mine)).toBe('read');
  });

  it('my own read receipt from another device clears the unread count', () => {
    const s = run([
      {
        type: 'conversations/list',
        list: [conversation(1, { lastSeq: 4, unreadCount: 4, lastMessage: msg(4) })],
      },
      { type: 'receipt', receipt: { conversationId: 1, userId: ME, deliveredSeq: 4, readSeq: 4 } },
    ]);
    expect(s.conversations[1]!.unreadCount).toBe(0);
  });

  it('typing ends after the timeout or when that user’s message arrives', () => {
    let s = run([
      { type: 'conversations/list', list: [conversation(1)] },
      { type: 'typing', event: { conversationId: 1, userId: 2, typing: true }, now: 1000 },
      { type: 'typing', event: { conversationId: 1, userId: 3, typing: true }, now: 1000 },
    ]);
    expect(typingUsers(s, 1, 2000).sort()).toEqual([2, 3]);
    expect(typingUsers(s, 1, 8000)).toEqual([]);
    s = chatReducer(s, { type: 'message/new', message: msg(1, { senderId: 2 }) });
    expect(typingUsers(s, 1, 2000)).toEqual([3]);
  });

  it('removal drops the conversation and its history', () => {
    const s = run([
      { type: 'conversations/list', list: [conversation(1)] },
      {
        type: 'messages/page',
        conversationId: 1,
        messages: range(1, 3),
        hasMore: false,
        direction: 'latest',
      },
      { type: 'conversation/removed', conversationId: 1 },
    ]);
    expect(s.conversations[1]).toBeUndefined();
    expect(s.messages[1]).toBeUndefined();
  });
});
