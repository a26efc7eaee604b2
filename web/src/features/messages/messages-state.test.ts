import { describe, expect, it } from 'vitest';
import { msg, range } from '../../test/factories.js';
import {
  applyLive,
  applyPage,
  contiguousSeq,
  emptyMessages,
  hasGapBefore,
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

describe('cursor handling', () => {
  it('the catch-up cursor stops below the first hole', () => {
    expect(contiguousSeq([])).toBe(0);
    expect(contiguousSeq(range(1, 5))).toBe(5);
    expect(contiguousSeq([...range(41, 50), msg(53), msg(54)])).toBe(50);
  });

  it('a live message past a hole is a gap; the next seq is not', () => {
    const state = applyPage(
      emptyMessages,
      { messages: range(1, 10), hasMore: false, direction: 'latest' },
      ME,
    );
    expect(hasGapBefore(state, 11)).toBe(false);
    expect(hasGapBefore(state, 13)).toBe(true);
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
    expect(seqs(state.items)).toEqual(range(1, 100).map((m) => m.seq));
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
});

describe('merge of catch-up and live events', () => {
  it('catch-up pages and live events in any interleaving give each seq once, in order', () => {
    // Held 1..20; offline while 21..30 were sent; 29 and 30 arrive live before the catch-up.
    let state = applyPage(
      emptyMessages,
      { messages: range(1, 20), hasMore: false, direction: 'latest' },
      ME,
    );
    state = applyLive(state, msg(29), ME);
    state = applyLive(state, msg(30), ME);
    expect(contiguousSeq(state.items)).toBe(20);
    state = applyPage(state, { messages: range(21, 25), hasMore: true, direction: 'newer' }, ME);
    state = applyLive(state, msg(31), ME);
    state = applyPage(state, { messages: range(26, 31), hasMore: false, direction: 'newer' }, ME);
    expect(seqs(state.items)).toEqual(range(1, 31).map((m) => m.seq));
    expect(new Set(state.items.map((m) => m.id)).size).toBe(31);
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
