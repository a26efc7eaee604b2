import { describe, expect, it } from 'vitest';
import { conversation, msg, range } from '../../test/factories.js';
import { FAVICON, FAVICON_UNREAD, faviconFor } from '../notifications/favicon.js';
import {
  applyMessage,
  applyMyRead,
  documentTitle,
  mergeConversation,
  unreadSignals,
  type ConversationMap,
} from './conversations-state.js';

const ME = 1;

describe('mention counts', () => {
  it('a live message that mentions me raises mentionCount with unreadCount; mine resets both', () => {
    let map: ConversationMap = { 1: conversation(1, { lastSeq: 2, myReadSeq: 2 }) };
    map = applyMessage(map, msg(3, { mentions: [ME] }), ME);
    map = applyMessage(map, msg(4), ME);
    map = applyMessage(map, msg(5, { mentions: [7] }), ME);
    expect(map[1]).toMatchObject({ unreadCount: 3, mentionCount: 1 });
    // Seen twice (socket and catch-up): counted once.
    map = applyMessage(map, msg(3, { mentions: [ME] }), ME);
    expect(map[1]!.mentionCount).toBe(1);
    map = applyMessage(map, msg(6, { senderId: ME, mentions: [ME] }), ME);
    expect(map[1]).toMatchObject({ unreadCount: 0, mentionCount: 0 });
  });

  it('reading clears the mentions read, counted from the messages held', () => {
    const held = range(1, 6).map((m) =>
      m.seq === 2 || m.seq === 5 ? { ...m, mentions: [ME] } : m,
    );
    const map = { 1: conversation(1, { lastSeq: 6, unreadCount: 6, mentionCount: 2 }) };
    expect(applyMyRead(map, 1, 3, ME, held)[1]).toMatchObject({ unreadCount: 3, mentionCount: 1 });
    expect(applyMyRead(map, 1, 6, ME, held)[1]).toMatchObject({ unreadCount: 0, mentionCount: 0 });
    // Without the messages: at most what is left after the cursor.
    expect(applyMyRead(map, 1, 5, ME)[1]).toMatchObject({ unreadCount: 1, mentionCount: 1 });
  });

  it('an older copy from the server keeps the counts that live events moved', () => {
    const held = conversation(1, { lastSeq: 5, unreadCount: 2, mentionCount: 1 });
    const stale = conversation(1, { lastSeq: 4, unreadCount: 1, mentionCount: 0 });
    expect(mergeConversation(held, stale)).toMatchObject({ unreadCount: 2, mentionCount: 1 });
    const fresh = conversation(1, { lastSeq: 5, unreadCount: 2, mentionCount: 0, notify: 'none' });
    expect(mergeConversation(held, fresh)).toMatchObject({ mentionCount: 0, notify: 'none' });
  });
});

describe('title and favicon', () => {
  const map = {
    1: conversation(1, { unreadCount: 2, mentionCount: 1 }),
    2: conversation(2, { unreadCount: 5, mentionCount: 3, muted: true }),
    3: conversation(3, { unreadCount: 1, notify: 'none' }),
  };

  it('count unread messages and mentions outside muted conversations', () => {
    expect(unreadSignals(map)).toEqual({ unread: 3, mentions: 1 });
    expect(documentTitle(unreadSignals(map))).toBe('(3) Parley');
    expect(faviconFor(unreadSignals(map))).toBe(FAVICON_UNREAD);
  });

  it('show nothing when only muted conversations have unread messages', () => {
    const quiet = { 2: map[2], 4: conversation(4) };
    expect(unreadSignals(quiet)).toEqual({ unread: 0, mentions: 0 });
    expect(documentTitle(unreadSignals(quiet))).toBe('Parley');
    expect(faviconFor(unreadSignals(quiet))).toBe(FAVICON);
    expect(documentTitle({ unread: 1234 })).toBe('(999+) Parley');
  });
});
