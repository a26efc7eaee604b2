import { describe, expect, it } from 'vitest';
import { msg, range } from '../../test/factories.js';
import {
  applyChanges,
  applyLive,
  applyPage,
  emptyMessages,
  hasVersionGap,
  lastEditable,
  mergeMessages,
  queuePending,
} from './messages-state.js';

const ME = 1;
const seqs = (list: { seq: number }[]) => list.map((m) => m.seq);

describe('mergeMessages', () => {
  it('appends in order and keeps one message per seq', () => {
    const merged = mergeMessages(range(1, 3), [msg(3, { status: 'read' }), msg(4), msg(4)]);
    expect(seqs(merged)).toEqual([1, 2, 3, 4]);
    expect(merged[2]!.status).toBe('read');
  });

  it('merges overlapping, unordered pages into one ascending list', () => {
    const merged = mergeMessages(range(5, 10), [msg(12), msg(2), ...range(8, 11), msg(1)]);
    expect(seqs(merged)).toEqual([1, 2, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('returns the same array when nothing comes in', () => {
    const items = range(1, 3);
    expect(mergeMessages(items, [])).toBe(items);
  });

  it('stays fast with 10,000 messages held', () => {
    let items = range(1, 10_000);
    const t = performance.now();
    for (let s = 10_001; s <= 10_200; s++) items = mergeMessages(items, [msg(s)]);
    items = mergeMessages(items, range(9_900, 10_100));
    expect(items.length).toBe(10_200);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});

describe('copies of one message', () => {
  it('keeps the copy with the highest version, whatever order they arrive in', () => {
    const v1 = msg(3, { version: 3, body: 'first' });
    const v5 = msg(3, { version: 5, body: 'edited', editedAt: '2026-11-24T10:00:00.000Z' });
    const v4 = msg(3, { version: 4, body: 'older edit' });
    for (const order of [
      [v1, v5, v4],
      [v5, v4, v1],
      [v4, v1, v5, v5],
    ]) {
      let items = range(1, 3);
      for (const m of order) items = mergeMessages(items, [m]);
      expect(items[2]!.body).toBe('edited');
    }
  });

  it('a deleted message never takes its old text back, even from a copy marked newer', () => {
    const tomb = msg(2, { version: 9, body: '', deletedAt: '2026-11-24T10:00:00.000Z' });
    let items = mergeMessages(range(1, 3), [tomb]);
    items = mergeMessages(items, [msg(2, { version: 4, body: 'secret' })]);
    items = mergeMessages(items, [msg(2, { version: 12, body: 'secret' })]);
    expect(items[1]).toBe(tomb);
  });

  it('returns the same array when every incoming copy is older or the same', () => {
    const items = range(1, 5);
    expect(mergeMessages(items, [msg(3, { version: 1 }), msg(4)])).toBe(items);
  });
});

describe('version cursor', () => {
  const opened = (n: number) =>
    applyPage(
      emptyMessages,
      { messages: range(1, n), hasMore: false, direction: 'latest', baseVersion: n },
      ME,
    );

  it('follows live versions; a skipped one is a gap until it arrives, in any order', () => {
    let state = opened(10);
    expect(state.version).toBe(10);
    state = applyLive(state, msg(11), ME);
    expect(state.version).toBe(11);
    state = applyLive(state, msg(5, { version: 14, body: 'edited' }), ME);
    state = applyLive(state, msg(12), ME);
    expect(state.version).toBe(12);
    expect(hasVersionGap(state)).toBe(true);
    state = applyLive(state, msg(6, { version: 13, body: 'reacted to' }), ME);
    expect(state.version).toBe(14);
    expect(hasVersionGap(state)).toBe(false);
    expect(state.items[4]!.body).toBe('edited');
  });

  it('a changes page fills the gap and moves the cursor to its last version', () => {
    let state = opened(10);
    state = applyLive(state, msg(14), ME);
    expect(state.version).toBe(10);
    const deleted = msg(2, { version: 12, body: '', deletedAt: msg(12).createdAt });
    state = applyChanges(state, { since: 10, messages: [msg(11), deleted, msg(13)] }, ME);
    expect(state.version).toBe(14);
    expect(hasVersionGap(state)).toBe(false);
    expect(seqs(state.items)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14]);
    expect(state.items[1]!.deletedAt).not.toBeNull();
  });

  it('the newest page sets the cursor to the version known when it was asked for', () => {
    const state = applyPage(
      emptyMessages,
      { messages: range(51, 100), hasMore: true, direction: 'latest', baseVersion: 140 },
      ME,
    );
    expect(state.version).toBe(140);
  });
});

describe('windows', () => {
  it('a jump replaces the window; events above it wait for its newer pages', () => {
    let state = applyPage(
      emptyMessages,
      { messages: range(151, 200), hasMore: true, direction: 'latest', baseVersion: 200 },
      ME,
    );
    state = applyPage(
      state,
      {
        messages: range(26, 75),
        hasMore: true,
        hasMoreBefore: true,
        hasMoreAfter: true,
        direction: 'window',
        baseVersion: 200,
      },
      ME,
    );
    expect(seqs(state.items)).toEqual(seqs(range(26, 75)));
    expect(state.hasOlder).toBe(true);
    expect(state.hasNewer).toBe(true);
    expect(state.window).toBe(1);
    // Above the window: not kept (its page brings it), but the version is known.
    state = applyLive(state, msg(201), ME);
    expect(seqs(state.items)).not.toContain(201);
    expect(state.version).toBe(201);
    // Inside the window: applied.
    state = applyLive(state, msg(30, { version: 202, body: 'edited' }), ME);
    expect(state.items[4]!.body).toBe('edited');
    state = applyPage(state, { messages: range(76, 125), hasMore: true, direction: 'newer' }, ME);
    expect(state.hasNewer).toBe(true);
    state = applyPage(state, { messages: range(126, 201), hasMore: false, direction: 'newer' }, ME);
    expect(state.hasNewer).toBe(false);
    expect(seqs(state.items)).toEqual(seqs(range(26, 201)));
    expect(state.items.find((m) => m.seq === 30)!.body).toBe('edited');
  });

  it('knows there is nothing older once seq 1 is held', () => {
    let state = applyPage(
      emptyMessages,
      { messages: range(51, 100), hasMore: true, direction: 'latest' },
      ME,
    );
    expect(state.hasOlder).toBe(true);
    state = applyPage(state, { messages: range(1, 50), hasMore: true, direction: 'older' }, ME);
    expect(state.hasOlder).toBe(false);
    expect(seqs(state.items)).toEqual(seqs(range(1, 100)));
  });

  it('an older page with hasMore=false ends the history', () => {
    const state = applyPage(
      { ...emptyMessages, items: range(60, 70), loadingOlder: true },
      { messages: range(10, 59), hasMore: false, direction: 'older' },
      ME,
    );
    expect(state.hasOlder).toBe(false);
    expect(state.loadingOlder).toBe(false);
  });

  it('an update of a message older than the window is left to its page', () => {
    const state = applyPage(
      emptyMessages,
      { messages: range(51, 100), hasMore: true, direction: 'latest', baseVersion: 100 },
      ME,
    );
    const next = applyLive(state, msg(3, { version: 101, body: 'edited' }), ME);
    expect(next.items).toBe(state.items);
    expect(next.version).toBe(101);
  });
});

describe('merge of catch-up and live events', () => {
  it('changes pages and live events in any interleaving give each seq once, newest copies', () => {
    // Held 1..20; away while 21..30 were sent and 5 was edited; 29 and 30 arrive live first.
    let state = applyPage(
      emptyMessages,
      { messages: range(1, 20), hasMore: false, direction: 'latest', baseVersion: 20 },
      ME,
    );
    const changes = [
      ...range(21, 28),
      msg(5, { version: 29, body: 'edited while away' }),
      msg(29, { version: 30 }),
      msg(30, { version: 31 }),
    ];
    state = applyLive(state, changes[9]!, ME);
    state = applyLive(state, changes[10]!, ME);
    expect(hasVersionGap(state)).toBe(true);
    state = applyChanges(state, { since: 20, messages: changes.slice(0, 5) }, ME);
    state = applyLive(state, msg(31, { version: 32 }), ME);
    state = applyChanges(state, { since: 25, messages: changes.slice(5) }, ME);
    expect(seqs(state.items)).toEqual(seqs(range(1, 31)));
    expect(new Set(state.items.map((m) => m.id)).size).toBe(31);
    expect(state.items[4]!.body).toBe('edited while away');
    expect(state.version).toBe(32);
    expect(hasVersionGap(state)).toBe(false);
  });
});

describe('optimistic send', () => {
  const pending = {
    clientId: 'c-1',
    conversationId: 1,
    body: 'hello',
    createdAt: '2026-11-24T10:00:00.000Z',
  };

  it('shows the message at once as sending', () => {
    const state = queuePending(emptyMessages, pending);
    expect(state.pending).toHaveLength(1);
    expect(state.pending[0]!.state).toBe('sending');
    expect(queuePending(state, pending)).toBe(state);
  });

  it('the stored copy (same clientId, mine) replaces the optimistic one, live or by page', () => {
    const base = applyPage(
      emptyMessages,
      { messages: range(1, 3), hasMore: false, direction: 'latest' },
      ME,
    );
    const queued = queuePending(base, pending);
    const stored = msg(4, { senderId: ME, clientId: 'c-1', body: 'hello' });
    const live = applyLive(queued, stored, ME);
    expect(live.pending).toHaveLength(0);
    expect(seqs(live.items)).toEqual([1, 2, 3, 4]);
    const paged = applyPage(queued, { messages: [stored], hasMore: false, direction: 'newer' }, ME);
    expect(paged.pending).toHaveLength(0);
  });

  it("someone else's message with the same clientId does not settle mine", () => {
    const queued = queuePending(emptyMessages, pending);
    const theirs = msg(1, { senderId: 2, clientId: 'c-1' });
    expect(applyLive(queued, theirs, ME).pending).toHaveLength(1);
  });
});

describe('Up arrow in an empty composer', () => {
  it('edits my newest text message that is not deleted', () => {
    const state = applyPage(
      emptyMessages,
      {
        messages: [
          msg(1, { senderId: ME }),
          msg(2, { senderId: ME, body: 'this one' }),
          msg(3, { senderId: 2 }),
          msg(4, { senderId: ME, body: '', deletedAt: msg(4).createdAt }),
          msg(5, { senderId: ME, kind: 'system' }),
        ],
        hasMore: false,
        direction: 'latest',
      },
      ME,
    );
    expect(lastEditable(state, ME)?.body).toBe('this one');
    expect(lastEditable(emptyMessages, ME)).toBeNull();
  });
});
