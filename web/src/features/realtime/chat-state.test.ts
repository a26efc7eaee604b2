import { describe, expect, it } from 'vitest';
import { conversation, msg, range, user } from '../../test/factories.js';
import { pinnedList } from '../messages/pins-state.js';
import { readersOf, statusOf, typingUsers } from './chat-selectors.js';
import { chatReducer, initialChatState, type ChatAction, type ChatState } from './chat-state.js';

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
    expect(readersOf(s, 7, mine)).toEqual([2]);
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

  it('"read by" counts only members who were there when the message was sent', () => {
    const first = msg(2, { senderId: ME, conversationId: 7 });
    const later = msg(5, { senderId: ME, conversationId: 7 });
    const member = (id: number, joinedAt: string) => ({
      user: user(id),
      role: 'member' as const,
      joinedAt,
      deliveredSeq: 5,
      readSeq: 5,
    });
    const s = run([
      {
        type: 'conversation/details',
        conversation: {
          ...conversation(7, { kind: 'group', name: 'G', otherUser: null, lastSeq: 5 }),
          // 3 joined after message 2 was sent: its cursors start past it, yet it never saw it.
          members: [
            member(ME, msg(1).createdAt),
            member(2, msg(1).createdAt),
            member(3, msg(4).createdAt),
          ],
        },
      },
    ]);
    expect(readersOf(s, 7, first)).toEqual([2]);
    expect(readersOf(s, 7, later).sort()).toEqual([2, 3]);
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

describe('changed messages', () => {
  const opened = (n: number) =>
    run([
      {
        type: 'conversations/list',
        list: [conversation(1, { lastSeq: n, lastMessage: msg(n), myReadSeq: n })],
      },
      {
        type: 'messages/page',
        conversationId: 1,
        messages: range(1, n),
        hasMore: false,
        direction: 'latest',
        baseVersion: n,
      },
    ]);
  const bodyOf = (s: ChatState, seq: number) =>
    s.messages[1]!.items.find((m) => m.seq === seq)!.body;
  const edited = (seq: number, version: number, body: string) =>
    msg(seq, { version, body, editedAt: '2026-11-24T11:00:00.000Z' });

  it('message:updated twice and out of order keeps the highest version, in list and summary', () => {
    let s = opened(5);
    s = run(
      [
        { type: 'message/updated', message: edited(5, 8, 'third') },
        { type: 'message/updated', message: edited(5, 6, 'first') },
        { type: 'message/updated', message: edited(5, 8, 'third') },
        { type: 'message/updated', message: edited(5, 7, 'second') },
      ],
      s,
    );
    expect(bodyOf(s, 5)).toBe('third');
    expect(s.conversations[1]!.lastMessage!.body).toBe('third');
    expect(s.conversations[1]!.lastVersion).toBe(8);
    expect(s.messages[1]!.version).toBe(8);
  });

  it('a tombstone never reverts: not by a late message:new, an older update or a stale list', () => {
    let s = opened(5);
    const tomb = msg(5, { version: 9, body: '', deletedAt: '2026-11-24T11:00:00.000Z' });
    s = run(
      [
        { type: 'message/updated', message: tomb },
        { type: 'message/new', message: msg(5) },
        { type: 'message/updated', message: edited(5, 7, 'old edit') },
        {
          type: 'conversations/list',
          list: [conversation(1, { lastSeq: 5, lastMessage: msg(5, { version: 6 }) })],
        },
        {
          type: 'messages/changes',
          conversationId: 1,
          since: 5,
          messages: [edited(5, 7, 'old edit')],
          hasMore: false,
        },
      ],
      s,
    );
    expect(s.messages[1]!.items[4]).toBe(tomb);
    expect(s.conversations[1]!.lastMessage).toBe(tomb);
  });

  it('a deleted message does not count as unread', () => {
    let s = opened(5);
    s = chatReducer(s, {
      type: 'message/new',
      message: msg(6, { body: '', deletedAt: '2026-11-24T11:00:00.000Z' }),
    });
    expect(s.conversations[1]!.unreadCount).toBe(0);
    s = chatReducer(s, { type: 'message/new', message: msg(7) });
    expect(s.conversations[1]!.unreadCount).toBe(1);
  });

  it('reactions are applied from updates; my toggle shows at once and rolls back on an error', () => {
    let s = opened(3);
    const liked = msg(3, { version: 4, reactions: [{ emoji: '👍', count: 1, userIds: [2] }] });
    s = chatReducer(s, { type: 'message/updated', message: liked });
    expect(s.messages[1]!.items[2]!.reactions).toEqual(liked.reactions);
    s = chatReducer(s, {
      type: 'reaction/pending',
      messageId: liked.id,
      emoji: '👍',
      on: true,
      token: 1,
    });
    expect(s.reactionOverlay[liked.id]).toEqual({ '👍': { on: true, token: 1 } });
    // The error ack: the overlay goes, the server's reactions stay as they were.
    s = chatReducer(s, { type: 'reaction/settled', messageId: liked.id, emoji: '👍', token: 1 });
    expect(s.reactionOverlay[liked.id]).toBeUndefined();
    expect(s.messages[1]!.items[2]!.reactions).toEqual(liked.reactions);
  });

  it('an older toggle settling does not undo a newer one still on its way', () => {
    let s = opened(3);
    const id = msg(3).id;
    s = run(
      [
        { type: 'reaction/pending', messageId: id, emoji: '🎉', on: true, token: 1 },
        { type: 'reaction/pending', messageId: id, emoji: '🎉', on: false, token: 2 },
        { type: 'reaction/settled', messageId: id, emoji: '🎉', token: 1 },
      ],
      s,
    );
    expect(s.reactionOverlay[id]).toEqual({ '🎉': { on: false, token: 2 } });
  });

  it('catch-up: changes pages bring new and changed messages and move the cursor', () => {
    let s = opened(10);
    s = run(
      [
        { type: 'connection', state: 'reconnecting' },
        { type: 'connection', state: 'online' },
        {
          type: 'conversations/list',
          list: [
            conversation(1, {
              lastSeq: 12,
              lastVersion: 15,
              lastMessage: msg(12, { version: 12 }),
              myReadSeq: 10,
              unreadCount: 2,
            }),
          ],
        },
        {
          type: 'messages/changes',
          conversationId: 1,
          since: 10,
          messages: [msg(11), edited(2, 13, 'fixed typo')],
          hasMore: true,
        },
        // A live event during the catch-up, and the second page overlapping it.
        {
          type: 'message/updated',
          message: msg(4, { version: 15, body: '', deletedAt: msg(4).createdAt }),
        },
        {
          type: 'messages/changes',
          conversationId: 1,
          since: 13,
          messages: [
            msg(12, { version: 14 }),
            msg(4, { version: 15, body: '', deletedAt: msg(4).createdAt }),
          ],
          hasMore: false,
        },
      ],
      s,
    );
    const held = s.messages[1]!;
    expect(held.items.map((m) => m.seq)).toEqual(range(1, 12).map((m) => m.seq));
    expect(bodyOf(s, 2)).toBe('fixed typo');
    expect(held.items[3]!.deletedAt).not.toBeNull();
    expect(held.version).toBe(15);
    expect(held.ahead).toEqual([]);
    expect(s.conversations[1]!.unreadCount).toBe(2);
  });

  it('the pins panel follows pin changes, latest pin first, and drops deleted messages', () => {
    const pinned = (seq: number, at: string, version: number) =>
      msg(seq, { version, pinned: { by: 2, at } });
    let s = opened(5);
    s = chatReducer(s, {
      type: 'pins/loaded',
      conversationId: 1,
      messages: [pinned(2, '2026-11-24T10:00:00.000Z', 6)],
    });
    s = run(
      [
        { type: 'message/updated', message: pinned(4, '2026-11-24T10:05:00.000Z', 7) },
        // A stale copy of seq 2 from before the pin does not unpin it.
        { type: 'message/updated', message: msg(2, { version: 2 }) },
      ],
      s,
    );
    const list = () => pinnedList(s.pins[1]!).map((m) => m.seq);
    expect(list()).toEqual([4, 2]);
    s = chatReducer(s, {
      type: 'message/updated',
      message: msg(4, { version: 8, body: '', deletedAt: msg(4).createdAt }),
    });
    expect(list()).toEqual([2]);
  });
});

describe('profiles live', () => {
  it('user:updated renames a user in the users, the direct conversation and the members', () => {
    let s = run([
      { type: 'conversations/list', list: [conversation(1, { otherUser: user(2) })] },
      {
        type: 'conversation/details',
        conversation: {
          ...conversation(7, { kind: 'group', name: 'G', otherUser: null }),
          members: [ME, 2].map((id) => ({
            user: user(id),
            role: 'member' as const,
            joinedAt: msg(1).createdAt,
            deliveredSeq: 0,
            readSeq: 0,
          })),
        },
      },
    ]);
    const renamed = user(2, { displayName: 'Robert', avatarUrl: '/files/avatars/2-64.webp' });
    s = chatReducer(s, { type: 'user/updated', user: renamed });
    expect(s.users[2]!.displayName).toBe('Robert');
    expect(s.conversations[1]!.otherUser!.displayName).toBe('Robert');
    expect(s.conversations[1]!.otherUser!.avatarUrl).toBe('/files/avatars/2-64.webp');
    expect(s.members[7]![2]!.user.displayName).toBe('Robert');
    expect(s.members[7]![ME]!.user.displayName).toBe('User 1');
    // The same user again changes nothing.
    expect(chatReducer(s, { type: 'user/updated', user: renamed }).users).toBe(s.users);
  });
});
