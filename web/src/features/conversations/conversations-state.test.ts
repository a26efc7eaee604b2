import { describe, expect, it } from 'vitest';
import { conversation, msg, range } from '../../test/factories.js';
import {
  applyList,
  applyMessage,
  applyMyRead,
  mergeConversation,
  sortByActivity,
  totalUnread,
} from './conversations-state.js';

const ME = 1;

describe('conversation list', () => {
  it('sorts by last activity, newest first', () => {
    const map = applyList({}, [
      conversation(1, { lastMessage: msg(1), lastSeq: 1 }),
      conversation(2, { lastMessage: msg(9, { conversationId: 2 }), lastSeq: 9 }),
      conversation(3, { createdAt: '2026-11-24T09:05:00.000Z' }),
    ]);
    expect(sortByActivity(map).map((c) => c.id)).toEqual([2, 3, 1]);
  });

  it('counts unread text messages from others once per seq', () => {
    let map = applyList({}, [conversation(1, { lastSeq: 2, lastMessage: msg(2) })]);
    map = applyMessage(map, msg(3), ME);
    map = applyMessage(map, msg(3), ME);
    map = applyMessage(map, msg(4, { kind: 'system' }), ME);
    expect(map[1]!.unreadCount).toBe(1);
    expect(map[1]!.lastSeq).toBe(4);
    map = applyMessage(map, msg(5, { senderId: ME }), ME);
    expect(map[1]!.unreadCount).toBe(0);
    expect(map[1]!.myReadSeq).toBe(5);
  });

  it('a stale copy from the server does not undo live events', () => {
    const held = conversation(1, { lastSeq: 12, lastMessage: msg(12), unreadCount: 3 });
    const stale = conversation(1, { lastSeq: 10, lastMessage: msg(10), unreadCount: 1 });
    const merged = mergeConversation(held, stale);
    expect(merged.lastSeq).toBe(12);
    expect(merged.unreadCount).toBe(3);
  });

  it('a read cursor never moves back', () => {
    const held = conversation(1, { lastSeq: 12, myReadSeq: 12, unreadCount: 0 });
    const stale = conversation(1, { lastSeq: 12, myReadSeq: 8, unreadCount: 4 });
    expect(mergeConversation(held, stale).unreadCount).toBe(0);
  });

  it('reading recounts from held messages, else clears at the end', () => {
    let map = applyList({}, [
      conversation(1, { lastSeq: 10, myReadSeq: 4, unreadCount: 6, lastMessage: msg(10) }),
    ]);
    const held = range(1, 10).map((m) => (m.seq === 9 ? { ...m, senderId: ME } : m));
    map = applyMyRead(map, 1, 7, ME, held);
    expect(map[1]!.unreadCount).toBe(2);
    map = applyMyRead(map, 1, 10, ME);
    expect(map[1]!.unreadCount).toBe(0);
  });

  it('the title count skips muted conversations', () => {
    const map = applyList({}, [
      conversation(1, { unreadCount: 2 }),
      conversation(2, { unreadCount: 5, muted: true }),
      conversation(3, { unreadCount: 1 }),
    ]);
    expect(totalUnread(map)).toBe(3);
    expect(totalUnread(map, new Set([3]))).toBe(2);
  });
});
